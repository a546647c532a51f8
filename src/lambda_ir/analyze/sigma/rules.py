"""Load Sigma rule files: parse with pySigma, compile for DuckDB, or say why not.

A rule that does not parse, is not for `aws/cloudtrail`, is a correlation rule, uses a
feature the backend lacks (keyword search), or compiles to more than a condition (a subquery or
a statement: `guard.check_where`) is returned as `Unsupported` with the reason; loading never
stops at one bad rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from lambda_ir.analyze.sigma.backend import TrailBackend
from lambda_ir.analyze.sigma.guard import check_where
from lambda_ir.model import Severity

_LEVELS = {
    "informational": Severity.INFO,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}
_TECHNIQUE = re.compile(r"^attack\.(t\d{4}(?:\.\d{3})?)$", re.IGNORECASE)


@dataclass(frozen=True)
class CompiledRule:
    """A Sigma rule ready to run: its metadata and a DuckDB WHERE clause on a raw `record`."""

    id: str
    title: str
    severity: Severity
    attack: tuple[str, ...]
    path: str
    where: str
    false_positives: str


@dataclass(frozen=True)
class Unsupported:
    """A rule file (or rule) that cannot run here, and why."""

    path: str
    title: str
    reason: str


def rule_files(dirs: Iterable[Path]) -> list[Path]:
    """Every .yml/.yaml file under the folders, sorted (symlinks not followed)."""
    files: list[Path] = []
    for folder in dirs:
        files.extend(p for p in Path(folder).rglob("*") if p.suffix in (".yml", ".yaml"))
    return sorted(p for p in files if p.is_file() and not p.is_symlink())


def load_rules(dirs: Iterable[Path]) -> tuple[list[CompiledRule], list[Unsupported]]:
    """Compile every rule under `dirs`; the rest come back as unsupported, with reasons."""
    backend = TrailBackend()
    checker = duckdb.connect(":memory:")  # DuckDB checks each clause on an empty record
    compiled: list[CompiledRule] = []
    unsupported: list[Unsupported] = []
    for path in rule_files(dirs):
        try:
            collection = SigmaCollection.from_yaml(path.read_text(encoding="utf-8"))
        except (SigmaError, ValueError, UnicodeDecodeError, yaml.YAMLError) as exc:
            unsupported.append(Unsupported(str(path), "", f"does not parse: {exc}"))
            continue
        for rule in collection.rules:
            result = _compile(rule, str(path), backend, checker)
            if isinstance(result, CompiledRule):
                compiled.append(result)
            else:
                unsupported.append(result)
    return compiled, unsupported


def _compile(
    rule: SigmaRule | object, path: str, backend: TrailBackend, checker: duckdb.DuckDBPyConnection
) -> CompiledRule | Unsupported:
    if not isinstance(rule, SigmaRule):
        return Unsupported(path, str(getattr(rule, "title", "")), "correlation rules not supported")
    title = str(rule.title)
    if rule.errors:
        return Unsupported(path, title, f"invalid rule: {rule.errors[0]}")
    source = rule.logsource
    if (source.product, source.service) != ("aws", "cloudtrail"):
        return Unsupported(
            path, title, f"logsource {source.product}/{source.service} is not aws/cloudtrail"
        )
    try:
        queries = backend.convert_rule(rule)
        where = " OR ".join(f"({q})" for q in queries)
        check_where(where, checker)  # parsed only; refused before anything runs it
        checker.execute(f"SELECT count(*) FROM (SELECT NULL::JSON AS record) WHERE {where}")  # noqa: S608
    except (SigmaError, NotImplementedError, ValueError, duckdb.Error) as exc:
        return Unsupported(path, title, f"{type(exc).__name__}: {exc}")
    level = rule.level.name.lower() if rule.level else "medium"
    return CompiledRule(
        id=str(rule.id or title),
        title=title,
        severity=_LEVELS.get(level, Severity.MEDIUM),
        attack=tuple(
            m.group(1).upper()
            for tag in rule.tags
            if (m := _TECHNIQUE.match(f"{tag.namespace}.{tag.name}"))
        ),
        path=path,
        where=where,
        false_positives="; ".join(str(fp) for fp in rule.falsepositives or []),
    )
