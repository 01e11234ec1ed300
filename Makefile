# Two commands on a fresh machine: `make demo` runs the service, `make test` runs every test.
# Each creates .venv and installs the project when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
# tests wait on sockets and databases more than on the CPU: more workers than cores pays
TEST_WORKERS ?= 4
# hostile instants for the time-sensitive tests: Saturday night in London, and the hour that
# repeats when the clocks go back (01:30 UTC on 2026-10-25 is 01:30 BST and, an hour later, 01:30 GMT)
HOSTILE_INSTANTS ?= 2026-11-28T23:30:00+00:00 2026-10-25T01:30:00+00:00

.PHONY: demo test test-hostile-times lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/liaison demo

test: $(STAMP)
	$(VENV)/bin/pytest -n $(TEST_WORKERS)

# the time-sensitive tests again at each hostile instant (SQLite: the clock, not the database, is on trial)
test-hostile-times: $(STAMP)
	@for instant in $(HOSTILE_INSTANTS); do \
	  echo "== time-sensitive tests at $$instant"; \
	  LIAISON_TEST_NOW=$$instant $(VENV)/bin/pytest -n $(TEST_WORKERS) -m time_sensitive -k "not postgresql" || exit 1; \
	done

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
