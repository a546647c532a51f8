"""Light syntax colouring for code excerpts: comments, strings and keywords as `<span>`s.

A display aid only, never a parser: the text is split by one regular expression and every
piece, coloured or not, goes through `escape.html`, so attacker-written code stays text.
"""

from __future__ import annotations

import re

from lambda_ir.report.escape import html as esc

# Python, JavaScript and shell, the languages Lambda packages mostly hold.
_KEYWORDS = (
    "def class import from return if elif else for while try except finally with as lambda "
    "yield raise async await function const let var new require exports module eval exec "
    "subprocess os child_process fetch socket then fi do done case esac export"
)
_TOKEN = re.compile(
    r"(?P<comment>(?<![:\w])#[^\n]*|//[^\n]*)"
    r"|(?P<string>\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)"
    rf"|(?P<keyword>\b(?:{'|'.join(_KEYWORDS.split())})\b)"
)


def highlight(text: str) -> str:
    """HTML for `text` with comments, strings and keywords wrapped in `tok-*` spans."""
    out = []
    at = 0
    for match in _TOKEN.finditer(text):
        out.append(esc(text[at : match.start()]))
        kind = match.lastgroup or "plain"
        out.append(f'<span class="tok-{kind}">{esc(match.group())}</span>')
        at = match.end()
    out.append(esc(text[at:]))
    return "".join(out)
