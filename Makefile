# `make run` and `make test` do all set-up on a fresh Debian machine with python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Headless Chromium and Japanese fonts for the browser tests (Debian packages;
# Playwright drives the system browser, it downloads none of its own).
BROWSER_STAMP := $(VENV)/.browser

.PHONY: run test lint test-sqlite test-postgres smoke bench install static-vendor clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || scripts/apt_install.sh python3-venv
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[dev]"
	touch $(STAMP)

install: $(STAMP)

$(BROWSER_STAMP): $(STAMP)
	scripts/apt_install.sh chromium fonts-noto-cjk
	touch $(BROWSER_STAMP)

# plotly.min.js from the installed wheel, so plotly.py and plotly.js always
# match (static/vendor/ is git-ignored). Cheap and idempotent: it rewrites
# the file only when the bytes differ, so it runs every time.
static-vendor: $(STAMP)
	$(BIN)/python manage.py copy_plotly_js

# The worker that sends the reporting round's e-mail (manage.py db_worker)
# runs beside the server and stops with it; locally the console backend
# prints each message in this terminal.
run: $(STAMP) static-vendor
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py seed_plans
	$(BIN)/python manage.py create_demo_user
	$(BIN)/python manage.py seed_demo_round
	$(BIN)/python manage.py seed_demo_edition
	$(BIN)/python manage.py send_reminders
	$(BIN)/python manage.py db_worker --interval 2 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: lint test-sqlite test-postgres smoke

# Architecture checks before any test: ruff's rules and the import-linter
# contracts (the app layers), both configured in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test-sqlite: $(STAMP) $(BROWSER_STAMP) static-vendor
	DATABASE_URL=sqlite:///db.test.sqlite3 $(BIN)/python -m pytest

test-postgres: $(STAMP) $(BROWSER_STAMP) static-vendor
	scripts/with_postgres.sh $(BIN)/python -m pytest

# The production set-up under deploy/, tested: PostgreSQL, gunicorn and nginx
# (installed with apt-get when missing) on loopback, configured by those very
# files, driven through nginx by scripts/smoke_production.py. 1 to 1.5
# minutes, most of it collectstatic (docs/deployment.md).
smoke: $(STAMP)
	SMOKE_PYTHON=$(BIN)/python scripts/smoke_production.sh

# Benchmarks (not timed tests): every figure goes to benchmarks/results/, then
# benchmarks/report.py writes docs/performance.md. PostgreSQL runs three times:
# an empty cluster for each import benchmark (the 10,000-row import, and the
# hostile uploads with the 20,000-row admin import), and one that gets the
# national data set (benchmarks.pages generates it) for the pages, engine, load
# and transfer.
# Pages render with DEBUG off, as in production: they need collectstatic's
# manifest.
BENCH_PG := $(BIN)/python -m benchmarks.pages && $(BIN)/python -m benchmarks.engine \
	&& $(BIN)/python -m benchmarks.publication \
	&& $(BIN)/python -m benchmarks.load && $(BIN)/python -m benchmarks.transfer
bench: $(STAMP) $(BROWSER_STAMP) static-vendor
	rm -rf benchmarks/results
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python -m benchmarks.import_actuals
	scripts/with_postgres.sh $(BIN)/python -m benchmarks.import_actuals
	$(BIN)/python -m benchmarks.hostile_uploads
	scripts/with_postgres.sh $(BIN)/python -m benchmarks.hostile_uploads
	$(BIN)/python -m benchmarks.pages
	scripts/with_postgres.sh sh -c '$(BENCH_PG)'
	$(BIN)/python -m benchmarks.report

clean:
	rm -rf $(VENV) db.sqlite3 db.test.sqlite3 staticfiles static/vendor
