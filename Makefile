# Bizbot: `make run` serves the web chat on http://localhost:8080, `make test` runs every check.
# Both create .venv and install what they need on a fresh machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := chromium fonts-wqy-microhei poppler-utils

.PHONY: run test test-quick system-deps lint typecheck test-only bench bench-e2e bench-relay bench-stock bench-mrp bench-ledger messages clean

# Tests run on every core (pytest-xdist); the 15 slowest are listed at the end of every run.
PYTEST_PARALLEL ?= -n auto
PYTEST_SLOWEST := --durations=15 --durations-min=1

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	BIZBOT_LOCAL_LOGIN=1 $(BIN)/bizbot serve

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages for the browser, PDF and font tests:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing \
	    || echo "warning: could not install$$missing (not root?); the browser test will be skipped"; \
	fi

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy
	$(BIN)/lint-imports

test-only: $(VENV)/.dev-installed
	$(BIN)/pytest $(PYTEST_PARALLEL) $(PYTEST_SLOWEST)

# The inner loop while developing: unit tests and SQLite only (make test runs everything).
test-quick: $(VENV)/.dev-installed
	$(BIN)/pytest $(PYTEST_PARALLEL) $(PYTEST_SLOWEST) -m "not pg and not slow" tests/unit tests/integration

test: system-deps lint typecheck test-only

bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench.pipeline

# Slack end to end: signed /biz whoami from 3,000 members -> bizbot serve -> replies received by a
# fake Slack, with the bare aiohttp baseline and a 5,000-request burst (docs/PERFORMANCE.md).
bench-e2e: $(VENV)/.dev-installed
	$(BIN)/python -m bench.e2e

# 10,000 timer cards over 100 conversations through the relay, beside one blocked long queue:
# send lateness against the same cards spread one per conversation (docs/PERFORMANCE.md).
bench-relay: $(VENV)/.dev-installed
	$(BIN)/python -m bench.relay --db sqlite
	$(BIN)/python -m bench.relay --db postgresql

# The ERP stock ledger at 1,000,000 moves: the /stock read and posting (docs/PERFORMANCE.md).
bench-stock: $(VENV)/.dev-installed
	$(BIN)/python -m bench.stock --db sqlite
	$(BIN)/python -m bench.stock --db postgresql

# MRP on 10,000 parts, BOMs 5 levels deep, 50,000 needs, against a naive explosion: the engine
# alone, then the full run_mrp from SQLite and from PostgreSQL (docs/PERFORMANCE.md).
bench-mrp: $(VENV)/.dev-installed
	$(BIN)/python -m bench.mrp
	$(BIN)/python -m bench.mrp --db sqlite
	$(BIN)/python -m bench.mrp --db postgresql

# The statements over 1,000,000 journal lines against the plain GROUP BY (docs/PERFORMANCE.md).
bench-ledger: $(VENV)/.dev-installed
	$(BIN)/python -m bench.ledger --db sqlite
	$(BIN)/python -m bench.ledger --db postgresql

# Re-extract translatable strings and merge them into the Chinese catalog.
messages: $(VENV)/.dev-installed
	mkdir -p var
	$(BIN)/pybabel extract --no-default-keywords -k _ -k t:2 -k gettext:2 -k DomainError -k NotFound \
	  -k Conflict -k Forbidden -k ArgumentError -k FrameError -k EntryProblem -k Attention -k ConditionRefused -k msgid \
	  --no-location -o var/bizbot.pot \
	  bot adapters commands domain scheduler
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i var/bizbot.pot -d bot/locale -D bizbot -l zh_CN

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
