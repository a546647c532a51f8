"""Load configuration evidence (API responses under raw/) into the index's resource tables.

Responses are small, so they are read in Python from the files the manifest lists (by
`kind`, per docs/EVIDENCE.md) and inserted row by row; whole responses stay in JSON columns
so a field we do not break out is still queryable. A response that does not parse is a
problem string, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import orjson

from lambda_ir.evidence import index_code, index_iam
from lambda_ir.evidence.case import Case
from lambda_ir.evidence.index_values import (
    bulk_insert,
    code_sha256_hex,
    json_text,
    utc_timestamp,
)
from lambda_ir.evidence.manifest import ManifestEntry

Row = tuple[Any, ...]
Loader = Callable[[ManifestEntry, Any], Iterator[Row]]


def load_config(con: duckdb.DuckDBPyConnection, case: Case) -> list[str]:
    """Fill every resource table from the case's API responses; returns problems."""
    problems: list[str] = []
    entries = [e for e in case.entries() if e.path and e.error is None]
    versions = _rows(case, entries, ("function", "function-versions"), _versions, problems)
    _insert(con, "versions", _unique(versions, key=lambda r: (r[0], r[1], r[2], r[4])))
    tags = _rows(case, entries, ("function",), _tags, problems)
    functions = [
        _function_row(r, tags) for r in _unique(_latest_first(versions), key=lambda r: r[:3])
    ]
    _insert(con, "functions", functions)
    for table, kinds, loader in TABLE_LOADERS:
        _insert(con, table, _rows(case, entries, kinds, loader, problems))
    problems += index_code.load_code_files(con, case, entries)
    return problems


def _rows(
    case: Case,
    entries: list[ManifestEntry],
    kinds: tuple[str, ...],
    loader: Loader,
    problems: list[str],
) -> list[Row]:
    rows: list[Row] = []
    for entry in entries:
        if entry.kind not in kinds or entry.path is None:
            continue
        try:
            document = case.read_json(entry.path)
            rows.extend((*row, entry.path, entry.sha256) for row in loader(entry, document))
        except (OSError, orjson.JSONDecodeError, TypeError, AttributeError, KeyError) as exc:
            problems.append(f"{entry.path}: {type(exc).__name__}: {exc}")
    return rows


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[Row]) -> None:
    bulk_insert(con, table, rows)


def _unique(rows: list[Row], key: Callable[[Row], Any]) -> list[Row]:
    seen: dict[Any, Row] = {}
    for row in rows:
        seen.setdefault(key(row), row)
    return list(seen.values())


def _versions(entry: ManifestEntry, document: Any) -> Iterator[Row]:
    configs = document.get("Versions") or [] if entry.kind == "function-versions" else []
    if entry.kind == "function" and isinstance(document.get("Configuration"), dict):
        configs = [{**document["Configuration"], "_Code": document.get("Code")}]
    for config in configs:
        code = config.pop("_Code", None) or {}
        yield (
            entry.account,
            entry.region,
            config.get("FunctionName"),
            config.get("FunctionArn"),
            config.get("Version"),
            config.get("Runtime"),
            config.get("Handler"),
            config.get("Role"),
            config.get("CodeSha256"),
            code_sha256_hex(config.get("CodeSha256")),
            config.get("CodeSize"),
            config.get("Timeout"),
            config.get("MemorySize"),
            utc_timestamp(config.get("LastModified")),
            config.get("PackageType"),
            code.get("ImageUri") or (config.get("ImageConfigResponse") or {}).get("ImageUri"),
            json_text(config.get("Environment")),
            json_text(config.get("Layers")),
            json_text(config.get("LoggingConfig")),
            json_text(config),
        )


def _latest_first(versions: list[Row]) -> list[Row]:
    return sorted(versions, key=lambda row: row[4] != "$LATEST")


def _tags(entry: ManifestEntry, document: Any) -> Iterator[Row]:
    config = document.get("Configuration") or {}
    yield (entry.account, entry.region, config.get("FunctionName"), json_text(document.get("Tags")))


def _function_row(version: Row, tags: list[Row]) -> Row:
    """A function's row from its first-seen version row (GetFunction responses come first)."""
    account, region, name, arn, _, runtime, handler, role, sha, sha_hex = version[:10]
    last_modified, package_type = version[13], version[14]
    found = [t[3] for t in tags if t[:3] == (account, region, name) and t[3] is not None]
    return (account, region, name, arn.rsplit(":", 1)[0] if arn and arn.count(":") > 6 else arn,
            runtime, handler, role, sha, sha_hex, package_type, last_modified,
            found[0] if found else None, version[19], version[20], version[21])  # fmt: skip


def _aliases(entry: ManifestEntry, document: Any) -> Iterator[Row]:
    for alias in document.get("Aliases") or []:
        yield (
            entry.account,
            entry.region,
            entry.params.get("FunctionName"),
            alias.get("Name"),
            alias.get("AliasArn"),
            alias.get("FunctionVersion"),
            json_text(alias.get("RoutingConfig")),
            json_text(alias),
        )


def _policies(entry: ManifestEntry, document: Any) -> Iterator[Row]:
    policy = document.get("Policy")
    parsed = orjson.loads(policy) if isinstance(policy, str) else policy or {}
    statements = parsed.get("Statement") or []
    layer = entry.params.get("Arn") or entry.params.get("LayerName")
    for statement in statements if isinstance(statements, list) else [statements]:
        yield (
            entry.account,
            entry.region,
            entry.params.get("FunctionName"),
            entry.params.get("Qualifier"),
            layer if entry.api == "lambda:GetLayerVersionPolicy" else None,
            statement.get("Sid") if isinstance(statement, dict) else None,
            json_text(statement),
        )


def _urls(entry: ManifestEntry, document: Any) -> Iterator[Row]:
    for url in document.get("FunctionUrlConfigs") or []:
        arn = url.get("FunctionArn") or ""
        parts = arn.split(":")
        yield (
            entry.account,
            entry.region,
            entry.params.get("FunctionName") or (parts[6] if len(parts) > 6 else None),
            parts[7] if len(parts) > 7 else None,
            url.get("FunctionUrl"),
            url.get("AuthType"),
            json_text(url.get("Cors")),
            json_text(url),
        )


def _event_sources(entry: ManifestEntry, document: Any) -> Iterator[Row]:
    for mapping in document.get("EventSourceMappings") or []:
        arn = mapping.get("FunctionArn") or ""
        parts = arn.split(":")
        yield (
            entry.account,
            entry.region,
            mapping.get("UUID"),
            arn,
            parts[6] if len(parts) > 6 else None,
            mapping.get("EventSourceArn"),
            mapping.get("State"),
            json_text(mapping),
        )


def _layers(entry: ManifestEntry, document: Any) -> Iterator[Row]:
    content = document.get("Content") or {}
    yield (
        entry.account,
        entry.region,
        document.get("LayerArn"),
        document.get("LayerVersionArn"),
        document.get("Version"),
        content.get("CodeSha256"),
        code_sha256_hex(content.get("CodeSha256")),
        content.get("CodeSize"),
        json_text(document.get("CompatibleRuntimes")),
        json_text(document),
    )


TABLE_LOADERS: tuple[tuple[str, tuple[str, ...], Loader], ...] = (
    ("aliases", ("alias",), _aliases),
    ("policies", ("policy",), _policies),
    ("urls", ("url",), _urls),
    ("event_sources", ("event-source",), _event_sources),
    ("layers", ("layer",), _layers),
    ("roles", ("role",), index_iam.roles),
    ("role_policies", ("role-policy",), index_iam.role_policies),
)
