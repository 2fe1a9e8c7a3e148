# Warroom's two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The test suite runs against the real PostgreSQL and Redis on this machine.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/warroom
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test lint bench install services chromium clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## make run: install, migrate, demo data, then web + Celery worker + beat; Ctrl-C stops all three.
run: export DEBUG ?= true
run: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py demo
	@echo "Warroom: http://127.0.0.1:$${PORT:-8000}/  (Ctrl-C stops the web server, worker and beat)"
	@trap 'kill $$(jobs -p) 2>/dev/null; wait' INT TERM EXIT; \
	  $(BIN)/celery -A warroom worker --loglevel=INFO --concurrency=4 & \
	  $(BIN)/celery -A warroom beat --loglevel=INFO & \
	  $(BIN)/python manage.py runserver 127.0.0.1:$${PORT:-8000} & \
	  wait -n; exit $$?

services:
	@bin/ensure-services

chromium:
	@bin/ensure-chromium

lint: $(STAMP)
	$(BIN)/ruff check .

## make test: lint, then the whole suite against PostgreSQL, Redis, a Celery worker and Chromium.
test: $(STAMP) services chromium
	$(BIN)/ruff check .
	DEBUG=false SECRET_KEY=test-only DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
	  $(BIN)/pytest $(PYTEST_ARGS)

## make bench: 10,000 incidents in PostgreSQL: page times under gunicorn, triage wall time, check cost (docs/performance.md).
bench: $(STAMP) services
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var
