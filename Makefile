# Two entry points: `make demo` runs the stand-ins and the hub, `make test` runs the suite.
# Each creates .venv and installs the project into it on first use.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck federation clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m hub.demo

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check hub adapters schema simulators tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Composes the schema as an Apollo Federation v2 subgraph with @apollo/composition (needs node and npm).
federation: $(STAMP)
	npm ci --prefix docker/federation --no-audit --no-fund
	$(PY) -m pytest tests/test_federation.py

clean:
	rm -rf $(VENV) var
