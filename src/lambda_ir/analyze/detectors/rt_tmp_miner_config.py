"""LIR-RT-002: a cryptominer configuration in a running function's /tmp.

Denonia wrote `/tmp/.xmrig.json`; XMRig configs name a pool as `stratum+tcp://…` and carry
keys such as `donate-level`. Only small files' contents are in a snapshot (the collector's
cap), so this reads those.
"""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.runtime_rows import EVIDENCE_AGG, runtime_finding
from lambda_ir.analyze.unknowns import the_function
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-RT-002",
    title="Cryptominer configuration in a running function's /tmp",
    severity=Severity.CRITICAL,
    attack=("T1496",),
    evidence=(Kind.RUNTIME,),
    references=(
        "https://www.cadosecurity.com/cado-discovers-denonia-the-first-malware-specifically-targeting-lambda/",
        "https://xmrig.com/docs/miner/config",
    ),
    false_positives="None known for a Lambda function.",
)
STRATUM = r"(stratum\+(tcp|ssl|tls)://[^\s'\"]+)"  # the pool, when the file names one
PATTERN = r"(stratum\+(tcp|ssl|tls)://[^\s'\"]+|\"donate-level\"|\"randomx\")"
_SQL = f"""
SELECT account, region, function_name, path, sha256,
       coalesce(nullif(regexp_extract(content, ?, 1), ''), regexp_extract(content, ?, 1))
         AS indicator, min(captured_at), {EVIDENCE_AGG}
FROM runtime_files
WHERE root = '/tmp' AND type = 'file' AND regexp_matches(content, ?, 'i')
GROUP BY ALL ORDER BY function_name, path
"""  # noqa: S608 - constant SQL; the pattern is a bound parameter


def detect(case: CaseView) -> Iterator[Finding]:
    """Files in /tmp whose content names a stratum pool or XMRig's own settings."""
    for account, region, name, path, sha256, indicator, first, evidence in case.index.execute(
        _SQL, [STRATUM, PATTERN, PATTERN]
    ).fetchall():
        yield runtime_finding(
            INFO,
            (account, region, name),
            key=f"{name}|{path}|{sha256}",
            first=first,
            evidence=evidence,
            summary=(
                f"{path} in {the_function(name, running=True)} is a miner configuration "
                f"({indicator or 'XMRig settings'}); the function is mining, or was set up to."
            ),
            details={"path": path, "sha256": sha256, "indicator": indicator},
        )


DETECTOR = Detector(INFO, detect)
