# Baton: `make run` brings Baton up, `make test` runs the whole suite (lint included).
# Both create .venv on first use and install what they need; nothing downloads at run time.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && { echo $$p; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP ?= $(VENV)/.installed
# The browser tests drive Debian's Chromium; `make test` installs it when missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# The accessibility audit (tests/web/audit.py) runs axe-core, from the npm registry.
AXE := $(VENV)/axe/node_modules/axe-core/axe.min.js

.PHONY: run test lint format clean chaos bench

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Baton needs Python 3.11 or newer on PATH"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/baton dev --demo

test: $(STAMP)
	@command -v chromium >/dev/null || { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y chromium; }
	@command -v npm >/dev/null || { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y npm; }
	@command -v docker-compose >/dev/null || { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends docker-compose; }
	@test -f $(AXE) || npm install --prefix $(VENV)/axe --no-save --no-audit --no-fund axe-core@4
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

# The fault suite's long version (20+ projects, 10+ worker SIGKILLs; some minutes); it
# prints its seed, and BATON_CHAOS_SEED=N replays that plan of faults.
chaos: $(STAMP)
	BATON_CHAOS=long $(BIN)/pytest -p no:cacheprovider tests/faults

# Baton next to bare Temporal on one dev server and one PostgreSQL (8-15 minutes on 2
# cores): prints every figure with its ratio and target, writes bench/results.json.
# BENCH="--quick" for a short run, "--strict" to fail on a target not met.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH)

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .baton .pytest_cache .ruff_cache .hypothesis test-output
