# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Every direct and indirect dependency, pinned with hashes (`make lock` refreshes them).
LOCK     := requirements/dev.txt
RUNTIME  := requirements/runtime.txt
LOAD     := requirements/load.txt
COMPILE   = $(BIN)/pip-compile --quiet --strip-extras --generate-hashes --allow-unsafe \
            --no-emit-find-links --no-emit-index-url

.PHONY: install run cluster test test-postgres test-cluster load-deps lint format lock screenshots translations clean-instance

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) is needed (set PYTHON=... to use another)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python $(LOCK) pyproject.toml
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	@$(BIN)/python -m shared.i18n_catalogs compile

run: install
	$(BIN)/python -m devserver

# The production rehearsal: two instances of each service and two workers of each behind nginx (TLS),
# on PostgreSQL and Redis (see devserver/cluster.py and the README's "Running several instances").
cluster: install
	$(BIN)/python -m devserver.cluster

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} $(BIN)/python -m pytest $(PYTEST_ARGS)

# The story against `make cluster` started on free ports, with databases of its own (tests/cluster/).
test-cluster: install
	$(BIN)/python -m pytest -m cluster tests/cluster $(PYTEST_ARGS)

# Locust, for the load figures of bench/load/ (never part of the tests or CI).
load-deps: install
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOAD)

# ruff (lint and format check) and mypy over the whole tree; `make format` rewrites the files.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Resolve pyproject.toml's dependencies into the lock files, keeping the versions already pinned
# (a new dependency gets its newest version); `make lock UPGRADE=1` moves everything to the newest allowed.
lock: $(BIN)/python
	@$(BIN)/python -m pip show pip-tools >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet pip-tools
	$(COMPILE) $(if $(UPGRADE),--upgrade) -o $(RUNTIME) pyproject.toml
	$(COMPILE) $(if $(UPGRADE),--upgrade) --extra dev -c $(RUNTIME) -o $(LOCK) pyproject.toml
	@rm -f $(STAMP)

# Rewrites docs/screenshots/*.png from the browser tests (a plain `make test` leaves them alone).
screenshots: install
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser/test_screenshots.py

clean-instance:
	rm -rf instance/*.db instance/*.db-* instance/attachments
