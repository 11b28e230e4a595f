# Jobsite: `make run` sets everything up and serves; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.12 2>/dev/null || (ls $$HOME/.pyenv/versions/3.12*/bin/python3 2>/dev/null | tail -n1) || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# A single-threaded process needs one pooled database connection (PostgreSQL; SQLite has none).
ONE_CONNECTION := DB_POOL_MIN=1 DB_POOL_MAX=1

.PHONY: run test install install-dev migrate demo serve lint format bench-api bench-import bench-admin bench-load bench-scheduling bench-autoplan clean browser

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 12), "Python 3.12+ is needed, found " + sys.version' \
		|| (echo "Set PYTHON=/path/to/python3.12" && exit 1)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet --group dev
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	DEBUG=true $(BIN)/python manage.py migrate --no-input

demo: migrate
	DEBUG=true $(BIN)/python manage.py load_demo_data --if-empty

run: demo
	DEBUG=true $(BIN)/python manage.py collectstatic --no-input --verbosity 0
	@echo "Admin: http://$(HOST):$(PORT)/admin/   API docs: http://$(HOST):$(PORT)/api/docs/"
	@# No worker runs yet: a job left processing by the last one is queued again at once.
	DEBUG=true $(BIN)/python manage.py requeue_stale_jobs --older-than 0
	@# On PostgreSQL: runserver holds at most DB_POOL_MAX connections (10), the worker and the
	@# requeue loop one each (single-threaded): 12 in all. The worker outlives a database outage.
	@trap 'kill 0' EXIT INT TERM; \
	DEBUG=true $(ONE_CONNECTION) $(BIN)/python manage.py db_worker --interval 0.5 & \
	DEBUG=true $(ONE_CONNECTION) $(BIN)/python manage.py requeue_stale_jobs --every 60 --verbosity 0 & \
	DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Browser tests need Debian's chromium; install it when missing (never a downloaded browser).
# In CI a failed install fails the run; elsewhere the browser tests are skipped with a reason.
browser:
	@command -v chromium >/dev/null 2>&1 || ( \
		if [ "$$(id -u)" = 0 ]; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| { echo "could not install chromium"; [ -z "$$CI" ]; }; \
		else echo "chromium missing: browser tests will be skipped"; fi )

test: install-dev browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench-api: install-dev
	$(BIN)/python bench/api.py

bench-import: install-dev
	$(BIN)/python bench/import.py

bench-admin: install-dev
	$(BIN)/python bench/admin.py

bench-load: install-dev
	$(BIN)/python bench/load.py

bench-scheduling: install-dev
	$(BIN)/python bench/scheduling.py
	$(BIN)/python bench/scheduling.py --database sqlite

bench-autoplan: install-dev
	$(BIN)/python bench/autoplan.py

clean:
	rm -rf $(VENV) db.sqlite3* staticfiles
