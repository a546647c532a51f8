"""What the runtime detectors (`detectors/rt_*.py`) share: the finding for one snapshot fact.

Rows come from the index's `runtime_files`, `runtime_processes` and `runtime_connections`
(`evidence/index_runtime.py`) grouped by function and fact; each finding cites every snapshot
that showed the fact and carries the first time it was seen.
"""

from __future__ import annotations

import hashlib
from typing import Any

from lambda_ir.analyze.detector import DetectorInfo, make_finding
from lambda_ir.model import EvidenceRef, Finding, FunctionRef, Severity
from lambda_ir.runtime.layer import layer_files

# Aggregate of a grouped query: the distinct snapshots (path, sha256) that showed the fact.
EVIDENCE_AGG = "list(DISTINCT [evidence_path, evidence_sha256]) AS evidence"
# The collector's processes, by their whole command lines as `runtime.layer` starts them: its
# wrapper's shell (`sh /opt/lambda-ir/wrapper <the runtime's command>`), its extension's
# (`sh /opt/extensions/lambda-ir`), and Python running its script isolated as the layer runs
# it (`-E -s`, then `-B` from this release on: without them PYTHONPATH or a user site could
# run other code in the process), then the command it gives it. Matched on the command line
# as minified JSON, one quoted argument after another (an argument holding a quote or a
# backslash is never ours):
# anything else (`sh -c <code> /opt/lambda-ir/wrapper`, a miner given a collector script as
# an argument) is judged like any other program.
_SHELL_ARGV = (
    r'^\["([^"\\]*/)?sh","/opt/lambda-ir/wrapper"[],]'
    r'|^\["([^"\\]*/)?sh","/opt/extensions/lambda-ir"\]$'
)
_PYTHON_ARGV = (
    r'^\["([^"\\]*/)?python3(\.[0-9]+)?","-E","-s",("-B",)?'
    r'"(/opt/lambda-ir/collect\.py","snapshot"|/opt/extensions/\.\./lambda-ir/collect\.py",'
    r'"extension")[],]'
)
# And by the program each runs (`/proc/<pid>/exe`, which argv cannot fake): a command line is
# any program's to set, so `/tmp/xmrig` started as `python3 /opt/lambda-ir/collect.py snapshot`
# is not ours. The image's shell (Amazon Linux's /bin/sh is bash, read through /usr/bin) and a
# Python of the runtime (/var/lang/bin) or of the OS (/usr/bin), the ones `python3` on
# Lambda's PATH finds.
_SHELL_EXE = r"^(/usr)?/bin/(sh|bash|dash)$"
_PYTHON_EXE = r"^(/var/lang|/usr)/bin/python3(\.[0-9]+)?$"


def _runs(argv: str, exe: str) -> str:
    """SQL: this command line, run by this program (a NULL exe, unread, is not ours)."""
    return (
        f"(regexp_matches(CAST(json(cmdline) AS VARCHAR), '{argv}') "
        f"AND regexp_matches(exe, '{exe}'))"
    )


OWN_PROCESS_SQL = (
    f"coalesce({_runs(_SHELL_ARGV, _SHELL_EXE)} OR {_runs(_PYTHON_ARGV, _PYTHON_EXE)}, false)"
)


def own_layer_files() -> list[str]:
    """`/opt/<file>|<sha256>` of every file of the collector's layer as this lambda-ir builds
    it: only those, at their very paths and bytes, are the collector's own under /opt."""
    return [
        f"/opt/{name}|{hashlib.sha256(content).hexdigest()}" for name, _, content in layer_files()
    ]


def resource_of(account: str, region: str, function: str) -> str:
    """The function's ARN when the account is known, else its name."""
    if account and region and function:
        return FunctionRef(account, region, function).arn
    return function or "unknown function"


def runtime_finding(
    info: DetectorInfo,
    where: tuple[str, str, str],
    *,
    key: str,
    first: Any,
    evidence: list[list[str]],
    summary: str,
    severity: Severity | None = None,
    details: dict[str, Any] | None = None,
) -> Finding:
    """One finding about `where` (account, region, function), citing the snapshots."""
    account, region, function = where
    resource = resource_of(account, region, function)
    return make_finding(
        info,
        resource=resource,
        account=account,
        region=region,
        key=key,
        severity=severity,
        time=f"{first.isoformat(timespec='milliseconds')}Z" if first is not None else None,
        evidence=(EvidenceRef(path, sha256) for path, sha256 in evidence),
        summary=summary,
        details=details,
    )
