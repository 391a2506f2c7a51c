# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

.PHONY: install run test lint bench
install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	-$(BIN)/python bench/callbacks.py
	-$(BIN)/python bench/callbacks.py --engine postgresql
	-$(BIN)/python bench/reconciler.py
	-$(BIN)/python bench/storage.py
	-$(BIN)/python bench/catalogue.py
	-$(BIN)/python bench/updates.py
	-$(BIN)/python bench/latency.py
	-$(BIN)/python bench/notices.py
