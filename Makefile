# The two commands the README gives: `make run` and `make test`. Everything they need is
# installed from this repository's own files (pyproject.toml, tests/browser/package.json) and,
# for the browser tests, Debian's chromium package; for the mail tests, Debian's postfix and
# dovecot-core (each test run configures a private instance on 127.0.0.1).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint audit fakes bench bench-stats install install-test browser-deps mail-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## run: the whole platform on the embedded default (SQLite, server-less broker, outbox folder).
run: $(VENV)/.installed
	scripts/translations compile
	$(BIN)/action-app start --host $(HOST) --port $(PORT)

browser-deps:
	scripts/install-browser-deps

## mail-deps: Debian's Postfix and Dovecot for tests/postfix (no system mail service is started).
mail-deps:
	scripts/install-mail-deps

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	SECRET_KEY=compose-config-check $(BIN)/docker-compose config --quiet

## audit: pip-audit over the installed dependencies; fails on a known vulnerability with a fix.
audit: $(VENV)/.installed-test
	$(BIN)/python scripts/audit-dependencies $(BIN)/python

## test: install what the tests need, then lint, check docker-compose.yml, audit, run pytest
## in TEST_PROCESSES processes (pytest-xdist; each has its own database, Redis, queue and ports;
## a test file stays in one process). TEST_PROCESSES=0 runs everything in this one.
TEST_PROCESSES ?= 2
test: $(VENV)/.installed-test browser-deps mail-deps lint audit
	scripts/translations compile
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile $(PYTEST_ARGS)

## fakes: the project's fake postcodes.io and Members API, for working offline.
fakes: $(VENV)/.installed
	$(BIN)/python -m tests.fakes

## bench: the benchmark suite (see bench/README.md); BENCH_ARGS="--letters 2000" for a short run.
bench: $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e '.[test,bench]'
	scripts/install-bench-deps
	scripts/ensure-services
	$(BIN)/python -m bench $(BENCH_ARGS)

## bench-stats: the organisers' dashboard and stats API at 1,000 and 1,000,000 letters.
bench-stats: $(VENV)/.installed-test
	$(BIN)/python -m bench.stats
