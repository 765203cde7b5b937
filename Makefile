# Two commands: `make run` (the whole system, embedded) and `make test` (the whole suite).
# Both create .venv and install what they need on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Four workers on two cores keep them ~90% busy (tests also wait on nats-server, PostgreSQL, subprocesses); five took
# longer (409 s against 365-380 s, 2026-12-07): the suite is CPU-bound there.
TEST_WORKERS ?= 4

.PHONY: install run test bench bench-console chaos schemas clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m services.devrun --with-parent

test: $(STAMP)
	$(PY) -m ruff check --no-cache services shared bench tests
	$(PY) -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadgroup --durations=15

bench: $(STAMP)
	$(PY) -m bench.pipeline

bench-console: $(STAMP)
	$(PY) -m bench.console

# The fault suite at full size (tests/chaos; `make test` runs it with N = 1,000 and short outages).
chaos: $(STAMP)
	TUIJIN_CHAOS_N=5000 TUIJIN_CHAOS_FULL=1 $(PY) -m pytest tests/chaos -s -q -p no:cacheprovider

schemas: $(STAMP)
	$(PY) -m shared.contracts.snapshot

clean:
	rm -rf var
