"""LIR-RT-001: an executable in a running function's /tmp (the runtime collector saw it).

/tmp is the one writable place in a Lambda sandbox; Denonia-style malware drops its miner
there. An ELF binary there is what a function rarely needs; a script with its execute bit is
less telling but still worth a look.
"""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.runtime_rows import EVIDENCE_AGG, runtime_finding
from lambda_ir.analyze.unknowns import UNKNOWN_SIZE, the_function
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-RT-001",
    title="Executable file in a running function's /tmp",
    severity=Severity.HIGH,
    attack=("T1105", "T1036.005"),
    evidence=(Kind.RUNTIME,),
    references=(
        "https://www.cadosecurity.com/cado-discovers-denonia-the-first-malware-specifically-targeting-lambda/",
    ),
    false_positives="Functions that unpack their own tools (ffmpeg, chromium) into /tmp.",
)
_SQL = f"""
SELECT account, region, function_name, path, sha256, magic, mode, size,
       min(captured_at), {EVIDENCE_AGG}
FROM runtime_files
WHERE root = '/tmp' AND type = 'file'
  AND (magic = '7f454c46'
       OR (magic LIKE '2321%' AND (CAST(substr(mode, 4, 1) AS INTEGER) & 1 = 1
                                   OR CAST(substr(mode, 2, 1) AS INTEGER) & 1 = 1)))
GROUP BY ALL ORDER BY function_name, path
"""  # noqa: S608 - constant SQL


def detect(case: CaseView) -> Iterator[Finding]:
    """ELF binaries, and scripts with an execute bit, under /tmp in any snapshot."""
    for (
        account,
        region,
        name,
        path,
        sha256,
        magic,
        mode,
        size,
        first,
        evidence,
    ) in case.index.execute(_SQL).fetchall():
        elf = magic == "7f454c46"
        what = "an ELF executable" if elf else f"a script with mode {mode}"
        sized = UNKNOWN_SIZE if size is None else f"{size} bytes"
        yield runtime_finding(
            INFO,
            (account, region, name),
            key=f"{name}|{path}|{sha256}",
            first=first,
            evidence=evidence,
            severity=Severity.HIGH if elf else Severity.MEDIUM,
            summary=(
                f"{path} in {the_function(name, running=True)} is {what} ({sized}, sha256 "
                f"{sha256 or 'not hashed'}); look the hash up and find what wrote it."
            ),
            details={"path": path, "sha256": sha256, "mode": mode, "size": size, "elf": elf},
        )


DETECTOR = Detector(INFO, detect)
