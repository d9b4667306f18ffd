# The README's two commands: `make demo` and `make test`. Each installs what it needs first:
# a virtualenv in .venv (PyPI, halmos included) and node_modules (npm: solcjs, OpenZeppelin, EntryPoint,
# anvil, forge for the Solidity tests that `make test` runs through tests/foundry, Alto and viem;
# npm ci runs patch-package, which applies patches/ to Alto).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test compile bench install

demo: install
	$(BIN)/python -m aa_auth demo
	$(BIN)/python -m aa_auth gateway demo

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python scripts/bench.py

compile: install
	$(BIN)/python scripts/compile.py

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

node_modules/.installed: package.json package-lock.json $(wildcard patches/*.patch)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@
