# Two commands for a fresh machine: `make run` and `make test`. Each sets up .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck unit bench clean corpus

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/rpp validate
	mkdir -p reports
	$(BIN)/rpp verify --json reports/verify.json

lint: $(STAMP)
	$(BIN)/ruff check specs simulator tests benchmarks
	$(BIN)/ruff format --check specs simulator tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy specs simulator

unit: $(STAMP)
	$(BIN)/pytest --cucumberjson=reports/cucumber.json --junitxml=reports/junit.xml

test: lint typecheck unit

corpus: $(STAMP)
	$(BIN)/python -m pytest -q tests/verify/test_broken_portals.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks.verify
	$(BIN)/python -m benchmarks.load_flows
	$(BIN)/python -m benchmarks.population
	$(BIN)/python -m benchmarks.simulate

clean:
	rm -rf $(VENV) reports .pytest_cache .mypy_cache .ruff_cache
