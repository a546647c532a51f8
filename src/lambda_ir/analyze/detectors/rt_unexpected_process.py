"""LIR-RT-003: a process in a running function that is not the runtime or its known parts.

A Lambda sandbox runs Lambda's init, the runtime (under /var/lang or /var/runtime, or the
function's own bootstrap in /var/task), extensions (/opt/extensions) and, when attached,
this collector. Anything else was started by the function's code or by whoever controls
it; a binary run from /tmp or /dev/shm, one deleted after start, or one named like a miner
is the Denonia pattern. Only snapshots taken inside Lambda are read (a snapshot elsewhere
lists that machine's processes).
"""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.runtime_rows import EVIDENCE_AGG, OWN_PROCESS_SQL, runtime_finding
from lambda_ir.analyze.unknowns import the_function
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-RT-003",
    title="Unexpected process in a running function",
    severity=Severity.MEDIUM,
    attack=("T1059", "T1496"),
    evidence=(Kind.RUNTIME,),
    references=(
        "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html",
        "https://www.cadosecurity.com/cado-discovers-denonia-the-first-malware-specifically-targeting-lambda/",
    ),
    false_positives="Functions that run helper binaries they ship (ffmpeg, git, a shell).",
)
KNOWN = ("/var/lang/", "/var/runtime/", "/var/rapid/", "/var/task/", "/opt/extensions/")
DROPPED = ("/tmp/", "/dev/shm/", "/var/tmp/")  # noqa: S108 - paths we look for, not use
MINERS = ("xmrig", "minerd", "cpuminer", "kdevtmpfsi", "kinsing", "xmr-stak", "nbminer")
_SQL = f"""
SELECT account, region, function_name,
       coalesce(exe, cmdline->>'$[0]', name) AS program, exe_sha256,
       any_value(cmdline->>'$[0]') AS argv0, any_value(name) AS name,
       any_value(cmdline::VARCHAR) AS cmdline, min(captured_at), {EVIDENCE_AGG}
FROM runtime_processes
WHERE in_lambda AND NOT is_collector AND pid <> 1
  AND NOT {OWN_PROCESS_SQL}
GROUP BY ALL ORDER BY function_name, program
"""  # noqa: S608 - constant SQL


def _judge(program: str, argv0: str, name: str) -> Severity | None:
    texts = (program or "", argv0 or "")
    if any(t.startswith(DROPPED) or t.endswith(" (deleted)") for t in texts):
        return Severity.HIGH
    if any(m in (name or "").lower() or m in t.lower() for m in MINERS for t in texts):
        return Severity.HIGH
    if any(t.startswith(KNOWN) for t in texts if t):
        return None
    return Severity.MEDIUM


def detect(case: CaseView) -> Iterator[Finding]:
    """Processes outside the runtime's own locations; worst when run from /tmp or deleted."""
    rows = case.index.execute(_SQL).fetchall()
    for account, region, function, program, sha256, argv0, name, cmdline, first, evidence in rows:
        severity = _judge(program, argv0, name)
        if severity is None or not program:
            continue
        yield runtime_finding(
            INFO,
            (account, region, function),
            key=f"{function}|{program}|{sha256}",
            first=first,
            evidence=evidence,
            severity=severity,
            summary=(
                f"{program} runs in {the_function(function)} (command line {cmdline}, sha256 "
                f"{sha256 or 'unreadable'}); it is not the runtime or a known part of it."
            ),
            details={"program": program, "sha256": sha256, "cmdline": cmdline},
        )


DETECTOR = Detector(INFO, detect)
