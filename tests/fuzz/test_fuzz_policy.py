"""Fuzzing the policy analyser: any policy text or document, never a crash."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from lambda_ir.analyze.iam import allowed_actions, role_risk
from lambda_ir.analyze.values import parse_policy
from lambda_ir.evidence.manifest import ManifestEntry

_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=15,
)
_KEYS = st.sampled_from(["Effect", "Action", "Resource", "Principal", "Sid", "Condition", "x"])
_STATEMENT = st.dictionaries(_KEYS, _VALUE | st.sampled_from(["Allow", "*", "iam:*"]))
_DOCUMENT = st.one_of(
    _VALUE,
    st.fixed_dictionaries({"Statement": st.one_of(_VALUE, _STATEMENT, st.lists(_STATEMENT))}),
)
ENTRY = ManifestEntry(
    kind="policy",
    acquired_at="2026-01-01T00:00:00Z",
    path="raw/p.json",
    sha256="0" * 64,
    api="lambda:GetPolicy",
    params={"FunctionName": "f"},
    account="111122223333",
    region="us-east-1",
)


@given(_DOCUMENT)
def test_resource_policy_of_any_shape(document: Any) -> None:
    for text in (orjson.dumps(document).decode(), document):
        for statement in parse_policy({"Policy": text}, ENTRY):
            assert isinstance(statement.principals, tuple)
            assert all(isinstance(a, str) for a in statement.actions)


@given(st.lists(_DOCUMENT, max_size=3))
def test_role_policies_of_any_shape(documents: list[Any]) -> None:
    for pattern, resources in allowed_actions(documents):
        assert isinstance(pattern, str)
        assert all(isinstance(r, str) for r in resources)
    risk = role_risk(documents)
    assert risk is None or isinstance(risk, str)


def test_admin_statement_is_still_found_among_junk() -> None:
    documents: list[Any] = [
        "junk",
        {"Statement": ["x", 1, None]},
        {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}},
    ]
    assert role_risk(documents) == "admin-equivalent: Action * on Resource *"
