# Supplier gateway: `make run` starts everything with demo data, `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help venv run migrate demo test test-fast lint typecheck format bench chaos fuzz fuzz-shapes readme-screenshots clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)  ## Create the virtualenv and install the gateway with its dev tools

migrate: venv  ## Apply database migrations
	$(PY) manage.py migrate --noinput

demo: migrate  ## Load demo data (safe to run again)
	$(PY) manage.py demo_seed

run: demo  ## Install, migrate, load demo data and start web, worker and scheduler
	bin/run-gateway

test: venv  ## Run the whole test suite (SQLite unless DATABASE_URL / REDIS_URL are set)
	$(PY) -m pytest

lint: venv  ## ruff check and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv  ## mypy with django-stubs on gateway, procurement, notifications, api, edi, materials, workbench, portal and suppliers
	$(VENV)/bin/mypy gateway procurement notifications api edi materials workbench portal suppliers

format: venv  ## Format the code
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: venv  ## Benchmarks on PostgreSQL (BENCH_DATABASE_URL), printed beside their references
	$(PY) -m tests.benchmarks

chaos: venv  ## Kill a worker 100 times while EDI files flow; print what became of every file
	$(PY) -m tests.chaos --kills 100

fuzz: venv  ## Read a million mutated X12 files: uncaught errors (must be 0), slowest s/MB; finds in var/fuzz/
	$(PY) -m tests.fuzz --inputs $(or $(INPUTS),1000000) $(if $(FUZZ_SECONDS),--seconds $(FUZZ_SECONDS))

fuzz-shapes: venv  ## Time each pathological shape of X12 input (tiny sets, dense errors, huge segments) in s/MB
	$(PY) -m tests.fuzz --shapes

readme-screenshots: venv  ## Screenshots of the portal's main pages into docs/screenshots/ (Playwright, Debian chromium)
	GATEWAY_SCREENSHOTS=docs/screenshots $(PY) -m pytest tests/browser/test_portal_pages.py -q -p no:cacheprovider

clean:  ## Remove the virtualenv and local state (database, broker, files)
	rm -rf $(VENV) var
