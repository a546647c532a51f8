"""LIR-RT-004: a running function connected to a mining-pool port or an indicator address.

From the collector's /proc/net tables: a TCP connection (established or being opened) or a
connected UDP socket whose remote port is a usual stratum port, or whose remote address is
in the indicator lists (bundled Denonia IOCs plus `analyze --ioc FILE`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.iocs import load_iocs
from lambda_ir.analyze.runtime_rows import EVIDENCE_AGG, runtime_finding
from lambda_ir.analyze.unknowns import the_function
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-RT-004",
    title="Running function connected to a mining port or an indicator address",
    severity=Severity.HIGH,
    attack=("T1496", "T1071"),
    evidence=(Kind.RUNTIME,),
    references=(
        "https://xmrig.com/docs/miner/command-line-options",
        "https://www.cadosecurity.com/cado-discovers-denonia-the-first-malware-specifically-targeting-lambda/",
    ),
    false_positives="A service of the function's own that listens on one of these ports.",
)
# Stratum ports the common pools and XMRig's examples use.
MINING_PORTS = (3333, 3334, 3357, 4444, 5555, 5730, 6666, 7777, 9999, 14433, 14444, 45560, 45700)
_SQL = f"""
SELECT account, region, function_name, protocol, remote_ip, remote_port, state,
       any_value(process) AS process, min(captured_at), {EVIDENCE_AGG}
FROM runtime_connections
WHERE remote_port <> 0 AND remote_ip NOT IN ('0.0.0.0', '::')
  AND (protocol LIKE 'udp%' OR state IN ('ESTABLISHED', 'SYN_SENT'))
GROUP BY ALL ORDER BY function_name, remote_ip, remote_port
"""  # noqa: S608 - constant SQL


def _loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def detect(case: CaseView) -> Iterator[Finding]:
    """Connections to stratum ports (not loopback) or to IOC addresses."""
    iocs = load_iocs(case.options.ioc_files).ips
    for (
        account,
        region,
        name,
        protocol,
        ip,
        port,
        state,
        process,
        first,
        evidence,
    ) in case.index.execute(_SQL).fetchall():
        listed = iocs.get(ip)
        if not listed and (port not in MINING_PORTS or _loopback(ip)):
            continue
        why = f"an indicator address (from {listed})" if listed else f"mining port {port}"
        yield runtime_finding(
            INFO,
            (account, region, name),
            key=f"{name}|{protocol}|{ip}|{port}",
            first=first,
            evidence=evidence,
            summary=(
                f"{process or 'a process'} in {the_function(name)} had a {protocol} connection "
                f"({state}) to {ip}:{port}, {why}."
            ),
            details={"remote": f"{ip}:{port}", "protocol": protocol, "process": process},
        )


DETECTOR = Detector(INFO, detect)
