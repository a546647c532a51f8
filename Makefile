# The README's two commands. Both build .venv from the pinned constraints on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CASE ?= demo-case

.PHONY: demo test lint typecheck contracts pytest pytest-clock browser clean

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

# The date-sensitive tests again with the clock moved: 400 days ahead (nothing may depend on
# today's date) and 2 hours back (a stale clock). tests/clock/sitecustomize.py moves the wall
# clock of every Python process of the run (xdist workers and CLI subprocesses included) with
# time-machine; monotonic clocks stay real. (libfaketime was tried: 0.9.10 breaks either
# Python's timed waits or time.sleep.)
CLOCK_TESTS ?= tests/emulator tests/acquire tests/timeline tests/report tests/test_demo.py tests/test_clock_shift.py
pytest-clock: $(BIN)/.installed
	@for shift in +400d -2h; do \
	  echo "== pytest with the clock moved $$shift: $(CLOCK_TESTS)"; \
	  PYTHONPATH=tests/clock LAMBDA_IR_CLOCK_SHIFT="$$shift" \
	    $(BIN)/pytest -n auto --dist loadscope -q -p no:cacheprovider \
	      -W ignore::pytest.PytestAssertRewriteWarning $(CLOCK_TESTS) || exit 1; \
	done

# Debian's chromium for the report's browser tests; installed when we may (root), skipped otherwise.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium not installed: browser tests will be skipped"; }

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
