"""Code excerpts are coloured, and coloured text is still only text."""

from __future__ import annotations

from lambda_ir.report.highlight import highlight


def test_comments_strings_and_keywords_get_spans() -> None:
    html = highlight("import os\nURL = 'https://x/#y'  # exfil\n")
    assert html == (
        '<span class="tok-keyword">import</span> <span class="tok-keyword">os</span>\n'
        'URL = <span class="tok-string">&#x27;https://x/#y&#x27;</span>  '
        '<span class="tok-comment"># exfil</span>\n'
    )


def test_attacker_markup_stays_escaped_inside_and_outside_tokens() -> None:
    payload = '# </pre><script>x()</script>\nvar s = "<img src=x onerror=y()>"; <b>\n'
    html = highlight(payload)
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;/pre&gt;&lt;script&gt;x()&lt;/script&gt;" in html
    assert html.count("<span") == html.count("</span>") == 3
