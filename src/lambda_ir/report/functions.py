"""Per-function facts for the report: versions, configuration, policies, URL, triggers, role.

Everything is read through the manifest and redacted here, once, before any renderer sees
it (`lambda_ir.redact`); renderers only escape.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.evidence import Case, ManifestEntry
from lambda_ir.evidence.deleted import NOTE, deleted_functions
from lambda_ir.evidence.logs import configured_group
from lambda_ir.model import EvidenceRef, FunctionRef
from lambda_ir.redact import redact_document, redact_environment
from lambda_ir.report.codediff import CodeDiff, diff_code
from lambda_ir.timeline.aliases import describe_alias, routed_versions
from lambda_ir.timeline.clock import utc_iso
from lambda_ir.timeline.documents import Document, documents
from lambda_ir.timeline.versions import VersionRecord, changed_fields, read_versions

# Configuration keys shown per function, in this order.
CONFIG_KEYS = (
    "Runtime",
    "Handler",
    "Role",
    "Timeout",
    "MemorySize",
    "Architectures",
    "PackageType",
    "Layers",
    "VpcConfig",
    "LoggingConfig",
    "KMSKeyArn",
)


@dataclass(frozen=True)
class VersionRow:
    """One version as the report lists it: hash, date, what changed, where its code is."""

    version: str
    code_sha256: str
    last_modified: str
    changed: tuple[str, ...]
    code_path: str | None
    previous: str | None
    diff: CodeDiff | None = None


@dataclass(frozen=True)
class FunctionFacts:
    """What a responder needs to know about one function, redacted."""

    account: str
    region: str
    name: str
    versions: tuple[VersionRow, ...]
    configuration: tuple[tuple[str, str], ...]
    environment: tuple[tuple[str, str], ...]
    aliases: tuple[str, ...]
    policies: tuple[str, ...]
    urls: tuple[str, ...]
    triggers: tuple[str, ...]
    role: str
    evidence: tuple[EvidenceRef, ...]
    routed: tuple[str, ...] = ()  # every version an alias sends traffic to, weighted too
    note: str = ""  # "deleted during collection": shown from its ListFunctions entry alone
    # every log group a version of it writes to (LoggingConfig, else /aws/lambda/<name>): a
    # failed read of one is a gap of each function that logs there
    log_groups: tuple[str, ...] = ()

    @property
    def arn(self) -> str:
        """The unqualified function ARN: what tells two same-named functions apart."""
        return FunctionRef(self.account, self.region, self.name).arn


def read_functions(
    case: Case, warnings: list[str] | None = None, *, diffs: bool = True
) -> list[FunctionFacts]:
    """Facts for every function that has at least one version or configuration in the case.

    With `diffs`, a version whose code changed carries the diff of its package against the
    version before (`analyze.diff`: files, redacted text diffs, who uploaded it).
    """
    view = CaseView(case) if diffs else None
    records = read_versions(case, warnings)
    # Keyed by (account, region, name): a same-named function in another region or account
    # is another function, and must never lend this one its URL, policy or aliases.
    by_function: dict[tuple[str, str, str], list[Document]] = {}
    for doc in documents(case, "alias", "policy", "url", warnings=warnings):
        by_function.setdefault(_function_key(doc.entry), []).append(doc)
    triggers = _triggers(documents(case, "event-source", warnings=warnings))
    code = _code_paths(case.entries())
    grouped: dict[tuple[str, str, str], list[VersionRecord]] = {}
    for record in records:
        grouped.setdefault((record.account, record.region, record.function), []).append(record)
    gone = _deleted(case, grouped)
    return [
        _function(key, versions, by_function.get(key, []), triggers, code, view, gone.get(key, ""))
        for key, versions in grouped.items()
    ]


def _deleted(
    case: Case, grouped: dict[tuple[str, str, str], list[VersionRecord]]
) -> dict[tuple[str, str, str], str]:
    """Add each function deleted during collection that has no version read, from its
    ListFunctions entry (`evidence.deleted`), to `grouped`; their notes by function."""
    notes = {}
    for fn in deleted_functions(case):
        key = (fn.account, fn.region, fn.name)
        notes[key] = NOTE
        if key in grouped or not fn.configuration or fn.listing is None:
            continue
        config = fn.configuration
        grouped[key] = [
            VersionRecord(
                account=fn.account,
                region=fn.region,
                function=fn.name,
                version=str(config.get("Version") or "$LATEST"),
                code_sha256=str(config.get("CodeSha256", "")),
                last_modified=utc_iso(config.get("LastModified")),
                configuration=config,
                evidence=fn.listing,
            )
        ]
    return notes


def _function_key(entry: ManifestEntry) -> tuple[str, str, str]:
    """(account, region, name) of the function a call was about; its ARN wins over the entry."""
    name = str(entry.params.get("FunctionName", ""))
    try:
        ref = FunctionRef.from_arn(name)
    except ValueError:
        return (entry.account or "", entry.region or "", name)
    return (ref.account, ref.region, ref.name)


def _function(
    key: tuple[str, str, str],
    versions: list[VersionRecord],
    docs: list[Document],
    triggers: dict[str, list[str]],
    code: dict[str, str],
    view: CaseView | None,
    note: str = "",
) -> FunctionFacts:
    account, region, name = key
    latest = versions[-1].configuration
    env = (latest.get("Environment") or {}).get("Variables") or {}
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    aliases = [
        a
        for d in docs
        if d.entry.kind == "alias"
        for a in d.body.get("Aliases", [])
        if isinstance(a, dict)
    ]
    return FunctionFacts(
        account=account,
        region=region,
        name=name,
        versions=tuple(_rows(versions, code, view)),
        configuration=tuple(
            (k, _show(redact_document(latest[k]))) for k in CONFIG_KEYS if k in latest
        ),
        environment=tuple(sorted(redact_environment(env).items())),
        aliases=tuple(describe_alias(a) for a in aliases),
        routed=tuple(dict.fromkeys(v for a in aliases for v in routed_versions(a))),
        policies=tuple(_policy(d) for d in docs if d.entry.kind == "policy"),
        urls=tuple(
            f"{u.get('FunctionUrl', '?')} (auth {u.get('AuthType', '?')})"
            for d in docs
            if d.entry.kind == "url"
            for u in d.body.get("FunctionUrlConfigs", [])
            if isinstance(u, dict)
        ),
        triggers=tuple(triggers.get(arn, [])),
        role=str(latest.get("Role", "")),
        evidence=tuple({r.evidence for r in versions} | {d.ref for d in docs}),
        note=note,
        log_groups=tuple(dict.fromkeys(configured_group(name, v.configuration) for v in versions)),
    )


def _rows(
    versions: list[VersionRecord], code: dict[str, str], view: CaseView | None
) -> list[VersionRow]:
    rows = []
    for number, record in enumerate(versions):
        before = versions[number - 1] if number else None
        changed = changed_fields(before.configuration, record.configuration) if before else []
        if before and before.code_sha256 != record.code_sha256:
            changed.insert(0, "code")
        rows.append(
            VersionRow(
                version=record.version,
                code_sha256=record.code_sha256,
                last_modified=record.last_modified or "",
                changed=tuple(changed),
                code_path=code.get(record.code_sha256),
                previous=before.version if before else None,
                diff=_diff(view, before, record),
            )
        )
    return rows


def _diff(
    view: CaseView | None, before: VersionRecord | None, after: VersionRecord
) -> CodeDiff | None:
    if view is None or before is None or before.code_sha256 == after.code_sha256:
        return None
    arn = FunctionRef(after.account, after.region, after.function).arn
    return diff_code(view, arn, before.version, after.version)


def _code_paths(entries: Iterable[ManifestEntry]) -> dict[str, str]:
    """AWS's base64 CodeSha256 -> the package's blob path, for the packages in the case."""
    paths = {}
    for entry in entries:
        if entry.kind == "code" and entry.path and entry.meta.get("code_sha256"):
            paths[str(entry.meta["code_sha256"])] = entry.path
    return paths


def _triggers(docs: Iterable[Document]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for doc in docs:
        for mapping in (
            doc.body.get("EventSourceMappings", []) if isinstance(doc.body, dict) else []
        ):
            arn = str(mapping.get("FunctionArn", "")).rsplit(":", 1)
            function_arn = arn[0] if len(arn) == 2 and arn[1].isdigit() else ":".join(arn)
            source = mapping.get("EventSourceArn") or mapping.get("SelfManagedEventSource") or "?"
            out.setdefault(function_arn, []).append(
                f"{_show(source)} ({mapping.get('State', '?')})"
            )
    return out


def _policy(doc: Document) -> str:
    policy: Any = doc.body.get("Policy", "") if isinstance(doc.body, dict) else ""
    with contextlib.suppress(orjson.JSONDecodeError):  # keep the text as stored if not JSON
        policy = orjson.loads(policy) if isinstance(policy, str) else policy
    qualifier = doc.entry.params.get("Qualifier")
    label = f"({qualifier}) " if qualifier else ""
    return label + _show(redact_document(policy))


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
