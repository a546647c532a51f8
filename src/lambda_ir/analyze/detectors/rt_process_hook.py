"""LIR-RT-006: a start-up hook in a running process that the function's configuration lacks.

`LD_PRELOAD`, `NODE_OPTIONS`, `JAVA_TOOL_OPTIONS` and their kind make a runtime or the dynamic
loader run extra code. Lambda sets none of them; set in the function's configuration they
are visible to `collect` (and LIR-CFG-002 reads them). Found in a running process's own
environment (`/proc/<pid>/environ`) with a value no collected version configures, they were
put there inside the sandbox: by a wrapper, an extension, or code that started the process.
"""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.runtime_rows import EVIDENCE_AGG, runtime_finding
from lambda_ir.analyze.unknowns import the_function
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-RT-006",
    title="Start-up hook in a running process that the configuration does not set",
    severity=Severity.HIGH,
    attack=("T1574.006", "T1546"),
    evidence=(Kind.RUNTIME, Kind.FUNCTION),
    references=(
        "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html",
        "https://attack.mitre.org/techniques/T1574/006/",
    ),
    false_positives="Code that sets NODE_OPTIONS or JAVA_TOOL_OPTIONS for a child it starts.",
)
_SQL = f"""
WITH hooks AS (
  SELECT account, region, function_name, coalesce(cmdline->>'$[0]', name) AS program,
         hook.key AS variable, hook.value AS value, captured_at, evidence_path,
         evidence_sha256
  FROM runtime_processes, json_each(hooks) AS hook
  WHERE in_lambda AND NOT is_collector),
configured AS (
  SELECT DISTINCT account, region, function_name, var.key AS variable,
         var.value ->> '$' AS value
  FROM versions, json_each(coalesce(environment -> '$.Variables', '{{}}')) AS var)
SELECT h.account, h.region, h.function_name, h.variable, h.value ->> '$' AS value,
       list(DISTINCT h.program ORDER BY h.program) AS programs, min(h.captured_at),
       {EVIDENCE_AGG}
FROM hooks h
LEFT JOIN configured c ON c.account = h.account AND c.region = h.region
  AND c.function_name = h.function_name AND c.variable = h.variable
  AND c.value = h.value ->> '$'
WHERE c.variable IS NULL
GROUP BY ALL ORDER BY h.function_name, h.variable
"""  # noqa: S608 - constant SQL


def detect(case: CaseView) -> Iterator[Finding]:
    """Hooks in processes' own environments with a value no collected version configures."""
    for account, region, name, variable, value, programs, first, evidence in case.index.execute(
        _SQL
    ).fetchall():
        yield runtime_finding(
            INFO,
            (account, region, name),
            key=f"{name}|{variable}|{value}",
            first=first,
            evidence=evidence,
            summary=(
                f"{variable}={value} is set in {', '.join(programs)} running in "
                f"{the_function(name)}, but in no collected version's configuration; find what "
                "set it (a wrapper, an "
                "extension, the code) and what it loads."
            ),
            details={"variable": variable, "value": value, "programs": programs},
        )


DETECTOR = Detector(INFO, detect)
