# Bot Pool — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Ansible and ansible-lint live in their own virtualenv (pinned in ansible/requirements.txt).
AVENV ?= .venv-ansible
ABIN := $(AVENV)/bin
ASTAMP := $(AVENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=
# `make test` runs the tests in 2 processes (pytest-xdist; each starts its own PostgreSQL, Redis and
# stand-ins on free ports): most of an end-to-end test's time is spent waiting on other processes.
# `make test PYTEST_PARALLEL=` runs them in one.
PYTEST_PARALLEL ?= -n 2 --dist worksteal

.DEFAULT_GOAL := help

.PHONY: help install system-deps lint fmt test test-unit demo demo-keep bench bench-booking \
	bench-sales bench-redis bench-reconcile bench-memory clean ansible-tools deploy-deps deploy-test lint-deploy

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

system-deps: ## apt-install what is missing: redis-server, PostgreSQL, python3-venv
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v pg_config >/dev/null || missing="$$missing postgresql postgresql-contrib"; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	  if [[ "$$missing" == *postgresql* ]]; then $(SUDO) service postgresql stop >/dev/null 2>&1 || true; fi; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: system-deps $(STAMP) ## everything needed to run and test (idempotent)

lint: install lint-deploy ## check only: ruff, ansible-lint, playbook syntax, systemd units
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

$(ASTAMP): ansible/requirements.txt
	$(PYTHON) -m venv $(AVENV)
	$(ABIN)/pip install -q --upgrade pip
	$(ABIN)/pip install -q -r ansible/requirements.txt
	touch $(ASTAMP)

ansible-tools: $(ASTAMP) ## Ansible + ansible-lint in .venv-ansible

deploy-deps: ## apt-install what deploy-test needs: debootstrap, systemd-nspawn
	@command -v debootstrap >/dev/null && command -v systemd-nspawn >/dev/null || { \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    debootstrap systemd-container >/dev/null; }

lint-deploy: ansible-tools ## ansible-lint, ansible-playbook --syntax-check, systemd-analyze verify
	cd ansible && ../$(ABIN)/ansible-playbook --syntax-check -i inventory/example.yml deploy.yml
	PATH="$(CURDIR)/$(ABIN):$$PATH" $(ABIN)/ansible-lint ansible/
	cd ansible && PATH="$(CURDIR)/$(ABIN):$$PATH" ../$(ABIN)/ansible-playbook -i localhost, tests/verify-units.yml
	cd ansible && ../$(ABIN)/ansible-playbook -i inventory/example.yml tests/slots.yml

deploy-test: install ansible-tools deploy-deps ## provision a booted Debian 12 container with Ansible and check it
	$(SUDO) ansible/tests/deploy-test.sh

fmt: install ## rewrite: ruff format and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install ## unit, integration (real PostgreSQL + Redis) and end-to-end tests
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

test-unit: install ## unit tests only (fast)
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

demo: install ## start the whole system locally on the sandbox, show an activation, stop
	$(BIN)/python -m scripts.demo

demo-keep: install ## like demo, but keep everything running and print what to try
	$(BIN)/python -m scripts.demo --keep

bench: install ## activation latency and worker memory, then the booking bot's figures
	$(BIN)/python -m bench.activation
	$(BIN)/python -m bench.booking

bench-booking: install ## free-slot computation time and booking-flow throughput (updates/s)
	$(BIN)/python -m bench.booking

bench-sales: install ## payment → notice p50/p95 over 24 purchases; 20 at once against a pool of 10
	$(BIN)/python -m bench.sales

bench-redis: install ## Redis memory after 10,000 abandoned conversations, and once FSM_TTL passed
	$(BIN)/python -m bench.redis_memory

bench-reconcile: install ## time of one reconciliation pass over 1,000 running tenants
	$(BIN)/python -m bench.reconcile

bench-memory: install ## 20 slots standalone vs forked: PSS, start time, activation, PG connections
	$(BIN)/python -m bench.memory

clean: ## remove the virtualenv and run directories
	rm -rf $(VENV) $(AVENV) .run .pytest_cache .ruff_cache *.egg-info
