"""The `capabilities` table read back per function, version by version, with the diff.

Versions come in release order (1, 2, …, then `$LATEST`); a version whose package was not
collected is `read=False`, and nothing is compared across it (an absence of rows there is not
an absence of capabilities). Shared by the capability detectors and the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import duckdb

from lambda_ir.analyze.iam import allowed_actions, can
from lambda_ir.capabilities.extract import is_sensitive
from lambda_ir.capabilities.text import CapKind, is_aws_endpoint
from lambda_ir.model import EvidenceRef, FunctionRef


@dataclass(frozen=True)
class CapabilityRow:
    """One row of `capabilities`: where in which package, what, and how it was read."""

    source: str  # code | layer
    layer_arn: str | None
    file: str
    line: int
    kind: str
    value: str
    detail: str
    parser: str
    blob_sha256: str
    evidence_path: str
    dependency: str = ""  # the vendored dependency the file belongs to, "" for own code

    @property
    def evidence(self) -> EvidenceRef:
        """The package file inside its blob, as a finding cites it."""
        return EvidenceRef(self.evidence_path, self.blob_sha256, member=self.file)

    @property
    def where(self) -> str:
        """`app.py:12` (the file alone for binaries), naming its dependency when it is one."""
        place = f"{self.file}:{self.line}" if self.line else self.file
        return f"{place} in dependency {self.dependency}" if self.dependency else place

    @property
    def sensitive(self) -> bool:
        """A row a version should not quietly gain (AWS's own endpoints excepted)."""
        if self.kind == CapKind.NETWORK and is_aws_endpoint(self.value):
            return False
        return is_sensitive(self.kind, self.value)


@dataclass(frozen=True)
class VersionCapabilities:
    """One version of a function, whether its package was read, and its rows."""

    function: FunctionRef  # qualified with the version
    code_sha256_hex: str
    read: bool
    rows: tuple[CapabilityRow, ...]

    def values(self, sensitive_only: bool = False) -> set[tuple[str, str]]:
        """The (kind, value) pairs of this version."""
        return {(r.kind, r.value) for r in self.rows if r.sensitive or not sensitive_only}


VERSIONS = """
SELECT v.account, v.region, v.function_name, v.version, coalesce(v.code_sha256_hex, ''),
       EXISTS (SELECT 1 FROM capability_files f WHERE f.blob_sha256 = v.code_sha256_hex)
       OR EXISTS (SELECT 1 FROM code_files f WHERE f.blob_sha256 = v.code_sha256_hex)
FROM versions v WHERE v.version IS NOT NULL
"""
ROWS = """
SELECT account, region, function_name, version, source, layer_arn, file, line, kind, value,
       coalesce(detail, ''), parser, blob_sha256, evidence_path, coalesce(dependency, '')
FROM capabilities ORDER BY source, file, line, kind, value
"""


def read_capabilities(
    con: duckdb.DuckDBPyConnection,
) -> dict[FunctionRef, list[VersionCapabilities]]:
    """Every collected function (unqualified) → its versions in release order, with rows."""
    rows: dict[tuple[str, str, str, str], list[CapabilityRow]] = {}
    for found in con.execute(ROWS).fetchall():
        account, region, name, version, source, layer_arn, file, line = found[:8]
        kind, value, detail, parser, blob, path, dependency = (str(x) for x in found[8:])
        rows.setdefault((str(account), str(region), str(name), str(version)), []).append(
            CapabilityRow(
                str(source),
                None if layer_arn is None else str(layer_arn),
                str(file),
                int(line or 0),
                kind,
                value,
                detail,
                parser,
                blob,
                path,
                dependency,
            )
        )
    out: dict[FunctionRef, list[VersionCapabilities]] = {}
    for account, region, name, version, sha, read in con.execute(VERSIONS).fetchall():
        ref = FunctionRef(str(account), str(region), str(name))
        key = (ref.account, ref.region, ref.name, str(version))
        out.setdefault(ref, []).append(
            VersionCapabilities(
                FunctionRef(ref.account, ref.region, ref.name, str(version)),
                str(sha),
                bool(read),
                tuple(rows.get(key, ())),
            )
        )
    return {ref: sorted(versions, key=_release_order) for ref, versions in out.items()}


def _release_order(version: VersionCapabilities) -> tuple[int, int]:
    qualifier = version.function.qualifier or ""
    return (1, 0) if not qualifier.isdigit() else (0, int(qualifier))


def gained(
    previous: VersionCapabilities | None, current: VersionCapabilities
) -> list[CapabilityRow]:
    """Sensitive rows of `current` whose (kind, value) its predecessor did not have."""
    before = previous.values() if previous is not None else set()
    return [r for r in current.rows if r.sensitive and (r.kind, r.value) not in before]


def first_of_each(rows: Iterable[CapabilityRow]) -> list[CapabilityRow]:
    """One row per (kind, value): the first place it appears."""
    seen: dict[tuple[str, str], CapabilityRow] = {}
    for row in rows:
        seen.setdefault((row.kind, row.value), row)
    return list(seen.values())


def aws_calls(version: VersionCapabilities) -> set[str]:
    """The `service:Operation` values a version's code calls (fallback `svc:client` rows out)."""
    return {
        r.value
        for r in version.rows
        if r.kind == CapKind.AWS_CALL and not r.value.endswith(":client")
    }


@dataclass(frozen=True)
class RoleReach:
    """What a version's code calls against what its execution role allows."""

    used_not_granted: tuple[str, ...]
    granted_unused: tuple[str, ...]
    granted_used: tuple[str, ...]


def role_reach(calls: set[str], documents: Iterable[Mapping[str, Any]]) -> RoleReach:
    """Compare the code's `service:Operation` calls with the role's Allow patterns.

    Conditions, resources and Deny statements are not weighed (as in `analyze.iam`)."""
    patterns = list(dict.fromkeys(pattern for pattern, _ in allowed_actions(documents)))
    missing = sorted(call for call in calls if not can([(p, []) for p in patterns], call))
    unused = [p for p in patterns if not any(fnmatchcase(c.lower(), p.lower()) for c in calls)]
    used = [p for p in patterns if p not in unused]
    return RoleReach(tuple(missing), tuple(unused), tuple(used))


def latest_read(versions: list[VersionCapabilities]) -> VersionCapabilities | None:
    """The newest version whose package was read ($LATEST first, then the highest number)."""
    read = [v for v in versions if v.read]
    return read[-1] if read else None


def version_key(version: VersionCapabilities) -> tuple[str, str, str, str]:
    """The `FunctionConfig.key` of a version, to find its configuration (and role)."""
    ref = version.function
    return (ref.account, ref.region, ref.name, ref.qualifier or "")
