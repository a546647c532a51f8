"""Exports streamed a block at a time: the same bytes as the whole render, in any block size."""

from __future__ import annotations

import pytest

from lambda_ir.model import Actor, EvidenceRef, Finding, Severity
from lambda_ir.report.blocks import indented_chunks
from lambda_ir.report.findings_csv import csv_chunks, render_csv
from lambda_ir.report.ocsf import ocsf_bytes, ocsf_chunks
from lambda_ir.report.sarif import sarif_bytes, sarif_chunks

# Non-ASCII, bidi, C1 and DEL (escaped per block by `sanitize.json_bytes`), a formula start
# and line breaks (CSV), and the text of the key SARIF's results are streamed under.
HOSTILE = '=caf\u00e9 \u202egnp.exe\u202c \x85\x7f "results": [] \r\n'
# Out of order on purpose: a rule's index is where its detector first appears.
DETECTORS = ("LIR-TEST-002", "LIR-TEST-001", "LIR-TEST-003")
BLOCKS = (1, 2, 7)
COUNTS = (0, 1, 5)


def _findings(count: int) -> tuple[Finding, ...]:
    return tuple(
        Finding(
            id=f"{DETECTORS[n % 3]}:{n}",
            detector=DETECTORS[n % 3],
            title=f"{HOSTILE}{n}",
            severity=(Severity.CRITICAL, Severity.MEDIUM, Severity.INFO)[n % 3],
            resource=f"arn:aws:lambda:eu-west-1:111122223333:function:f{n}",
            account="111122223333",
            region="eu-west-1",
            summary=HOSTILE,
            evidence=(EvidenceRef("blobs/sha256/aa/" + "a" * 64, "a" * 64, member="app.py"),)
            if n % 2
            else (),
            attack=("T1496",),
            time="2026-11-28T22:14:05Z" if n % 2 else None,
            details={"results": [], "line": n + 1, "note": HOSTILE},
            actor=Actor(arn="arn:aws:iam::111122223333:user/mallory", source_ip="203.0.113.7")
            if n % 3 == 1
            else None,
        )
        for n in range(count)
    )


@pytest.mark.parametrize("block", BLOCKS)
@pytest.mark.parametrize("count", COUNTS)
def test_sarif_chunks_join_to_the_whole_log(count: int, block: int) -> None:
    findings = _findings(count)
    assert b"".join(sarif_chunks(findings, block)) == sarif_bytes(findings)


@pytest.mark.parametrize("block", BLOCKS)
@pytest.mark.parametrize("count", COUNTS)
def test_ocsf_chunks_join_to_the_whole_file(count: int, block: int) -> None:
    findings = _findings(count)
    generated = "2026-11-29T10:00:00Z"
    assert b"".join(ocsf_chunks(findings, generated, block)) == ocsf_bytes(findings, generated)


@pytest.mark.parametrize("block", BLOCKS)
@pytest.mark.parametrize("count", COUNTS)
def test_csv_chunks_join_to_the_whole_file(count: int, block: int) -> None:
    findings = _findings(count)
    assert b"".join(csv_chunks(findings, block)) == render_csv(findings).encode()


def test_a_list_that_is_not_the_last_value_is_refused() -> None:
    # After `items` comes another value: streaming into the end would put it before them.
    with pytest.raises(ValueError, match="last value"):
        list(indented_chunks({"items": [], "count": 0}, "items", [1, 2], 1))
