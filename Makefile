# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out

.PHONY: run test lint bench bench-match robustness training-data clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench,spark]'
	touch $(STAMP)

# Today's figures, then the service on a generated world loaded into a fresh store
# (LINKER_DATABASE_URL=sqlite:///$(OUT)/linker.db, set by linker.demo) until Ctrl-C;
# `make run RUN_ONCE=1` stops it after its first ready /readyz (the smoke test of .ci/run).
RUN_PORT ?= 8000
run: $(STAMP)
	$(BIN)/python -m linker.demo --out $(OUT) --serve --port $(RUN_PORT) $(if $(RUN_ONCE),--exit-when-ready)

lint: $(STAMP)
	$(BIN)/ruff check linker api tests benchmarks
	$(BIN)/ruff format --check linker api tests benchmarks
	$(BIN)/mypy

# The store's tests run on PostgreSQL as well as SQLite (tests/store/conftest.py): with this set
# an unreachable server fails them; `make test LINKER_TEST_POSTGRES_URL=...` picks another one.
LINKER_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
test: lint
	LINKER_TEST_POSTGRES_URL='$(LINKER_TEST_POSTGRES_URL)' $(BIN)/pytest -q

# linker runs with its defaults, the default model included (built by `make run`, or here when
# missing or stale: `linker train --if-stale` knows where it lives).
bench: $(STAMP)
	$(BIN)/linker train --if-stale --quiet
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# POST /v1/match and 100-name screenings over HTTP (gunicorn on 127.0.0.1, pinned to CPU 0 where
# taskset exists) at 20 requests/s open loop and with 16 closed-loop clients, beside Splink's
# one-record matching, median of 3 runs (benchmarks/match_load.py); a kept store is reused, e.g.
# BENCH_MATCH_ARGS="--persons 1000000 --db $(OUT)/match-1m.db".
bench-match: $(STAMP)
	$(BIN)/python -m benchmarks.match_load $(BENCH_MATCH_ARGS)

# The robustness matrix (benchmarks/robustness, see benchmarks/README.md), linker at its defaults
# against Splink; the full matrix by default, e.g. ROBUSTNESS_ARGS="--sizes 2,3,10,1000 --jobs 1".
robustness: $(STAMP)
	$(BIN)/linker train --if-stale --quiet
	$(BIN)/python -m benchmarks.robustness $(ROBUSTNESS_ARGS)

# Regenerates training_data/ and the reference scores that the default model must reproduce
# (tests/test_default_model.py); run it after changing the generator, blocking or features.
training-data: $(STAMP)
	$(BIN)/python -m linker.synth.training_pairs --seed 101 --identities 3000 --out training_data
	$(BIN)/linker train --model-dir $(OUT)/reference-model --quiet
	$(BIN)/linker compare-pairs tests/data/reference_pairs.csv --model $(OUT)/reference-model \
		--out tests/data/reference_scores.csv --quiet

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache
