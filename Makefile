# Two commands from a fresh clone: `make demo` and `make test`. Needs python3 (3.11+), make and npm.
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
UV := .tools/bin/uv
PY := $(VENV)/bin/python

.PHONY: demo test install browser gettext messages lint format typecheck check-migrations e2e unit clean screenshots

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

# The browser tests' Chromium: Debian's (apt-get, as root) where it can be had, since Playwright's
# own download is not reachable everywhere; otherwise Playwright's own.
CHROMIUM_PACKAGES := chromium fonts-liberation
browser: install
	@if [ -x /usr/bin/chromium ]; then \
		echo "Browser tests use /usr/bin/chromium"; \
	elif [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(CHROMIUM_PACKAGES) \
		|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(CHROMIUM_PACKAGES); }; \
	else \
		$(VENV)/bin/playwright install chromium; \
	fi

# The translations (locale/*/LC_MESSAGES/django.po) compiled with GNU gettext's msgfmt, from
# Debian's packages (apt-get, as root) when it is missing. --check: a translation whose
# placeholders differ from its English text stops the build.
gettext:
	@if ! command -v msgfmt >/dev/null 2>&1; then \
		if [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Debian's gettext for the translations"; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext \
			|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext; }; \
		else \
			echo "GNU gettext is needed to compile the translations: install it (apt-get install gettext)" >&2; \
			exit 1; \
		fi; \
	fi

messages: gettext
	@for po in locale/*/LC_MESSAGES/django.po; do msgfmt --check -o "$${po%.po}.mo" "$$po" || exit 1; done

demo: install messages
	$(PY) -m expertconnect.demo

# A screenshot of every page for each role at 1280x800 and 390x844, from the demo data, into the
# git-ignored screenshots/, and the README's four into docs/screenshots/ (tests/e2e/gallery.py).
screenshots: install browser messages
	$(PY) -m tests.e2e.gallery

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check-migrations: install
	DJANGO_SETTINGS_MODULE=expertconnect.settings.test $(PY) manage.py makemigrations --check --dry-run

typecheck: install
	$(VENV)/bin/mypy

# Without DATABASE_URL the checks and the tests start the embedded PostgreSQL (the test
# settings do); it is stopped at the end, pass or fail, unless it was running before.
test: install browser messages
	@if [ -z "$$DATABASE_URL" ] && ! $(PY) -m expertconnect.embedded_db running; then \
		trap '$(PY) -m expertconnect.embedded_db stop' EXIT; fi; \
	$(MAKE) --no-print-directory lint typecheck check-migrations && $(VENV)/bin/pytest

unit: install messages
	$(VENV)/bin/pytest -m "not e2e"

e2e: install browser messages
	$(VENV)/bin/pytest -m e2e

clean:
	rm -rf $(VENV) .tools node_modules staticfiles .pytest_cache .ruff_cache

# Benchmarks (bench/README.md): small scale; FULL=1 for the full scale; RECORD=1 appends to bench/RESULTS.md.
.PHONY: bench
bench: install
	@command -v wrk >/dev/null || apt-get install -y wrk || (apt-get update && apt-get install -y wrk)
	$(PY) bench/run.py $(if $(FULL),--full) $(if $(RECORD),--record)
