# infra-fleet: the two commands are `make run` and `make test`; everything else is a step of them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium
PORTAL_PORT ?= 8000
DEVCLUSTER_PORT ?= 8001

.PHONY: help install chromium lint typecheck importlint test test-fast run db-upgrade crds clean

help:
	@echo "make run    install, migrate var/portal.db, start devcluster's demo and the portal on http://127.0.0.1:$(PORTAL_PORT)"
	@echo "make test   install, lint, type-check and run every test (SQLite and PostgreSQL)"

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(INSTALLED)

# Debian's Chromium for the browser tests (Playwright's own browser download does not work here).
chromium:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "Chromium not found at $(CHROMIUM): install Debian's 'chromium' package for the browser tests"; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy --strict portal

importlint: install
	$(BIN)/lint-imports

test: install chromium lint typecheck importlint
	$(BIN)/pytest

db-upgrade: install
	$(BIN)/portal db upgrade

run: install db-upgrade
	$(BIN)/portal demo --port $(PORTAL_PORT) --devcluster-port $(DEVCLUSTER_PORT)

# The pinned Flagger and Flux CRDs, for machines without ../shared/crds (needs internet access).
crds: install
	$(BIN)/python scripts/fetch_crds.py var/crds
	@echo "export PORTAL_CRDS_DIR=$$PWD/var/crds DEVCLUSTER_CRDS_DIR=$$PWD/var/crds"

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache test-artifacts
