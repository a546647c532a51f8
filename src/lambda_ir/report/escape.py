"""The one place that makes attacker-controlled text safe for HTML, inline JSON and Markdown.

Everything a report shows (function names, environment values, log lines, file names, user
agents, policy text) may come from an attacker. HTML goes through `html`, data for the
page's script through `script_json`, Markdown through `markdown`. Secrets are redacted
before this, by `lambda_ir.redact`; escaping never replaces redaction.
"""

from __future__ import annotations

import html as _html
from typing import Any

import orjson

from lambda_ir import sanitize

# Inside <script type="application/json"> the HTML parser ends the element at `</script`
# and treats `<!--` specially; JSON allows \\uXXXX, so those characters never appear raw.
# U+2028/2029 are escaped too so the text is also a safe JavaScript literal.
_SCRIPT_JSON = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}
# Values never start a line in our Markdown, so only inline syntax needs neutralising.
_MARKDOWN_SPECIAL = "\\`*_[]|~"


def html(value: object) -> str:
    """Text for HTML element content or a quoted attribute value: `& < > " '` escaped.

    Control characters are made visible first (`sanitize.text`, keeping line breaks and
    tabs for `<pre>`): a browser shows a bidi override reversed and a saved page shown with
    `cat` runs ESC, and no character reference can help (`&#x9b;` means `›` in HTML).
    """
    return _html.escape(sanitize.text(value), quote=True)


def script_json(document: Any) -> str:
    """A JSON document safe to place inside `<script type="application/json">`.

    The script shows these values as text, so each string is made visible first
    (`sanitize.field`: no control character, bidi override or line break reaches the page
    raw, even once parsed), and what a JSON encoder leaves raw is `\\uXXXX` besides.
    """
    text = orjson.dumps(_visible(document), option=orjson.OPT_NON_STR_KEYS).decode()
    return sanitize.json_text(text).translate(_SCRIPT_JSON)


def _visible(document: Any) -> Any:
    """Every string in a JSON-able document (keys too) through `sanitize.field`.

    Iterative: the page's data is built by us, but its strings and nesting come from the
    evidence, and no limit on that nesting may surface as a RecursionError.
    """
    root: list[Any] = [document]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        parent, key = stack.pop()
        value = parent[key]
        if isinstance(value, str):
            parent[key] = sanitize.field(value)
        elif isinstance(value, dict):
            copy = {sanitize.field(k) if isinstance(k, str) else k: v for k, v in value.items()}
            parent[key] = copy
            stack.extend((copy, k) for k in copy)
        elif isinstance(value, list | tuple):
            items = list(value)
            parent[key] = items
            stack.extend((items, i) for i in range(len(items)))
    return root[0]


def markdown(value: object) -> str:
    """One line of Markdown text: HTML-escaped, Markdown syntax and table pipes neutralised.

    Ticket systems render HTML inside Markdown, so `<` and `&` are escaped as entities;
    newlines are flattened so a log line cannot start a heading or break a table, and other
    control characters (ESC, bidi overrides) are made visible by `sanitize.field`.
    """
    text = sanitize.field(" ".join(("" if value is None else str(value)).split()))
    text = _html.escape(text, quote=False)
    return "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIAL else ch for ch in text)


def markdown_code(value: object) -> str:
    """An inline code span (hashes, ARNs, paths) that cannot close early or break a table.

    A value holding `<`, `>` or `&` is shown as escaped text instead: not every ticket
    system renders code spans literally, and raw markup must never reach one. So is one
    holding a backtick, which a span cannot show as itself: a command pasted from it must
    say what the case holds, never a look-alike path. And one holding `|`: a table needs it
    escaped (`\\|`), and a span outside a table shows that backslash (`curl …\\|sh` for
    `curl …|sh`), where escaped text reads `|` in both.
    """
    # controls visible first: a value's line break shows as `\n`, not as a space that makes
    # a key or name the case does not hold (`AKIA\nX` read as `AKIA X`)
    text = " ".join(sanitize.field(value).split())
    if not text:
        return ""
    if any(ch in text for ch in "<>&`|"):
        return markdown(text)
    return f"`{text}`"
