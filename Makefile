# Trademan — entry points (names are relied on by docs and checks; see README).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
# PostgreSQL for the second run of the Base suite (make test); empty = SQLite only.
DATABASE_URL ?=

.PHONY: setup test test-sqlite test-postgres lint format demo bench chaos lock clean docker-test

$(STAMP): requirements/dev.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	@touch $(STAMP)

setup: $(STAMP)

## make test: the whole suite offline on SQLite, then the Base suite on PostgreSQL
## when DATABASE_URL names a reachable server.
test: setup
	env -u DATABASE_URL $(BIN)/python -m pytest
	@if [ -n "$(DATABASE_URL)" ]; then \
	  if DATABASE_URL="$(DATABASE_URL)" $(BIN)/python scripts/db_reachable.py; then \
	    echo "== Base suite on PostgreSQL =="; \
	    DATABASE_URL="$(DATABASE_URL)" $(BIN)/python -m pytest tests/trademan && \
	    DATABASE_URL="$(DATABASE_URL)" $(BIN)/python -m pytest -m postgres tests/deploy; \
	  else echo "== PostgreSQL at DATABASE_URL not reachable: Base suite ran on SQLite only =="; fi; \
	else echo "== DATABASE_URL not set: Base suite ran on SQLite only =="; fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy trademan bot simulator

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

demo: setup
	$(BIN)/python scripts/demo.py

bench: setup
	$(BIN)/python -m bench

## make chaos: SIGKILL a real bot at random moments against the simulator with faults on and
## check the invariants after every cycle (not part of make test). CHAOS_CYCLES, CHAOS_SEED.
chaos: setup
	$(BIN)/python scripts/chaos.py

## make docker-test: build the images and run the stack in a real Docker engine (paper mode),
## then build the bot and Base for linux/arm/v7 and import every module there (README,
## "Deployment"). Prepares what is missing (engine, base images); not part of `make test`.
docker-test: setup
	scripts/docker-test.sh

## Regenerate the lock file and the per-deployable requirements (needs uv).
lock:
	uv lock --python $(PY)
	for x in base bot simulator; do uv export --frozen --no-dev --extra $$x --no-emit-project --format requirements-txt -q -o requirements/$$x.txt; done
	uv export --frozen --all-extras --group dev --no-emit-project --format requirements-txt -q -o requirements/dev.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
