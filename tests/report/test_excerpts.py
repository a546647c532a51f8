"""Evidence opens in place: the CloudTrail record a finding names, log lines, code, bytes.

Only what findings cite is read; attacker text in it is escaped on the page and secrets
are redacted before it gets there.
"""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from lambda_ir.evidence.index import open_index
from lambda_ir.model import EvidenceRef, Finding, Severity
from lambda_ir.redact import REDACTED
from lambda_ir.report import build_facts, render_all
from lambda_ir.report.excerpts import CODE_CONTEXT, HEX_CONTEXT, read_excerpts
from lambda_ir.timeline import build_timeline
from tests.analyze.casebuild import CaseBuilder, zip_bytes
from tests.report.twins import HOT_EVENT, MALLORY, build_twins
from tests.timeline.casebuilder import (
    ACCOUNT,
    PAYLOAD_CODE,
    REGION,
    SECRET_VALUE,
    build_case,
    code_sha256,
    package,
)

GENERATED = "2026-11-29T10:00:00Z"


def test_cloudtrail_record_named_by_the_finding_is_embedded_pretty(tmp_path: Path) -> None:
    twins = build_twins(tmp_path / "case")
    with open_index(twins.case) as index:
        facts = build_facts(twins.case, build_timeline(twins.case, index), GENERATED, index=index)
    (finding,) = facts.findings
    kinds = [e.kind for e in facts.excerpts[finding.id]]
    assert kinds == ["api", "cloudtrail"]
    record = facts.excerpts[finding.id][1]
    assert HOT_EVENT in record.title and record.text.startswith("{\n  ")
    assert record.title.endswith("(trail/111122223333/events.jsonl.zst)")  # read from zstd
    parsed = orjson.loads(record.text)
    assert parsed["eventID"] == HOT_EVENT and parsed["userIdentity"]["arn"] == MALLORY
    assert parsed["awsRegion"] == "us-east-1"  # the hot function's call, not a namesake's
    html = render_all(facts, ("html",))["report.html"].decode()
    assert 'class="ev ev-cloudtrail"' in html and f"&quot;eventID&quot;: &quot;{HOT_EVENT}" in html


def test_log_lines_and_code_are_embedded_redacted_and_escaped(tmp_path: Path) -> None:
    built = build_case(tmp_path / "case", hostile=True)
    case = built.case
    blob = next(
        e
        for e in case.entries()
        if e.kind == "code" and e.meta.get("code_sha256") == code_sha256(package(2, hostile=True))
    )
    logs = next(e for e in case.entries() if e.kind == "logs" and e.path)
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{built.function}"
    findings = (
        Finding(
            id="code",
            detector="LIR-CODE-001",
            title="miner",
            severity=Severity.CRITICAL,
            resource=arn,
            account=ACCOUNT,
            region=REGION,
            summary="",
            evidence=(EvidenceRef(blob.path or "", blob.sha256 or "", member="miner.py"),),
            details={"line": 2},
        ),
        Finding(
            id="logs",
            detector="LIR-LOG-005",
            title="errors",
            severity=Severity.HIGH,
            resource=arn,
            account=ACCOUNT,
            region=REGION,
            summary="",
            evidence=(EvidenceRef(logs.path or "", logs.sha256 or ""),),
        ),
    )
    case.write_derived("findings.json", orjson.dumps([f.to_json() for f in findings]))
    with open_index(case) as index:
        excerpts = read_excerpts(case, index, findings)
        facts = build_facts(case, build_timeline(case, index), GENERATED, index=index)
    (code,) = excerpts["code"]
    assert code.kind == "code" and ">2  # </pre><script>" in code.text
    (lines,) = excerpts["logs"]
    assert "Task timed out" in lines.text and "onerror=window.__pwned=3" in lines.text
    html = render_all(facts, ("html",))["report.html"].decode()
    assert PAYLOAD_CODE.strip() not in html  # escaped, never markup
    assert "&lt;/pre&gt;&lt;script&gt;window.__pwned=7" in html
    assert SECRET_VALUE not in html


def test_a_missing_index_embeds_nothing_and_fails_nothing(tmp_path: Path) -> None:
    built = build_case(tmp_path / "case")
    facts = build_facts(built.case, [], GENERATED)
    assert facts.excerpts == {}
    assert 'details class="evidence"' not in render_all(facts, ("html",))["report.html"].decode()


@pytest.mark.parametrize("offset", [0, 5])
def test_bytes_around_a_yara_offset(tmp_path: Path, offset: int) -> None:
    built = build_case(tmp_path / "case")
    blob = next(e for e in built.case.entries() if e.kind == "code")
    finding = Finding(
        id="y",
        detector="yara:rule",
        title="t",
        severity=Severity.HIGH,
        resource="arn:aws:lambda:eu-west-1:111122223333:function:orders-api",
        account=ACCOUNT,
        region=REGION,
        summary="",
        evidence=(EvidenceRef(blob.path or "", blob.sha256 or "", member="lib/util.py"),),
        details={"offset": offset, "rule": "r"},
    )
    (excerpt,) = read_excerpts(built.case, None, (finding,))["y"]
    # lib/util.py is text, but without a line the match is shown where YARA put it.
    assert excerpt.kind == "bytes" and f"matched at offset {offset}" in excerpt.title
    assert excerpt.text.startswith(">00000000  58 20 3d 20 31")


SECRET_KEY = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
MINER = (
    b"\x7fELF" + b"\0" * 124 + b"stratum+tcp://pool.example.net:3333\0"
    b"aws_secret_access_key=" + SECRET_KEY + b"\0" * 200
)
_AT = MINER.index(SECRET_KEY)


@pytest.mark.parametrize(
    "offset",
    [
        MINER.index(b"stratum"),  # the key over three rows, none holding it whole
        _AT + 24 + HEX_CONTEXT,  # the dump starts inside the value: its name is not shown
        _AT + 20 - HEX_CONTEXT,  # the dump ends inside the value
    ],
)
def test_a_secret_in_a_hex_dump_is_masked_in_both_columns(tmp_path: Path, offset: int) -> None:
    builder = CaseBuilder(tmp_path / "case")
    entry = builder.code(zip_bytes({"bin/helper": MINER}), "fnhex")
    finding = Finding(
        id="y",
        detector="yara:miner",
        title="t",
        severity=Severity.HIGH,
        resource="arn:aws:lambda:eu-west-1:111122223333:function:fnhex",
        account=ACCOUNT,
        region=REGION,
        summary="",
        evidence=(EvidenceRef(entry.path or "", entry.sha256 or "", member="bin/helper"),),
        details={"offset": offset, "rule": "miner"},
    )
    (excerpt,) = read_excerpts(builder.case, None, (finding,))["y"]
    *rows, note = excerpt.text.splitlines()
    masked = 0
    for row in rows:  # every cell is the file's byte at that offset, or ** over the secret
        at = int(row[1:9], 16)
        cells, text = row[11:58].split(), row[60:]
        assert len(cells) == len(text) == len(MINER[at : at + 16])
        for i, (cell, char) in enumerate(zip(cells, text, strict=True)):
            byte, inside = MINER[at + i], _AT <= at + i < _AT + len(SECRET_KEY)
            shown = (
                ("**", "*") if inside else (f"{byte:02x}", chr(byte) if 32 <= byte < 127 else ".")
            )
            assert (cell, char) == shown
            masked += inside
    assert masked and note == f"({masked} bytes of secrets redacted: ** above)"
    for i in range(len(SECRET_KEY) - 3):  # no piece of it, in the text or the hex column
        assert SECRET_KEY[i : i + 4].decode() not in excerpt.text
        assert SECRET_KEY[i : i + 3].hex(" ") not in excerpt.text


PEM_BODY = "MIIEpAIBAAKCAQEA7x9gHxUo0rbWTbx3VgWnmqTbZP0DxrtBs1VxZg4Y"
SECRET_FILES = {  # a secret's parts by line, the line each excerpt shows at its middle
    "the name above the excerpt": (
        ["CONFIG = {", '    "aws_secret_access_key":', f'        "{SECRET_KEY.decode()}",', "}"],
        3 + CODE_CONTEXT,
    ),
    "the name on the line before": (
        ["CONFIG = {", "    aws_secret_access_key =", f"        {SECRET_KEY.decode()}", "}"],
        3,
    ),
    "a key begun above the excerpt": (
        [
            'KEY = """-----BEGIN RSA PRIVATE KEY-----',
            *([PEM_BODY] * 25),
            '-----END RSA PRIVATE KEY-----"""',
        ],
        6 + CODE_CONTEXT,
    ),
}


@pytest.mark.parametrize("secret", SECRET_FILES)
def test_a_secret_cut_by_a_code_excerpt_is_still_redacted(tmp_path: Path, secret: str) -> None:
    parts, middle = SECRET_FILES[secret]
    lines = [f"x{n} = {n}" for n in range(1, 81)]
    lines[20 : 20 + len(parts)] = parts  # from line 21
    builder = CaseBuilder(tmp_path / "case")
    entry = builder.code(zip_bytes({"config.py": "\n".join(lines) + "\n"}), "fn")
    finding = Finding(
        id="c",
        detector="LIR-CODE-001",
        title="t",
        severity=Severity.HIGH,
        resource="arn:aws:lambda:eu-west-1:111122223333:function:fn",
        account=ACCOUNT,
        region=REGION,
        summary="",
        evidence=(EvidenceRef(entry.path or "", entry.sha256 or "", member="config.py"),),
        details={"line": 20 + middle},
    )
    (excerpt,) = read_excerpts(builder.case, None, (finding,))["c"]
    assert SECRET_KEY.decode()[:8] not in excerpt.text and PEM_BODY[:8] not in excerpt.text
    numbered = [re.fullmatch(r".( *\d+)  (.*)", row).groups() for row in excerpt.text.split("\n")]
    assert [int(number) for number, _ in numbered] == list(range(8 + middle, 33 + middle))
    for number, content in numbered:  # every line on its own number, whole or redacted
        assert content == lines[int(number) - 1] or REDACTED in content
