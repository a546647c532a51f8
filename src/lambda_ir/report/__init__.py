"""Reports: the case rendered for people (HTML, Markdown) and for tools (SARIF, OCSF).

`facts` gathers and redacts once; `html`/`sections`, `markdown`, `sarif`, `ocsf` only
format; `escape` is the one place that escapes; `write` puts the outputs into the case,
the big exports a block at a time (`blocks`).
"""

from lambda_ir.report.facts import ReportFacts, build_facts
from lambda_ir.report.write import ReportResult, render_all, write_report

__all__ = ["ReportFacts", "ReportResult", "build_facts", "render_all", "write_report"]
