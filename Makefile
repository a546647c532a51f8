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
#
# Which tests: a module is rerun when it, or the code it drives, reads the clock for a date that
# matters: it builds times from now, seeds a scenario (backdated from now), writes or reads logs
# or CloudTrail (PutLogEvents refuses events over 14 days old or 2 hours ahead, LookupEvents keeps
# 90 days), collects or investigates with a window (the CLI's default window included), or runs a
# command that stamps "now" into what it checks (report's generated time). CLOCK_SKIP leaves out
# the modules that do none of that: reports rendered from fixed case data with a fixed generated
# time, the emulator's IAM, code, qualifier, quota and reset tests, and window-less collects
# (their only clock readings are custody and manifest stamps, never compared with a date). A new
# module under these folders is rerun unless it is named here.
CLOCK_TESTS ?= tests/emulator tests/acquire tests/timeline tests/report tests/test_demo.py tests/test_clock_shift.py
CLOCK_SKIP ?= tests/report/test_blast.py tests/report/test_browser.py \
  tests/report/test_capabilities.py tests/report/test_escape.py tests/report/test_excerpts.py \
  tests/report/test_first_screen.py tests/report/test_formats.py tests/report/test_highlight.py \
  tests/report/test_markdown_golden.py tests/report/test_same_names.py tests/report/test_since.py \
  tests/emulator/test_iam_enforce.py tests/emulator/test_iam_conditions.py \
  tests/emulator/test_iam_managed.py tests/emulator/test_lambda_code.py \
  tests/emulator/test_lambda_qualifiers.py tests/emulator/test_ecr_layers.py \
  tests/emulator/test_reset.py tests/emulator/test_quotas_faults.py \
  tests/acquire/test_call_plan.py tests/acquire/test_denied.py tests/acquire/test_download.py \
  tests/acquire/test_triggers.py tests/acquire/test_catalogue.py tests/acquire/test_work.py \
  tests/acquire/test_evidence_cases.py
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
	LAMBDA_IR_CLOCK_SHIFT=+400d $(CLOCK_RUN) $(CLOCK_TESTS) $(addprefix --ignore=,$(CLOCK_SKIP))
	@echo "== pytest with the clock moved 2 hours back: $(CLOCK_TESTS_BACK)"
	LAMBDA_IR_CLOCK_SHIFT=-2h $(CLOCK_RUN) $(CLOCK_TESTS_BACK)

# Debian's chromium for the report's browser tests; installed when we may (root), skipped otherwise.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium not installed: browser tests will be skipped"; }

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
