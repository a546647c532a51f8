"""LIR-LOG-005: outbound indicators in log text: stratum pools, DNS-over-HTTPS, raw IP:port."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.log_rows import EVIDENCE_AGG, log_finding
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-LOG-005",
    title="Outbound connection indicator in function logs",
    severity=Severity.MEDIUM,
    attack=("T1071", "T1071.004", "T1496"),
    evidence=(Kind.LOGS,),
    references=(
        "https://www.cadosecurity.com/cado-discovers-denonia-the-first-malware-specifically-targeting-lambda/",
    ),
    false_positives="Functions that log the URLs or addresses they legitimately call.",
)
# (kind, DuckDB regex) — constants; the pattern that matched is reported, not the whole line.
PATTERNS: tuple[tuple[str, str, Severity], ...] = (
    ("stratum", r"(stratum\+(tcp|ssl)://[^\s'\"]+)", Severity.HIGH),
    (
        "doh",
        r"(https://(cloudflare-dns\.com/dns-query|dns\.google(\.com)?/(resolve|dns-query)|"
        r"doh\.[a-z0-9.-]+/dns-query)[^\s'\"]*)",
        Severity.HIGH,
    ),
    ("ip:port", r"\b((\d{1,3}\.){3}\d{1,3}:\d{2,5})\b", Severity.LOW),
)

_SQL = f"""
SELECT account, region, function_name, version,
       regexp_extract(message, ?, 1) AS indicator, min(ts), count(*), {EVIDENCE_AGG}
FROM log_events WHERE regexp_matches(message, ?, 'i')
GROUP BY ALL ORDER BY function_name, version, indicator
"""  # noqa: S608 - constant SQL; the regexes are bound parameters


def _public(indicator: str) -> bool:
    try:
        return ipaddress.ip_address(indicator.split(":")[0]).is_global
    except ValueError:
        return True


def detect(case: CaseView) -> Iterator[Finding]:
    """Log lines naming mining pools, DoH resolvers, or public IP:port endpoints."""
    for kind, regex, severity in PATTERNS:
        rows = case.index.execute(_SQL, [regex, regex]).fetchall()
        for account, region, name, version, indicator, first, lines, evidence in rows:
            if not indicator or (kind == "ip:port" and not _public(indicator)):
                continue
            indicator = re.sub(r"\s", "", indicator)
            yield log_finding(
                INFO,
                (account, region, name, version),
                severity=severity,
                key=f"{name}|{version}|{indicator}",
                first=first,
                evidence=evidence,
                summary=(
                    f"{lines} log line(s) of {name} (version {version or '?'}) mention "
                    f"{indicator} ({kind}); find which code makes that connection."
                ),
                details={"kind": kind, "indicator": indicator, "lines": lines},
            )


DETECTOR = Detector(INFO, detect)
