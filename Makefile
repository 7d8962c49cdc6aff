# Hmong Artisans — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint check bench-pages install install-dev migrate seed clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --no-input

seed: migrate
	$(PY) manage.py seed_demo

## make run: set everything up and serve the site with its worker at http://$(HOST):$(PORT)
run: seed
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

## make test: the whole suite (on SQLite, or on the database in DATABASE_URL)
test: install-dev
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check src tests bench
	$(PY) manage.py makemigrations --check --dry-run

## make bench-pages: page throughput against the floor view (gunicorn + PostgreSQL)
bench-pages: install-dev
	$(PY) bench/pages.py

clean:
	rm -rf $(VENV) var
