# banditops: the two quick-start commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The verified dataset copies beside the project; override with `make demo DATA_DIR=...`
# or set BANDITOPS_DATA_DIR yourself.
DATA_DIR ?= $(abspath ../shared/data)
export BANDITOPS_DATA_DIR ?= $(DATA_DIR)
OUT    ?= results

.PHONY: venv demo test test-all lint typecheck bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(BIN)/.installed

## The main job on real data: replay census income and vehicle-claim fraud through the six strategies.
demo: venv
	$(BIN)/banditops simulate --dataset adult --out $(OUT)/adult
	$(BIN)/banditops simulate --dataset vehicle-claims --out $(OUT)/vehicle-claims

## The test suite (the long real-data runs, marked slow, are in test-all).
test: venv
	$(BIN)/python -m pytest -m "not slow" -p no:cacheprovider

test-all: venv
	$(BIN)/python -m pytest -p no:cacheprovider

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: venv
	$(BIN)/mypy

bench: venv
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) $(OUT) build dist src/*.egg-info
