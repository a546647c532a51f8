"""LIR-CHG-001: a new version's code introduces a threat its predecessor did not have.

Each pair of consecutive versions with different code is compared file by file; added and
changed files are scanned (YARA-X rules, native executables) and anything the older package
did not already contain is reported, attributed to the CloudTrail call that uploaded the code.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import yara_x

from lambda_ir.analyze.archive import read_members
from lambda_ir.analyze.attribution import code_event
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.commands import diff_command
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.detectors.code_elf import INTERPRETED, native_executable
from lambda_ir.analyze.diff import file_changes
from lambda_ir.analyze.unknowns import UNKNOWN_TIME
from lambda_ir.analyze.values import FunctionConfig
from lambda_ir.analyze.versions import by_function
from lambda_ir.analyze.yara_scan import compile_rules, new_scanner, scan
from lambda_ir.model import EvidenceRef, Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CHG-001",
    title="Code change introduced a threat",
    severity=Severity.HIGH,
    attack=("T1525", "T1546"),
    evidence=(Kind.CODE,),
    references=(
        "https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.lambda-overwrite-code/",
    ),
    false_positives=(
        "A release that legitimately adds a binary tool or an SDK: a native executable (and "
        "nothing a YARA rule matches) uploaded along an established path is LOW."
    ),
)


def _threats(scanner: yara_x.Scanner, data: bytes, runtime: str) -> dict[str, Severity]:
    found = {f"yara:{m.rule}": m.severity for m in scan(scanner, data)}
    if native_executable(data) is not None and runtime.startswith(INTERPRETED):
        found["native executable"] = Severity.MEDIUM
    return found


def _package(case: CaseView, config: FunctionConfig) -> tuple[EvidenceRef, dict[str, bytes]] | None:
    blob = case.code_blob(config.code_sha256) if config.code_sha256 else None
    if blob is None:
        return None
    members = read_members(case.read_bytes(blob, 512 * 1024 * 1024), jars=True)
    return blob, {m.name: m.data for m in members}


def detect(case: CaseView) -> Iterator[Finding]:
    """Consecutive versions whose added/changed files carry threats the older one lacked."""
    scanner = new_scanner(compile_rules(case.options.yara_dirs))
    for versions in by_function(case.functions).values():
        for old, new in itertools.pairwise(versions):
            if old.code_sha256 == new.code_sha256:
                continue
            before, after = _package(case, old), _package(case, new)
            if before is None or after is None:
                continue
            had = {t for data in before[1].values() for t in _threats(scanner, data, old.runtime)}
            for change in file_changes(before[1], after[1]):
                if change.status == "removed":
                    continue
                threats = _threats(scanner, after[1][change.name], new.runtime)
                introduced = {t: s for t, s in threats.items() if t not in had}
                if introduced:
                    yield _finding(case, old, new, after[0], change.name, introduced)


def _finding(
    case: CaseView,
    old: FunctionConfig,
    new: FunctionConfig,
    blob: EvidenceRef,
    name: str,
    introduced: dict[str, Severity],
) -> Finding:
    event = code_event(case, new)
    by = "uploaded (no CloudTrail event found)"
    if event is not None:
        # a PublishVersion only froze bytes uploaded before the trail begins: not their upload
        verb = "published" if event.operation == "PublishVersion" else "uploaded"
        by = f"{verb} by {event.actor.name} at {event.time or UNKNOWN_TIME}"
    severity = max(introduced.values(), key=lambda s: s.rank)
    released = ""
    # A binary tool (ffmpeg) shipped by the pipeline's usual release is a release: a native
    # executable alone, uploaded along an established path, is LOW (a YARA match is not).
    if set(introduced) == {"native executable"} and event is not None:
        novelty = case.verdict(event)
        if novelty.established:
            severity, released = Severity.LOW, f" ({novelty.phrase()})"
    command = diff_command(case.case.root, new.ref, str(old.ref.qualifier), str(new.ref.qualifier))
    return make_finding(
        INFO,
        resource=new.ref.arn,
        account=new.ref.account,
        region=new.ref.region,
        severity=severity,
        key=f"{old.code_sha256}|{new.code_sha256}|{name}|{','.join(sorted(introduced))}",
        time=event.time if event else None,
        actor=event.actor if event else None,
        evidence=(
            EvidenceRef(blob.path, blob.sha256, member=name),
            old.evidence,
            new.evidence,
            *((event.evidence,) if event else ()),
        ),
        summary=(
            f"Version {new.ref.qualifier} of {new.ref.name} changed {name}, which now has "
            f"{', '.join(sorted(introduced))} that version {old.ref.qualifier} did not; {by}"
            f"{released}. Run `{command}`."
        ),
        details={
            "from": old.ref.qualifier,
            "to": new.ref.qualifier,
            "file": name,
            "introduced": sorted(introduced),
            "event_id": event.event_id if event else None,
        },
    )


DETECTOR = Detector(INFO, detect)
