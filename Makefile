# User entry points. Every target creates .venv on first use, so a fresh clone needs only Python 3.11,
# make and git. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
ENV ?= dev
VENV := .venv
BIN := $(VENV)/bin
TOOLING := $(BIN)/tooling
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30
# The hashed locks every install uses (`make lock` writes them): pip and setuptools (the installer and the
# build backend), the runtime dependencies alone (what deploy jobs install), and runtime + dev.
LOCK_BOOTSTRAP := requirements/bootstrap.txt
LOCK_RUNTIME := requirements/runtime.txt
LOCK_DEV := requirements/dev.txt
PIP_INSTALL = $(BIN)/python -m pip install --quiet --disable-pip-version-check
# uv resolves the locks, from a throwaway venv of its own (it is not a dependency of the project).
LOCK_VENV := .venv-lock
UV_VERSION := 0.13.8
UV_COMPILE = $(LOCK_VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock"
E2E_ENVS ?= dev prod
# `make apply AUTO_APPROVE=1` / `make destroy AUTO_APPROVE=1`: no confirmation prompt (CI, scripts).
AUTO_APPROVE ?=
WORKFLOWS := .github/workflows
# `make scan SCAN_SARIF=FILE` also writes checkov's SARIF report to FILE (ci.yml uploads it to code scanning).
SCAN_SARIF ?=
comma := ,
# A real terraform on PATH wins, looked up without .venv/bin (an activated venv puts the wrapper's 1.0.3
# first); else that pinned wrapper binary, which is enough for `fmt`. tooling finds its own (>= 1.5).
TERRAFORM_FMT = $(shell PATH="$$(echo "$$PATH" | tr ':' '\n' | grep -vxF '$(abspath $(BIN))' | paste -sd: -)" \
	command -v terraform 2>/dev/null || echo $(BIN)/terraform)

.DEFAULT_GOAL := help
.PHONY: help install install-runtime lock hooks test tftest e2e lint fmt scan validate plan apply destroy outputs publish monitor demo bench clean

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

# Every package comes from a lock and must match its hash (pip refuses anything unlisted); the project itself
# goes in last, without dependencies and with the locked setuptools (no unhashed build environment).
# `pip check` then proves the locked set satisfies every declared requirement.
define install_locked
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --require-hashes -r $(LOCK_BOOTSTRAP)
	$(PIP_INSTALL) --require-hashes -r $(1)
	$(PIP_INSTALL) --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check --disable-pip-version-check
endef

$(VENV)/.installed: pyproject.toml $(LOCK_BOOTSTRAP) $(LOCK_DEV)
	$(call install_locked,$(LOCK_DEV))
	touch $@

$(VENV)/.installed-runtime: pyproject.toml $(LOCK_BOOTSTRAP) $(LOCK_RUNTIME)
	$(call install_locked,$(LOCK_RUNTIME))
	touch $@

install: $(VENV)/.installed ## Create .venv with the tooling and its dev dependencies (hashed lock)

install-runtime: $(VENV)/.installed-runtime ## Create .venv with the tooling and its runtime dependencies only (deploy jobs)

$(LOCK_VENV)/.installed:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	touch $@

# dev first: the runtime lock is constrained to it, so deploy jobs run the versions the tests ran.
lock: $(LOCK_VENV)/.installed ## Re-resolve requirements/*.txt (hashed) from pyproject.toml and bootstrap.in
	$(UV_COMPILE) requirements/bootstrap.in -o $(LOCK_BOOTSTRAP)
	$(UV_COMPILE) pyproject.toml --extra dev -o $(LOCK_DEV)
	$(UV_COMPILE) pyproject.toml -c $(LOCK_DEV) -o $(LOCK_RUNTIME)

hooks: $(VENV)/.installed ## Install the pre-commit hooks (.pre-commit-config.yaml) into .git/hooks
	$(BIN)/pre-commit install --install-hooks

test: $(VENV)/.installed ## Run the test suite (offline, no AWS credentials), terraform test on the modules included
	$(BIN)/pytest -q

tftest: $(VENV)/.installed ## terraform test on every module alone (prints runs and assertions; skips without terraform >= 1.7)
	$(BIN)/pytest -q tests/terraform/test_terraform_test.py

e2e: $(VENV)/.installed ## Real terraform + AWS provider against moto: apply, re-plan, publish, monitor, destroy
	$(TOOLING) e2e $(foreach e,$(E2E_ENVS),--env $(e))

lint: $(VENV)/.installed ## ruff, mypy --strict, terraform fmt, offline schema check, actionlint and zizmor
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy tooling tooling_testing lambda_src .github/scripts
	$(TERRAFORM_FMT) fmt -check -recursive -diff terraform
	@if [ -x ../shared/tools/tf-offline-validate ]; then $(BIN)/python ../shared/tools/tf-offline-validate terraform; \
	 else echo "tf-offline-validate not present: skipped"; fi
	$(BIN)/actionlint -no-color -shellcheck $(BIN)/shellcheck -pyflakes '' $(wildcard $(WORKFLOWS)/*.yml)
	$(BIN)/zizmor --offline --no-progress $(WORKFLOWS)

fmt: $(VENV)/.installed ## Format Python (ruff) and Terraform (terraform fmt)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(TERRAFORM_FMT) fmt -recursive terraform

$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	touch $@

scan: $(CHECKOV_VENV)/.installed ## checkov on terraform/ from its own venv; fails on any failed check
	$(CHECKOV_VENV)/bin/checkov --directory terraform --framework terraform --skip-download --compact --quiet \
	  $(if $(SCAN_SARIF),--output cli --output sarif --output-file-path console$(comma)$(SCAN_SARIF))

validate: $(VENV)/.installed ## Validate environments/$(ENV).toml
	$(TOOLING) config validate --env $(ENV)

plan: $(VENV)/.installed ## Validate, package, tfvars, terraform init + plan against AWS
	$(TOOLING) plan --env $(ENV)

apply: $(VENV)/.installed ## Validate, package, tfvars, init, plan, apply to AWS, cache outputs
	$(TOOLING) apply --env $(ENV) --target aws $(if $(AUTO_APPROVE),-y)

destroy: $(VENV)/.installed ## Destroy the environment on its recorded target
	$(TOOLING) destroy --env $(ENV) $(if $(AUTO_APPROVE),-y)

outputs: $(VENV)/.installed ## Show the cached deployment outputs
	$(TOOLING) outputs --env $(ENV)

publish: $(VENV)/.installed ## Publish a mixed batch of 100 events to the deployed bus
	$(TOOLING) publish batch --env $(ENV) --count 100 --seed 7

monitor: $(VENV)/.installed ## Show the monitor of the deployed environment
	$(TOOLING) monitor --env $(ENV)

demo: $(VENV)/.installed ## The whole architecture on this machine: apply local, publish, process, monitor
	$(TOOLING) demo --env $(ENV)

bench: $(VENV)/.installed ## Run the benchmarks (figures and ratios to their baselines)
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean: ## Remove build output and local state (not the venvs)
	rm -rf build .tooling .pytest_cache .mypy_cache .ruff_cache .hypothesis terraform/.terraform terraform/terraform.tfstate.d terraform/backend_override.tf
