"""The sanitiser, and random Unicode through every text sink: nothing raw reaches a terminal."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.markup import escape

from lambda_ir import sanitize
from lambda_ir.cli.ui import Ui
from lambda_ir.model import EvidenceRef, Finding, Severity, TimelineEvent
from lambda_ir.report.escape import html, markdown, markdown_code, script_json
from lambda_ir.report.findings_csv import render_csv
from lambda_ir.report.ocsf import ocsf_bytes
from lambda_ir.report.sarif import sarif_bytes
from lambda_ir.timeline.output import to_csv
from tests.report.test_formats import sarif_unescaped

# What must never reach a terminal or a text file raw: C0 (but the \n and tab we put
# between lines and columns), DEL, C1, bidi controls, line/paragraph separators, zero-width
# and the other characters that show as nothing (the tags, U+E0000-E007F, among them).
_RAW = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\u3164\ufe00-\ufe0f"
    "\ufeff\uffa0\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
_RAW_IN_FIELD = re.compile(f"[\t\n{_RAW.pattern[1:-1]}]")

# Any text, with the dangerous characters drawn often (not left to chance).
_HOSTILE = st.text(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(
            list(
                "\x1b\x9b\x07\x08\r\n\t\x00\x7f\u202e\u2066\u2028\u0085\u200b\u2060\ufeff[];=+-@|`"
                "\U000e0001\U000e0041\U000e007f\U000e0100\U000e01ef\u180b"
            )
        ),
    ),
    max_size=60,
)
# 150 examples in CI; HYPOTHESIS_PROFILE=long (README, Development) runs 5,000.
_FAST = settings(
    max_examples=5_000 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 150, deadline=None
)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),  # OSC: retitles the terminal
        ("\x1b[2J", "\\x1b[2J"),  # CSI: clears the screen
        ("a\rb\x08c\x00d\x7f", "a\\rb\\x08c\\x00d\\x7f"),
        ("\x9b31m", "\\x9b31m"),  # 8-bit CSI
        ("abc\u202edcba", "abc\\u202edcba"),  # right-to-left override
        ("one\ntwo\u2028three", "one\\ntwo\\u2028three"),
        # zero-width: `orders` and these looked the same
        ("orders\u200b", "orders\\u200b"),
        ("or\u200cde\u200drs\u2060\ufeff", "or\\u200cde\\u200drs\\u2060\\ufeff"),
        ("or\u00adders\u3164", "or\\xadders\\u3164"),  # a soft hyphen, a Hangul filler
        ("orders\U000e0041", "orders\\U000e0041"),  # a tag character
        ("café → 東京 🐍", "café → 東京 🐍"),  # printable text is untouched
    ],
)
def test_field_makes_controls_visible(raw: str, shown: str) -> None:
    assert sanitize.field(raw) == shown


def test_text_keeps_our_line_breaks_and_tabs() -> None:
    assert sanitize.text("a\tb\nc\rd\x1b") == "a\tb\nc\\rd\\x1b"


def test_lone_surrogate_is_escaped_not_an_encoding_error() -> None:
    assert sanitize.field("x\udc80") == "x\\udc80"
    sanitize.field("x\udc80").encode("utf-8")


@given(_HOSTILE)
@_FAST
def test_field_and_text_leave_nothing_raw(value: str) -> None:
    assert not _RAW_IN_FIELD.search(sanitize.field(value))
    assert not _RAW.search(sanitize.text(value))
    assert sanitize.is_clean(sanitize.field(value))
    if sanitize.is_clean(value):
        assert sanitize.field(value) == value


@given(_HOSTILE)
@_FAST
def test_json_text_is_the_same_json_with_nothing_raw(value: str) -> None:
    encoded = sanitize.json_text(orjson.dumps({"v": value}).decode())
    assert not _RAW_IN_FIELD.search(encoded)
    assert orjson.loads(encoded) == {"v": value}


@given(_HOSTILE)
@_FAST
def test_json_bytes_for_files(value: str) -> None:
    encoded = sanitize.json_bytes(orjson.dumps([value]) + b"\n")
    assert not _RAW_IN_FIELD.search(encoded.decode()[:-1])
    assert orjson.loads(encoded) == [value]


@given(_HOSTILE)
@_FAST
def test_markdown_sinks(value: str) -> None:
    for rendered in (markdown(value), markdown_code(value)):
        assert not _RAW_IN_FIELD.search(rendered)


@given(_HOSTILE, _HOSTILE)
@_FAST
def test_csv_one_row_per_event_and_no_formula(summary: str, actor: str) -> None:
    event = TimelineEvent(
        time="2026-01-01T00:00:00Z",
        source="cloudtrail",
        kind="x",
        resource=summary,
        summary=summary,
        actor=actor,
    )
    data, count = to_csv([event])
    text = data.decode()
    assert count == 1
    # A spreadsheet breaks rows at \r as well as \n: exactly one header and one row.
    assert len(re.split("\r\n|\r|\n", text.rstrip("\n"))) == 2
    header, row = list(csv.reader(io.StringIO(text)))
    assert len(row) == len(header)
    for cell in row:
        assert not _RAW_IN_FIELD.search(cell)
        assert cell[:1] not in ("=", "+", "-", "@")


def test_csv_bare_carriage_return_cannot_start_a_formula_row() -> None:
    event = TimelineEvent("2026-01-01T00:00:00Z", "logs", "x", "fn", "x\r=2+5")
    text = to_csv([event])[0].decode()
    assert "\r" not in text
    assert "x\\r=2+5" in text


@given(_HOSTILE)
@_FAST
def test_console_sinks(value: str) -> None:
    out = io.StringIO()
    ui = Ui(console=Console(file=out, force_terminal=True, color_system=None, width=300))
    ui.say(f"[yellow]warning[/]: {escape(value)}")  # as every command does
    assert not _RAW.search(out.getvalue())


@given(_HOSTILE)
@_FAST
def test_result_sinks(value: str) -> None:
    for as_json in (False, True):
        buffer = io.BytesIO()
        ui = Ui(json=as_json)
        _result_into(ui, buffer, value)
        assert not _RAW.search(buffer.getvalue().decode())


def _result_into(ui: Ui, buffer: io.BytesIO, value: str) -> None:
    wrapper = io.TextIOWrapper(buffer, encoding="utf-8", write_through=True)
    saved = sys.stdout
    sys.stdout = wrapper
    try:
        ui.result(f"line: {value}", {"value": value})
        wrapper.flush()
    finally:
        sys.stdout = saved
        wrapper.detach()


@given(_HOSTILE, _HOSTILE)
@_FAST
def test_finding_file_sinks(value: str, member: str) -> None:
    """findings.sarif, findings.ocsf.jsonl and findings.csv: nothing raw, the JSON the same."""
    finding = Finding(
        id=f"f-{value}",
        detector="LIR-TEST-001",
        title=value,
        severity=Severity.HIGH,
        resource=value,
        account="111122223333",
        region="us-east-1",
        summary=value,
        evidence=(EvidenceRef(path=f"blobs/{value}", sha256="0" * 64, member=member or None),),
        details={value: [value], "line": 3},
    )
    sarif = sarif_bytes((finding,)).decode()
    assert not _RAW.search(sarif.replace("\t", ""))
    text = json.loads(sarif)["runs"][0]["results"][0]["message"]["text"]
    assert sarif_unescaped(text).endswith(value)  # as a viewer reads it (braces, [ ] \\)
    ocsf = ocsf_bytes((finding,), "2026-01-01T00:00:00Z").decode()
    assert not _RAW.search(ocsf.rstrip("\n"))
    assert json.loads(ocsf)["finding_info"]["desc"] == value
    for row in list(csv.reader(io.StringIO(render_csv((finding,)))))[1:]:
        assert not any(_RAW_IN_FIELD.search(cell) for cell in row)


@given(_HOSTILE)
@_FAST
def test_page_sinks(value: str) -> None:
    """report.html's text and the data its script shows: visible, even once parsed."""
    assert not _RAW.search(html(value).replace("\t", "").replace("\n", ""))
    data = script_json({"m": value, value: [value]})
    assert not _RAW.search(data)
    assert not _RAW_IN_FIELD.search(orjson.dumps(json.loads(data)).decode())


def test_json_bytes_fast_path_knows_every_character_it_escapes() -> None:
    # Encoded JSON is returned untouched when `_raw_in` finds nothing to escape: it must see
    # every character `json_text` escapes, and (to be of use) no other.
    escaped = [chr(c) for c in range(0x110000) if sanitize._JSON.match(chr(c))]
    # DEL, 32 C1, U+061C, 2 marks, U+2028/9, 5 + 4 bidi; zero-width: 3, 5 and the BOM; the
    # other invisible ones: U+00AD, U+034F, 2 + 1 + 1 Hangul fillers, 2 Khmer, U+180E and 16
    # variation selectors; Mongolian's U+180B-D and F; the 128 tags; the 256 code points of
    # the supplementary variation selectors' block
    assert len(escaped) == 81 + 4 + 128 + 256
    for char in escaped:
        assert sanitize._raw_in(f"a{char}b".encode()), hex(ord(char))
    others = [chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF]
    known = set(escaped)  # a set: a list's membership test took 20 s over a million others
    assert not any(sanitize._raw_in(f"a{c}b".encode()) for c in others if c not in known)
    # a document with non-ASCII text but nothing to escape comes back as it was
    assert sanitize.json_bytes('["A → B …"]'.encode()) == '["A → B …"]'.encode()
    # and one with many leads (no-break spaces) is escaped like any other
    spaced = ("\u00a0" * 100 + "\u202e").encode()
    escaped_end = "\u00a0".encode() * 100 + b"\\u202e"
    assert sanitize.json_bytes(b'["' + spaced + b'"]') == b'["' + escaped_end + b'"]'
