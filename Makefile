# Two commands on a fresh machine: `make demo` runs the service, `make test` runs every test.
# Each creates .venv and installs the project when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
# tests wait on sockets and databases more than on the CPU: more workers than cores pays
TEST_WORKERS ?= 4

.PHONY: demo test test-times lint bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/liaison demo

test: $(STAMP)
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist worksteal

# only the time-sensitive tests, at TEST_NOW and at each hostile instant (make test runs them too)
test-times: $(STAMP)
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist worksteal -m time_sensitive

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
