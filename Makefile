# Entry points for people and CI. Every install step lives here so that a fresh clone works.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo demo-realtime demo-writeback demo-operations test lint format ui sandbox benchmark clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

## Run the main job end to end against the embedded Centra sandbox.
demo: $(STAMP)
	$(BIN)/python -m demo.full_sync

## Changes in the sandbox reach the warehouse by webhook, event queue and delta sync.
demo-realtime: $(STAMP)
	$(BIN)/python -m demo.realtime

## WMS files change Centra: stock for the changed sizes only (dry run first), a shipped order.
demo-writeback: $(STAMP)
	$(BIN)/python -m demo.writeback

## Production setup on PostgreSQL: the main job under injected faults, one alert per failed run.
demo-operations: $(STAMP)
	$(BIN)/python -m demo.operations

## Lint, format check and the whole test suite.
test: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 3 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Start the sandbox and the Dagster UI on the demo's warehouse.
ui: $(STAMP)
	$(BIN)/python -m demo.ui

## Start the Centra sandbox alone on a loopback port.
sandbox: $(STAMP)
	$(BIN)/centra-sandbox

benchmark: $(STAMP)
	$(BIN)/python benchmarks/full_sync.py

clean:
	rm -rf $(VENV) .demo
