"""findings.json written in chunks is byte for byte the one-document form; a finding's
summary and details are redacted exactly as string by string."""

from __future__ import annotations

import dataclasses

import orjson
import pytest

from lambda_ir import sanitize
from lambda_ir.analyze.detector import redacted
from lambda_ir.analyze.engine import CHUNK, findings_json
from lambda_ir.model import Actor, EvidenceRef, Finding, Severity
from lambda_ir.redact import redact_document, redact_text


def _finding(n: int) -> Finding:
    return Finding(
        id=f"LIR-X:{n}",
        detector="LIR-X",
        title="odd \u202e text \x85 é",  # bidi and C1 controls are escaped, é kept
        severity=Severity.HIGH,
        resource="arn:aws:lambda:us-east-1:111122223333:function:f",
        account="111122223333",
        region="",
        summary="two\nlines",
        evidence=(EvidenceRef("trail/a.jsonl.zst", "ab"),),
        actor=Actor("arn:aws:iam::111122223333:user/u"),
        details={"empty": [], "none": {}, "nested": [1, {"k": "v"}]},
    )


@pytest.mark.parametrize("count", [0, 1, 3, CHUNK, 2 * CHUNK + 1])  # across chunk bounds
def test_streamed_findings_json_equals_one_document(count: int) -> None:
    findings = [_finding(n) for n in range(count)]
    whole = orjson.dumps([f.to_json() for f in findings], option=orjson.OPT_INDENT_2)
    assert findings_json(findings) == sanitize.json_bytes(whole) + b"\n"
    assert orjson.loads(findings_json(findings)) == [f.to_json() for f in findings]


def test_tag_characters_are_escaped_in_findings_json() -> None:
    """Tag characters spell ASCII that shows as nothing (`ignore previous` hidden after a
    name): a pager or an editor showed findings.json's summary as plain `orders`."""
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "ignore previous")
    finding = dataclasses.replace(_finding(0), summary=f"orders{hidden}\U000e007f changed")
    written = findings_json([finding])
    assert not any(0xE0000 <= ord(c) <= 0xE007F for c in written.decode())
    assert b"orders\\udb40\\udc69\\udb40\\udc67" in written  # i, g: the surrogate pairs
    assert orjson.loads(written)[0]["summary"] == f"orders{hidden}\U000e007f changed"


SUMMARIES = (
    "arn:aws:sts::1:assumed-role/ci/run changed orders",
    "token=abcdefgh1 leaked",
    'a "quoted": x',
    "ſecret=abcdefg",
    "Bearer abcdefghijk",
)
DETAILS = (
    {"event_ids": ["e1", "e2"], "baseline": {"new": ["network"], "reasons": ["network new"]}},
    {"note": "password=hunter22"},
    {"DB_PASSWORD": "x", "n": 1, "b": True, "z": None, "f": 1.5},
    {"env": {"Variables": {"API_KEY": "abc", "MODE": "fast"}}},
    {"pat": "abc", "token_type": "bearer", "key": 'va":lue'},
    {"url": "https://user:pw@example.com/x", 'we"ird': "x"},
    {1: "a non-string key"},
    {"lone": "\udcff"},
    {"gh": "ghp_" + "a" * 36, "upper": "SECRET=ABCDEFGH"},
)


@pytest.mark.parametrize("summary", SUMMARIES)
def test_one_search_redacts_as_the_long_way(summary: str) -> None:
    """`make_finding` checks a finding's summary and details in one search of their JSON;
    whatever it returns is what redacting string by string returns."""
    for details in DETAILS:
        assert redacted(summary, details) == (redact_text(summary), redact_document(details))


def test_an_actor_gives_every_field_that_is_set_in_order() -> None:
    names = [field.name for field in dataclasses.fields(Actor)]
    every = Actor(*(f"value of {name}" for name in names))
    assert list(every.to_json().items()) == [(name, f"value of {name}") for name in names]
    for gone in names:  # a field left empty is left out, the others keep their order
        some = dataclasses.replace(every, **{gone: ""})
        assert list(some.to_json()) == [name for name in names if name != gone]
