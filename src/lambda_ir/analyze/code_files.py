"""Every file inside every code and layer package of a case, read in memory within limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from lambda_ir.analyze.archive import Limits, Member, ReadReport, read_members
from lambda_ir.analyze.detector import DetectorInfo, make_finding
from lambda_ir.analyze.values import Package
from lambda_ir.capabilities.paths import in_paths
from lambda_ir.model import EvidenceRef, Finding, Severity

if TYPE_CHECKING:
    from lambda_ir.analyze.caseview import CaseView

# The AWS runtime interface clients talk to the Runtime API legitimately: Python's and
# Node's folders, and for a Java function the files inside Java's client jar.
RUNTIME_CLIENT_PATHS = ("awslambdaric/", "aws-lambda-ric/", "node_modules/aws-lambda-ric/")
JAVA_RUNTIME_CLIENT = re.compile(
    r"^(?:.*/)?aws-lambda-java-runtime-interface-client-[0-9][^/]*\.jar!/"
)
UNCHECKED_PYC = (0b01).to_bytes(4, "little")  # PEP 552 flags: hash-based, source never checked


def iter_files(
    case: CaseView, limits: Limits | None = None
) -> Iterator[tuple[Package, Member, ReadReport]]:
    """(package, file, what was skipped in that package) for every file of every package, a
    `.jar`'s own files included (`lib/x.jar!/com/a/B.class`: `archive.read_members`). A
    blob that several packages share (layers with the same bytes) is read once: each file
    comes once for each of them."""
    for packages, members, report in iter_blobs(case, limits):
        for member in members:
            for package in packages:
                yield package, member, report


def iter_blobs(
    case: CaseView, limits: Limits | None = None
) -> Iterator[tuple[list[Package], Iterator[Member], ReadReport]]:
    """Every package blob once: the packages sharing it (a code package and layers with the
    same bytes), its files as `iter_files` reads them, and what the read skipped (complete
    once the files are read; its `links` are the blob's symlinks). A blob that cannot be
    read is left out."""
    limits = limits or Limits()
    sharing: dict[str, list[Package]] = {}
    for package in case.packages:
        sharing.setdefault(package.blob.path, []).append(package)
    for packages in sharing.values():
        report = ReadReport()
        try:
            data = case.read_bytes(packages[0].blob, limits.max_package)
        except (OSError, ValueError) as exc:
            report.skipped.append(f"package not read: {exc}")
            continue
        yield packages, read_members(data, limits, report, jars=True), report


def unchecked_bytecode(member: Member) -> bool:
    """A compiled Python file Python runs without checking it against its source: a
    hash-based `.pyc` with `check_source` off (PEP 552: the flags word after the magic is 1,
    little-endian), which `compileall --invalidation-mode unchecked-hash` writes."""
    return member.path.endswith(".pyc") and member.data[4:8] == UNCHECKED_PYC


def member_ref(package: Package, member: Member) -> EvidenceRef:
    """Evidence pointing at one file inside a package blob."""
    return EvidenceRef(package.blob.path, package.blob.sha256, member=member.name)


def shown(member: Member) -> str:
    """The member as the zip names it, and where it unpacks when that differs
    (`./extensions/x`): the responder finds the entry by the first, the file by the second."""
    if member.path == member.name:
        return member.name
    return f"{member.name} (unpacked as {member.path})"


def member_finding(
    info: DetectorInfo,
    package: Package,
    member: Member,
    *,
    severity: Severity,
    summary: str,
    details: dict[str, Any],
    resource: str = "",
) -> Finding:
    """A finding about one file of a package: on its first user (or `resource`), in that
    user's account and region, keyed by the package and the file, citing the file."""
    account, region = owner_location(package.owner)
    return make_finding(
        info,
        resource=resource or package.owner,
        account=account,
        region=region,
        severity=severity,
        key=f"{package.key}|{member.name}",
        evidence=(member_ref(package, member),),
        summary=summary,
        details=details,
    )


def owner_location(owner: str) -> tuple[str, str]:
    """(account, region) from a function or layer ARN."""
    parts = owner.split(":")
    return (parts[4], parts[3]) if len(parts) > 4 else ("", "")


def is_runtime_client(package: Package, name: str) -> bool:
    """A file of an AWS runtime interface client: in its folder, or for a function on a Java
    runtime inside Java's client jar (`lib/aws-lambda-java-runtime-interface-client-2.6.0.jar`
    then `!/` and the file)."""
    if in_paths(name, RUNTIME_CLIENT_PATHS):
        return True
    java = bool(package.runtimes) and all(r.startswith("java") for r in package.runtimes)
    return java and JAVA_RUNTIME_CLIENT.match(name) is not None


def is_custom_runtime_only(package: Package) -> bool:
    """True when every function running this package uses an OS-only (`provided.*`) runtime."""
    return bool(package.runtimes) and all(r.startswith("provided") for r in package.runtimes)
