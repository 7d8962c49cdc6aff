# Hmong Artisans — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo clock lets staff move the site's time forward to watch deadlines fire (`make run` only).
DEMO_CLOCK ?= true

.PHONY: run test lint check ci bench-pages bench-deadlines bench-checkout install install-dev migrate seed clean \
	translations messages i18n-check

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

## make translations: compile locale/*/LC_MESSAGES/django.po to .mo (Babel; also done by run and test)
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))
locale/%.mo: locale/%.po | $(VENV)/.installed
	$(PY) manage.py compile_translations
translations: $(MO_FILES)

## make messages: refresh the catalogues from the code and templates (needs GNU gettext's xgettext)
messages: install
	$(PY) manage.py makemessages -l fr -l es -l ru -l pt --no-location --no-obsolete \
		-i ".venv/*" -i "var/*" -i "tests/*" -i "bench/*"
	$(PY) manage.py makemessages -d djangojs -l fr -l es -l ru -l pt --no-location --no-obsolete \
		-i ".venv/*" -i "var/*" -i "tests/*" -i "bench/*"

## make i18n-check: fail listing every untranslated or fuzzy interface string (CI runs it)
i18n-check: install
	bash .ci/i18n-check

migrate: install translations
	$(PY) manage.py migrate --no-input

## make seed: the demo data (idempotent); SEED_ARGS="--products 1000 --no-images" for more
seed: migrate
	$(PY) manage.py seed_demo $(SEED_ARGS)

## make run: set everything up and serve the site with its workers at http://$(HOST):$(PORT)
run: seed
	DEMO_CLOCK=$(DEMO_CLOCK) $(PY) manage.py serve --host $(HOST) --port $(PORT)

## make test: the whole suite (on SQLite, or on the database in DATABASE_URL)
test: install-dev translations
	$(PY) -m pytest -q --durations=10 $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check src tests bench
	$(PY) manage.py makemigrations --check --dry-run

check: lint

## make ci: what CI runs — tests on SQLite and PostgreSQL, lint, migrations check
ci:
	bash .ci/run

## make bench-pages: page throughput against the floor view (gunicorn + PostgreSQL)
bench-pages: install-dev
	$(PY) bench/pages.py

## make bench-deadlines: deadline firings per second with 10k, 100k and 1M pending (PostgreSQL);
## N=10000 (or N=10000,100000) for a quick run; LEDGER=1 journals the paid orders' captures, so
## that each closing refund also posts to the ledger
bench-deadlines: install-dev
	$(PY) bench/deadlines.py $(if $(N),--sizes $(N))

## make bench-checkout: orders placed and paid per second through the real checkout with two
## coupons (4 clients, simulated provider, PostgreSQL), next to pgbench's TPC-B-like TPS
bench-checkout: install-dev
	$(PY) bench/checkout.py

clean:
	rm -rf $(VENV) var
