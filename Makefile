# Warroom's two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The test suite runs against the real PostgreSQL and Redis on this machine.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/warroom
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: run demo-passwords test lint bench mutate install services chromium clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q ".[dev]"  # the dependencies; the code runs from this folder
	touch $(STAMP)

install: $(STAMP)

## make run: install, migrate, demo data, then web + Celery worker + beat; Ctrl-C stops all three.
run: export DEBUG ?= true
run: $(STAMP)
	@bin/run

## make demo-passwords: new passwords for the demo users, printed once (development only).
demo-passwords: export DEBUG ?= true
demo-passwords: $(STAMP)
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py demo --reset-passwords

services:
	@bin/ensure-services

chromium:
	@bin/ensure-chromium

## make lint: ruff, then mypy over the apps (settings are imported by the Django plugin, so it gets a throwaway key).
lint: $(STAMP)
	$(BIN)/ruff check .
	DEBUG=false SECRET_KEY=lint-only $(BIN)/mypy

TEST_ENV := DEBUG=false SECRET_KEY=test-only DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL)
# Test processes for everything but the browser tests (each its own test database and broker database:
# tests/conftest.py); the browser tests then run in one process. Exit status 5 is "nothing selected" (a
# PYTEST_ARGS that picks only one kind), not a failure.
TEST_WORKERS ?= 2

## make test: lint, then the whole suite against PostgreSQL, Redis, Celery workers and Chromium.
test: $(STAMP) services chromium lint
	$(TEST_ENV) $(BIN)/pytest -n $(TEST_WORKERS) --dist load -m "not browser" $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(TEST_ENV) $(BIN)/pytest -m browser $(PYTEST_ARGS) || [ $$? -eq 5 ]

## make bench: 10,000 incidents in PostgreSQL: page times under gunicorn, triage wall time, check cost (docs/performance.md).
bench: $(STAMP) services
	$(BIN)/python bench/run.py
	$(BIN)/python bench/alerts.py
	$(BIN)/python bench/live.py

## make mutate: mutation testing of the safety rules, about 20 minutes; not part of make test (docs/testing.md).
mutate: $(STAMP) services
	DEBUG=false SECRET_KEY=test-only DATABASE_URL=$(TEST_DATABASE_URL)_mutate CELERY_BROKER_URL=$(TEST_BROKER_URL) \
	  $(BIN)/python bin/mutate.py --minutes $${MUTATE_MINUTES:-20}

clean:
	rm -rf $(VENV) var
