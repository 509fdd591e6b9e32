# `make run` and `make test` do all set-up on a fresh Debian machine with python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgres bench install clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || scripts/apt_install.sh python3-venv
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py seed_plans
	$(BIN)/python manage.py create_demo_user
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: test-sqlite test-postgres

test-sqlite: $(STAMP)
	DATABASE_URL=sqlite:///db.test.sqlite3 $(BIN)/python -m pytest

test-postgres: $(STAMP)
	scripts/with_postgres.sh $(BIN)/python -m pytest

# Benchmarks (not timed tests): figures go to docs/performance.md.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.import_actuals
	scripts/with_postgres.sh $(BIN)/python -m benchmarks.import_actuals

clean:
	rm -rf $(VENV) db.sqlite3 db.test.sqlite3 staticfiles
