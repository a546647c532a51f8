"""`report.html`: one self-contained page that works offline, with a strict CSP.

The page inlines its stylesheet, Chart.js (bundled in `assets/`) and its own script, and
its Content-Security-Policy allows exactly those by SHA-256: no other script can run, even
if an attacker's string slipped through escaping, and nothing is fetched from anywhere.
Case data for the script sits in a `<script type="application/json">` block, never in code.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources

from lambda_ir.model import Severity
from lambda_ir.report.escape import html as esc
from lambda_ir.report.escape import script_json
from lambda_ir.report.facts import ReportFacts
from lambda_ir.report.sections import body
from lambda_ir.report.timeline_window import window_start
from lambda_ir.timeline.clock import as_datetime

ASSETS = ("chart.umd.min.js", "report.js", "report.css")
LANES = ("finding", "cloudtrail", "lambda", "logs", "runtime")
_SLOT = re.compile(r"\{\{(\w+)\}\}")


def render_html(facts: ReportFacts) -> str:
    """The report page; every case string in it is escaped or inside the JSON data block."""
    style = _asset("report.css")
    chartjs = _asset("chart.umd.min.js")
    app = _asset("report.js")
    slots = {
        "csp": esc(content_security_policy(scripts=(chartjs, app), styles=(style,))),
        "title": esc(f"lambda-ir report: case {facts.case_id}"),
        "style": style,
        "body": body(facts),
        "data": script_json(chart_data(facts)),
        "chartjs": chartjs,
        "app": app,
    }
    # One pass over the template only: text already substituted is never scanned again,
    # so a `{{app}}` inside an attacker's string stays text.
    return _SLOT.sub(lambda m: slots[m.group(1)], _template())


def content_security_policy(scripts: tuple[str, ...], styles: tuple[str, ...]) -> str:
    """A CSP allowing only these inline scripts and styles (by hash) and no fetches at all."""
    script_src = " ".join(_hash_source(s) for s in scripts)
    style_src = " ".join(_hash_source(s) for s in styles)
    return (
        f"default-src 'none'; script-src {script_src}; style-src {style_src}; "
        "img-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'"
    )


def chart_data(facts: ReportFacts) -> dict[str, object]:
    """What the page's script needs: lanes and, per event, epoch ms and its (redacted) text."""
    events = []
    for event in facts.events:
        moment = as_datetime(event.time)
        if moment is None:
            continue
        events.append(
            {
                "t": int(moment.timestamp() * 1000),
                "d": event.time,
                "s": event.source,
                "k": event.kind,
                "r": event.resource,
                "m": event.summary,
                "a": event.actor,
                "f": facts.label(event.function_arn) if event.function_arn else event.function,
                "w": "/".join(p for p in (event.account, event.region) if p),
                "v": _severity(event.summary) if event.source == "finding" else "",
                "e": " ".join(ref.path for ref in event.evidence),
            }
        )
    start = window_start(facts)
    window = as_datetime(start) if start else None
    return {
        "lanes": list(LANES),
        "events": events,
        # where "window: the incident" opens (report.md's timeline opens there too)
        "window": int(window.timestamp() * 1000) if window else None,
    }


def _severity(summary: str) -> str:
    """A finding event's severity, from the `[critical] …` its summary starts with."""
    word = summary[1:].split("]", 1)[0] if summary.startswith("[") else ""
    return word if word in {s.value for s in Severity} else ""


def _hash_source(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def _asset(name: str) -> str:
    return resources.files("lambda_ir.report").joinpath("assets", name).read_text("utf-8")


def _template() -> str:
    return resources.files("lambda_ir.report").joinpath("templates", "report.html").read_text()
