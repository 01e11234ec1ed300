# Two commands on a fresh machine: `make demo` runs the service, `make test` runs every test.
# Each creates .venv and installs the locked dependencies (requirements-dev.lock, with hashes) and the project
# when pyproject.toml or the lock changes. After changing dependencies in pyproject.toml: `make lock`.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
# tests wait on sockets and databases more than on the CPU: more workers than cores pays
TEST_WORKERS ?= 4

.PHONY: demo test test-times soak lint bench fuzz lock clean

# every package pinned and checked against its hash; the project itself adds none (--no-deps), and is
# built with the locked setuptools (--no-build-isolation), so nothing is fetched unchecked
$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements-dev.lock
	$(VENV)/bin/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# requirements.lock (the image) and requirements-dev.lock (make, CI) from pyproject.toml, for Linux x86_64 and
# Python 3.11, with uv (a tool for making the lock, installed into .venv, not a dependency). About 10 s.
lock:
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet "uv>=0.5"
	$(VENV)/bin/python deploy/lock.py $(VENV)/bin/uv

demo: $(STAMP)
	$(VENV)/bin/liaison demo

# axe-core for the console's accessibility tests, at the version tests/support/axe/package-lock.json pins
# (from the npm registry; without npm those tests are skipped with the reason shown)
AXE := tests/support/axe/node_modules/axe-core/axe.min.js
$(AXE): tests/support/axe/package-lock.json
	command -v npm >/dev/null && npm ci --prefix tests/support/axe --no-audit --no-fund --loglevel=error || true

test: $(STAMP) $(AXE)
	$(VENV)/bin/pytest -rfEs -n $(TEST_WORKERS) --dist worksteal

# only the time-sensitive tests, at TEST_NOW and at each hostile instant (make test runs them too)
test-times: $(STAMP)
	$(VENV)/bin/pytest -rfEs -n $(TEST_WORKERS) --dist worksteal -m time_sensitive

# the property test of the conversation engine, long: new sequences every run, the shortest failure printed
SOAK_EXAMPLES ?= 200
SOAK_STEPS ?= 60
soak: $(STAMP)
	PROPERTY_EXAMPLES=$(SOAK_EXAMPLES) PROPERTY_STEPS=$(SOAK_STEPS) PROPERTY_RANDOM=1 PROPERTY_SHRINK=1 \
		$(VENV)/bin/pytest -n 3 -o timeout=0 -rxX tests/property/test_conversation_engine.py

# the console's generated fuzz run, longer than CI's (tests/console/test_fuzz.py): every route x role on
# SQLite and, with TEST_DATABASE_URL set, PostgreSQL; prints the request and 5xx counts per database
FUZZ_EXAMPLES ?= 3000
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VENV)/bin/pytest -p no:xdist -s -q tests/console/test_fuzz.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(VENV)/bin/python bench/startup_bench.py
	$(VENV)/bin/python bench/inbound_bench.py
	$(VENV)/bin/python bench/quick_exit_bench.py
	$(VENV)/bin/python bench/nlu_bench.py
	$(VENV)/bin/python bench/waves_bench.py
	$(VENV)/bin/python bench/alert_latency_bench.py

clean:
	rm -rf $(VENV) var .pytest_cache
