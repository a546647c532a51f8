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
# 2 hours back: the tests of windows, logs, LookupEvents and the seeded demo (the whole set
# again would add 3 minutes to CI for little more).
CLOCK_TESTS_BACK ?= tests/acquire/test_clock_skew.py tests/acquire/test_window.py \
  tests/acquire/test_default_window.py tests/acquire/test_logs.py tests/acquire/test_cloudtrail.py \
  tests/emulator/test_logs_export.py tests/emulator/test_cloudtrail.py tests/emulator/test_scenarios.py \
  tests/test_demo.py tests/test_clock_shift.py
CLOCK_RUN = PYTHONPATH=tests/clock $(BIN)/pytest -n auto --dist loadscope -q -p no:cacheprovider \
  -W ignore::pytest.PytestAssertRewriteWarning
pytest-clock: $(BIN)/.installed
	@echo "== pytest with the clock moved 400 days ahead: $(CLOCK_TESTS)"
	LAMBDA_IR_CLOCK_SHIFT=+400d $(CLOCK_RUN) $(CLOCK_TESTS)
	@echo "== pytest with the clock moved 2 hours back: $(CLOCK_TESTS_BACK)"
	LAMBDA_IR_CLOCK_SHIFT=-2h $(CLOCK_RUN) $(CLOCK_TESTS_BACK)

# Debian's chromium for the report's browser tests; installed when we may (root), skipped otherwise.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium not installed: browser tests will be skipped"; }

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
