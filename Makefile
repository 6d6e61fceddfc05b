# Two commands from a fresh clone: `make demo` and `make test`. Needs python3 (3.11+), make and npm.
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
UV := .tools/bin/uv
PY := $(VENV)/bin/python

.PHONY: demo test install lint format typecheck check-migrations e2e unit clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.installed: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.installed node_modules/.installed

demo: install
	$(PY) -m expertconnect.demo

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check-migrations: install
	DJANGO_SETTINGS_MODULE=expertconnect.settings.test $(PY) manage.py makemigrations --check --dry-run

typecheck: install
	$(VENV)/bin/mypy

test: install lint typecheck check-migrations
	$(VENV)/bin/pytest

unit: install
	$(VENV)/bin/pytest -m "not e2e"

e2e: install
	$(VENV)/bin/pytest -m e2e

clean:
	rm -rf $(VENV) .tools node_modules staticfiles .pytest_cache .ruff_cache

# Benchmarks (bench/README.md): small scale; FULL=1 for issue 6 scale; RECORD=1 appends to bench/RESULTS.md.
.PHONY: bench
bench: install
	@command -v wrk >/dev/null || apt-get install -y wrk || (apt-get update && apt-get install -y wrk)
	$(PY) bench/run.py $(if $(FULL),--full) $(if $(RECORD),--record)
