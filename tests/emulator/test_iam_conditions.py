"""Enforcement honours dates on aws:TokenIssueTime (the revoke-sessions policy), nothing more."""

from __future__ import annotations

from lambda_ir.emulator.iam_conditions import ISSUE_TIME_KEY, condition_matches
from lambda_ir.emulator.iam_enforce import evaluate

CUTOFF = {"DateLessThan": {"aws:TokenIssueTime": "2030-01-01T12:00:00Z"}}
REVOKE = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "lambda:*", "Resource": "*"},
        {"Effect": "Deny", "Action": ["*"], "Resource": ["*"], "Condition": CUTOFF},
    ],
}


def test_a_session_issued_before_the_cutoff_is_denied_one_after_is_not() -> None:
    before = {ISSUE_TIME_KEY: "2030-01-01T11:59:59Z"}
    after = {ISSUE_TIME_KEY: "2030-01-01T12:00:00Z"}
    assert condition_matches(CUTOFF, before) is True
    assert condition_matches(CUTOFF, after) is False
    denied = evaluate([REVOKE], "lambda:GetFunction", "*", before)
    assert not denied.allowed and denied.explicit_deny
    assert evaluate([REVOKE], "lambda:GetFunction", "*", after).allowed


def test_long_term_keys_carry_no_issue_time_and_other_conditions_stay_unevaluated() -> None:
    assert condition_matches(CUTOFF, {}) is False  # a missing key never matches
    assert evaluate([REVOKE], "lambda:GetFunction", "*", {}).allowed
    assert condition_matches({"StringEquals": {"aws:username": "x"}}, {}) is None
    assert condition_matches({"DateLessThan": {"aws:CurrentTime": "2030-01-01"}}, {}) is None
    either = {"DateGreaterThan": {"aws:TokenIssueTime": ["2031-01-01", "2029-01-01T00:00:00Z"]}}
    assert condition_matches(either, {ISSUE_TIME_KEY: "2030-06-01T00:00:00Z"}) is True
