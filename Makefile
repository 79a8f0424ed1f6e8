# Two commands for a fresh machine: `make run` and `make test`. Each sets up .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Mermaid's CLI (the versions package-lock.json pins), which the diagram tests render with
NODE_STAMP := node_modules/.installed-stamp

.PHONY: run test lint typecheck unit features-http features-browser mutate report bench clean corpus example

$(STAMP): pyproject.toml
	@echo "setup 1/4: a virtualenv in $(VENV) ($(PYTHON))"
	$(PYTHON) -m venv $(VENV)
	@echo "setup 2/4: upgrading pip"
	$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "setup 3/4: installing rpp-flows and its dependencies (about a minute)"
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@echo "setup 4/4: checking for Debian's chromium and graphviz"
	@# The browser runs drive Debian's Chromium (Playwright's own download is not used);
	@# rpp diagram draws SVG and PNG with Graphviz's dot (Debian's graphviz).
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	command -v dot >/dev/null 2>&1 || missing="$$missing graphviz"; \
	[ -z "$$missing" ] || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "install Debian's $${missing# } (sudo apt-get install $${missing# }); for chromium, RPP_CHROMIUM may name another"; exit 1; fi; }
	touch $(STAMP)
	@echo "setup done: $(BIN)/rpp"

# puppeteer is told not to download a Chrome: mmdc drives Debian's chromium
# (puppeteer-config.json; its --no-sandbox lets it run as root).
$(NODE_STAMP): package.json package-lock.json
	@echo "setup: Mermaid's CLI into node_modules (npm ci, about a minute)"
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; \
	  else echo "install Debian's nodejs and npm (sudo apt-get install nodejs npm)"; exit 1; fi; }
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

run: $(STAMP)
	$(BIN)/rpp validate
	mkdir -p reports
	$(BIN)/rpp verify --json reports/verify.json
	@echo "make run: the report is $(CURDIR)/reports/verify.json"

lint: $(STAMP)
	$(BIN)/ruff check specs simulator tests benchmarks examples
	$(BIN)/ruff format --check specs simulator tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy specs simulator examples

# The tests other than the features on every core (pytest-xdist), then the features
# in-process with their reports (Cucumber JSON, JUnit by feature, pytest-html) and the
# coverage gate, which need the scenarios in one process.
unit: $(STAMP) $(NODE_STAMP)
	$(BIN)/pytest -n auto --dist worksteal -p no:cacheprovider --ignore=tests/test_features.py \
	  --junitxml=reports/junit-unit.xml
	$(BIN)/pytest tests/test_features.py --cucumber-report=reports/cucumber.json \
	  --junitxml=reports/junit.xml --html=reports/report.html --self-contained-html

# The features again over HTTP and in headless Chromium, on a portal this run serves.
features-http: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider tests/test_features.py --target serve

features-browser: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider tests/test_features.py --target serve --browser

# Every mutant of the flows against the features; fails on a survivor not listed in
# features/equivalent-mutants.yaml (about 3.5 minutes on 2 cores).
mutate: $(STAMP)
	mkdir -p reports
	$(BIN)/rpp mutate --check --json reports/mutate.json

# The living documentation from what the runs left in reports/ (and reports/simulation
# when a simulation was written there): reports/site/index.html.
report: $(STAMP)
	$(BIN)/rpp report --out reports/site

test: lint typecheck unit features-http features-browser mutate report

# The worked example of docs/targets.md alone: a team's portal passes verify, its bug
# copies fail it (part of `unit`, so of `make test`).
example: $(STAMP)
	$(BIN)/pytest -q tests/examples

corpus: $(STAMP)
	$(BIN)/python -m pytest -q tests/verify/test_broken_portals.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks.verify
	$(BIN)/python -m benchmarks.http
	$(BIN)/python -m benchmarks.features
	$(BIN)/python -m benchmarks.mutate
	$(BIN)/python -m benchmarks.load_flows
	$(BIN)/python -m benchmarks.population
	$(BIN)/python -m benchmarks.simulate

clean:
	rm -rf $(VENV) node_modules reports .pytest_cache .mypy_cache .ruff_cache
