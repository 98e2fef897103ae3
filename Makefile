# cxloop: two commands to start. `make demo` serves a populated demo; `make test` runs everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed

.PHONY: demo test lint bench install clean help

help:
	@echo "make demo   install, build the synthetic demo company and serve it on http://127.0.0.1:8000"
	@echo "make test   install test dependencies (PostgreSQL, Chromium via apt) and run the whole suite"
	@echo "make lint   ruff and mypy"
	@echo "make bench  benchmarks -> benchmarks/RESULTS.md"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cxloop needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(RUNTIME_STAMP)

install: $(RUNTIME_STAMP)

demo: $(RUNTIME_STAMP)
	$(BIN)/cxloop --data-dir cxloop-demo demo --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

test: $(DEV_STAMP)
	bash scripts/ensure-system-deps.sh postgres chromium java
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

bench: $(DEV_STAMP)
	bash scripts/ensure-system-deps.sh postgres java
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) cxloop-demo test-artifacts benchmarks/.work
