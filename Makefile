# Two commands that work on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: run test lint format migrate seed bench schema clean

$(BIN)/shoppable: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/shoppable
	DEBUG=$${DEBUG:-1} $(BIN)/shoppable migrate
	DEBUG=$${DEBUG:-1} $(BIN)/shoppable seed
	DEBUG=$${DEBUG:-1} $(BIN)/shoppable serve --host 127.0.0.1 --port 8000 --no-migrate

test: $(BIN)/shoppable
	$(BIN)/ruff check shoppable tests bench
	$(BIN)/ruff format --check shoppable tests bench
	$(BIN)/pytest -q

lint: $(BIN)/shoppable
	$(BIN)/ruff check shoppable tests bench

format: $(BIN)/shoppable
	$(BIN)/ruff check --fix shoppable tests bench
	$(BIN)/ruff format shoppable tests bench

migrate: $(BIN)/shoppable
	$(BIN)/shoppable migrate

seed: $(BIN)/shoppable
	DEBUG=$${DEBUG:-1} $(BIN)/shoppable seed

schema: $(BIN)/shoppable
	$(BIN)/shoppable schema > schema.graphql

bench: $(BIN)/shoppable
	$(BIN)/python bench/graphql_overhead.py

clean:
	rm -rf $(VENV) shoppable.db shoppable.db-* media var .pytest_cache .ruff_cache
