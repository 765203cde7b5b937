# Two commands: `make run` (the whole system, embedded) and `make test` (the whole suite).
# Both create .venv and install what they need on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test bench schemas clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m services.devrun

test: $(STAMP)
	$(PY) -m ruff check --no-cache services shared bench tests
	$(PY) -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(PY) -m bench.pipeline

schemas: $(STAMP)
	$(PY) -m shared.contracts.snapshot

clean:
	rm -rf var
