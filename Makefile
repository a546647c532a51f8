# The README's two commands. Both build .venv from the pinned constraints on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CASE ?= demo-case

.PHONY: demo test lint typecheck contracts pytest browser clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[emulator,dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/lambda-ir demo --case $(CASE)

test: lint typecheck contracts pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(BIN)/.installed
	$(BIN)/mypy

contracts: $(BIN)/.installed
	$(BIN)/lint-imports

pytest: $(BIN)/.installed browser
	$(BIN)/pytest -n auto --dist loadscope -q

# Debian's chromium for the report's browser tests; installed when we may (root), skipped otherwise.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium not installed: browser tests will be skipped"; }

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
