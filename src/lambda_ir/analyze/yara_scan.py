"""YARA-X over code: the bundled Lambda rules plus the responder's rule folders.

Rules are compiled once per analysis run (never at import). Each rule's metadata (`title`,
`severity`, `attack`, `context`) becomes the finding's; a user rule without them is treated as
`medium`. Scans run on bytes in memory with a timeout; nothing is written or executed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yara_x

from lambda_ir.model import Severity

SCAN_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class YaraMatch:
    """One rule that matched one file, with what the rule says about itself."""

    rule: str
    namespace: str
    title: str
    severity: Severity
    attack: tuple[str, ...]
    context: str
    offset: int  # of the first matching string, -1 for condition-only rules


def bundled_sources() -> list[tuple[str, str]]:
    """(origin, source) of every rule file shipped in `lambda_ir/analyze/rules/`."""
    folder = resources.files("lambda_ir.analyze") / "rules"
    return [
        (f"bundled/{item.name}", item.read_text(encoding="utf-8"))
        for item in sorted(folder.iterdir(), key=lambda i: i.name)
        if item.name.endswith((".yar", ".yara"))
    ]


def user_sources(dirs: Iterable[Path]) -> list[tuple[str, str]]:
    """(origin, source) of every .yar/.yara file under the given folders."""
    out = []
    for folder in dirs:
        for path in sorted(Path(folder).rglob("*")):
            if path.suffix in (".yar", ".yara") and path.is_file() and not path.is_symlink():
                out.append((str(path), path.read_text(encoding="utf-8", errors="replace")))
    return out


def compile_rules(user_dirs: Iterable[Path] = ()) -> yara_x.Rules:
    """Bundled rules in namespace `lambda_ir`, each user file in its own namespace.

    A user file that does not compile raises `yara_x.CompileError` naming the file: a
    responder's rule that silently does nothing would be worse than a clear error.
    """
    compiler = yara_x.Compiler()
    compiler.new_namespace("lambda_ir")
    for origin, source in bundled_sources():
        compiler.add_source(source, origin=origin)
    for index, (origin, source) in enumerate(user_sources(user_dirs)):
        compiler.new_namespace(f"user{index}")
        compiler.add_source(source, origin=origin)
    return compiler.build()


def _meta(rule: yara_x.Rule) -> dict[str, str]:
    return {str(key): str(value) for key, value in rule.metadata}


def _severity(text: str) -> Severity:
    try:
        return Severity(text.lower())
    except ValueError:
        return Severity.MEDIUM


def scan(scanner: yara_x.Scanner, data: bytes) -> list[YaraMatch]:
    """Matching rules for one buffer; a timeout yields no matches rather than an exception."""
    try:
        results = scanner.scan(data)
    except (yara_x.TimeoutError, yara_x.ScanError):
        return []
    out = []
    for rule in results.matching_rules:
        meta = _meta(rule)
        offsets = [m.offset for p in rule.patterns for m in p.matches]
        out.append(
            YaraMatch(
                rule=rule.identifier,
                namespace=rule.namespace,
                title=meta.get("title") or meta.get("description") or rule.identifier,
                severity=_severity(meta.get("severity", "medium")),
                attack=tuple(a.strip() for a in meta.get("attack", "").split(",") if a.strip()),
                context=meta.get("context", ""),
                offset=min(offsets) if offsets else -1,
            )
        )
    return out


def new_scanner(rules: yara_x.Rules) -> yara_x.Scanner:
    """A scanner with lambda-ir's timeout."""
    scanner = yara_x.Scanner(rules)
    scanner.set_timeout(SCAN_TIMEOUT_SECONDS)
    return scanner
