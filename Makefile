# banditops: the two quick-start commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The verified dataset copies beside the project; override with `make demo DATA_DIR=...`
# or set BANDITOPS_DATA_DIR yourself.
DATA_DIR ?= $(abspath ../shared/data)
export BANDITOPS_DATA_DIR ?= $(DATA_DIR)
OUT    ?= results

.PHONY: venv demo test test-all lint typecheck bench clean postgres-bin

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

## The router's PostgreSQL tests start a throwaway server from the installed binaries;
## install them (Debian's postgresql) when they are missing and we may (root).
postgres-bin:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then \
		:; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing PostgreSQL server binaries for the tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else \
		echo "PostgreSQL server binaries are missing (install postgresql); its tests will fail" >&2; \
	fi

## The test suite (the long real-data runs, marked slow, are in test-all).
test: venv postgres-bin
	$(BIN)/python -m pytest -m "not slow" -p no:cacheprovider

test-all: venv postgres-bin
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
