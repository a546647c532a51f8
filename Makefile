# The README's two commands. Both build .venv from the pinned constraints on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CASE ?= demo-case

.PHONY: demo test lint typecheck contracts pytest pytest-clock browser faketime clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[emulator,dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/lambda-ir demo --case $(CASE)

test: lint typecheck contracts pytest pytest-clock

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(BIN)/.installed
	$(BIN)/mypy

contracts: $(BIN)/.installed
	$(BIN)/lint-imports

pytest: $(BIN)/.installed browser
	$(BIN)/pytest -n auto --dist loadscope -q

# The date-sensitive tests again with the clock moved (libfaketime, every process and thread):
# 400 days ahead (nothing may depend on today's date) and 2 hours back (a stale clock).
# Monotonic clocks stay real: Python's timed waits would otherwise never return.
CLOCK_TESTS ?= tests/emulator tests/acquire tests/timeline tests/report tests/test_demo.py tests/test_clock_shift.py
FAKETIME_LIB := /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
pytest-clock: $(BIN)/.installed faketime
	@for shift in +400d -2h; do \
	  echo "== pytest with the clock moved $$shift: $(CLOCK_TESTS)"; \
	  LD_PRELOAD=$(FAKETIME_LIB) FAKETIME="$$shift" DONT_FAKE_MONOTONIC=1 LAMBDA_IR_CLOCK_SHIFT="$$shift" \
	    $(BIN)/pytest -n auto --dist loadscope -q -p no:cacheprovider $(CLOCK_TESTS) || exit 1; \
	done

# Debian's libfaketime for pytest-clock: installed when we may (root); without it the clocked
# runs cannot happen, which fails the target rather than passing it unchecked.
faketime:
	@[ -e $(FAKETIME_LIB) ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libfaketime >/dev/null); } \
	  || { echo "libfaketime is missing: apt-get install libfaketime (needed by make pytest-clock)"; exit 1; }

# Debian's chromium for the report's browser tests; installed when we may (root), skipped otherwise.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium not installed: browser tests will be skipped"; }

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
