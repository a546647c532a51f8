"""Compare two versions of a function: files added/removed/changed, text diffs, configuration.

Qualifiers are version numbers, `$LATEST` or alias names (resolved to the alias's primary
version). Packages are read in memory within the same limits as the code detectors; diffs of
text files are redacted for secrets before anyone sees them.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass

from lambda_ir.analyze.archive import ReadReport, read_members
from lambda_ir.analyze.attribution import code_event, config_event
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.function_names import AmbiguousName, function_arns, one_function
from lambda_ir.analyze.trail_rows import TrailRow
from lambda_ir.analyze.unknowns import UNKNOWN_TIME
from lambda_ir.analyze.values import FunctionConfig
from lambda_ir.model import Actor
from lambda_ir.redact import is_secret_name, redact_text, redact_value
from lambda_ir.sanitize import field

MAX_TEXT = 1024 * 1024  # files larger than this get no text diff
MAX_DIFF_LINES = 400


class DiffError(Exception):
    """The function or a qualifier is not in the case."""


@dataclass(frozen=True)
class FileChange:
    """One file that differs between the two packages."""

    name: str
    status: str  # added | removed | changed
    sha256_a: str
    sha256_b: str
    text_diff: str  # unified diff (redacted), "" for binary or large files


@dataclass(frozen=True)
class ConfigChange:
    """One configuration field that differs (secret values shown redacted)."""

    field: str
    a: str
    b: str


@dataclass(frozen=True)
class Attribution:
    """The CloudTrail call that made a version's code or configuration, when the trail has it."""

    event_name: str
    time: str
    actor: Actor
    event_id: str


@dataclass(frozen=True)
class VersionDiff:
    """Everything that differs between qualifiers A and B of one function."""

    function: str
    a: FunctionConfig
    b: FunctionConfig
    files: tuple[FileChange, ...]
    config: tuple[ConfigChange, ...]
    code_by: Attribution | None
    config_by: Attribution | None
    skipped: tuple[str, ...]


def resolve(case: CaseView, function: str, qualifier: str) -> FunctionConfig:
    """The collected version a qualifier names (number, $LATEST, or alias)."""
    try:
        arn = one_function(function, function_arns(case, function))
    except AmbiguousName as exc:
        raise DiffError(str(exc)) from exc
    if arn is None:
        raise DiffError(f"function {function!r} is not in the case")
    configs = [c for c in case.functions if c.unqualified_arn == arn]
    # The alias of this function: same account, region and name (a same-named function
    # elsewhere has its own `live`).
    ref = configs[0].ref
    name = ref.name
    version = qualifier
    for alias in case.aliases:
        target = alias.function
        same = (target.account, target.region, target.name) == (ref.account, ref.region, name)
        if same and target.qualifier == qualifier:
            version = alias.version
    for config in configs:
        if config.ref.qualifier == version:
            return config
    known = ", ".join(sorted(str(c.ref.qualifier) for c in configs))
    raise DiffError(f"{name} has no collected version or alias {qualifier!r} (have: {known})")


def _files(case: CaseView, config: FunctionConfig, skipped: list[str]) -> dict[str, bytes]:
    blob = case.code_blob(config.code_sha256) if config.code_sha256 else None
    if blob is None:
        skipped.append(f"{config.ref.arn}: code package not in the case")
        return {}
    report = ReadReport()
    files = {
        m.name: m.data
        for m in read_members(case.read_bytes(blob, 512 * 1024 * 1024), report=report, jars=True)
    }
    skipped.extend(f"{config.ref.arn}: {s}" for s in report.skipped)
    return files


def _text(data: bytes) -> list[str] | None:
    if len(data) > MAX_TEXT or b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def file_changes(old: dict[str, bytes], new: dict[str, bytes]) -> list[FileChange]:
    """Added, removed and changed files, with redacted unified diffs of text files."""
    out = []
    for name in sorted(old.keys() | new.keys()):
        a, b = old.get(name), new.get(name)
        if a == b:
            continue
        status = "added" if a is None else "removed" if b is None else "changed"
        lines_a, lines_b = _text(a or b""), _text(b or b"")
        text = ""
        if lines_a is not None and lines_b is not None:
            diff = list(
                difflib.unified_diff(lines_a, lines_b, f"a/{field(name)}", f"b/{field(name)}")
            )
            text = redact_text("".join(diff[:MAX_DIFF_LINES]))
        out.append(FileChange(name, status, _sha(a), _sha(b), text))
    return out


def _sha(data: bytes | None) -> str:
    return hashlib.sha256(data).hexdigest() if data is not None else ""


def config_changes(a: FunctionConfig, b: FunctionConfig) -> list[ConfigChange]:
    """Fields of the configuration that differ; environment values of secrets redacted."""
    fields = (
        "runtime",
        "handler",
        "role",
        "code_sha256",
        "package_type",
        "log_group",
        "timeout",
        "memory",
    )
    out = [
        ConfigChange(f, str(getattr(a, f)), str(getattr(b, f)))
        for f in fields
        if getattr(a, f) != getattr(b, f)
    ]
    if a.layers != b.layers:
        out.append(ConfigChange("layers", ", ".join(a.layers), ", ".join(b.layers)))
    for name in sorted(a.environment.keys() | b.environment.keys()):
        va, vb = a.environment.get(name), b.environment.get(name)
        if va != vb:
            out.append(ConfigChange(f"environment.{name}", _show(name, va), _show(name, vb)))
    return out


def _show(name: str, value: str | None) -> str:
    if value is None:
        return "(unset)"
    return redact_value(value) if is_secret_name(name) else redact_text(value)


def _attribution(row: TrailRow | None) -> Attribution | None:
    if row is None:
        return None
    return Attribution(row.event_name, row.time or "", row.actor, row.event_id)


def diff_versions(case: CaseView, function: str, a: str, b: str) -> VersionDiff:
    """Compare qualifiers A and B of a function, attributing B's code and configuration."""
    old, new = resolve(case, function, a), resolve(case, function, b)
    skipped: list[str] = []
    files = (
        []
        if old.code_sha256 == new.code_sha256
        else file_changes(_files(case, old, skipped), _files(case, new, skipped))
    )
    return VersionDiff(
        function=new.unqualified_arn,
        a=old,
        b=new,
        files=tuple(files),
        config=tuple(config_changes(old, new)),
        code_by=_attribution(code_event(case, new)) if files else None,
        config_by=_attribution(config_event(case, new)),
        skipped=tuple(skipped),
    )


def diff_document(result: VersionDiff) -> dict[str, object]:
    """The diff as JSON (for `--json` and for the report)."""

    def who(attribution: Attribution | None) -> dict[str, object] | None:
        if attribution is None:
            return None
        return {
            "event_name": attribution.event_name,
            "time": attribution.time,
            "event_id": attribution.event_id,
            "actor": attribution.actor.to_json(),
        }

    return {
        "function": result.function,
        "a": {
            "qualifier": result.a.ref.qualifier,
            "code_sha256": result.a.code_sha256,
            "evidence": result.a.evidence.to_json(),
        },
        "b": {
            "qualifier": result.b.ref.qualifier,
            "code_sha256": result.b.code_sha256,
            "evidence": result.b.evidence.to_json(),
        },
        "files": [f.__dict__ for f in result.files],
        "config": [c.__dict__ for c in result.config],
        "code_changed_by": who(result.code_by),
        "config_changed_by": who(result.config_by),
        "skipped": list(result.skipped),
    }


def render_diff(result: VersionDiff) -> str:
    """The diff as text for a person: summary lines, then the redacted unified diffs.

    Every value from the evidence (names, configuration values, actors, file names) goes
    through `sanitize.field`: a line break or escape sequence in it cannot print a fake line.
    """
    a, b, v = result.a, result.b, field
    lines = [f"{v(result.function)}: version {v(a.ref.qualifier)} -> {v(b.ref.qualifier)}"]
    if a.code_sha256 == b.code_sha256:
        lines.append(f"code: unchanged ({v(a.code_sha256)})")
    else:
        lines.append(f"code: {v(a.code_sha256)} -> {v(b.code_sha256)}")
        # its event name carries the API version (`PublishVersion20150331`)
        by = result.code_by
        published = by is not None and by.event_name.startswith("PublishVersion")
        lines.append(("  published " if published else "  uploaded ") + _who(by))
    if result.config:
        lines.append("configuration:")
        lines.extend(
            f"  {v(c.field)}: {v(c.a or '(none)')} -> {v(c.b or '(none)')}" for c in result.config
        )
        lines.append("  last configured " + _who(result.config_by))
    else:
        lines.append("configuration: unchanged")
    counts = {
        s: sum(1 for f in result.files if f.status == s) for s in ("added", "changed", "removed")
    }
    lines.append("files: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    lines.extend(f"  {f.status:<8}{v(f.name)}" for f in result.files)
    lines.extend(f"  skipped: {v(s)}" for s in result.skipped)
    lines.extend(f.text_diff.rstrip("\n") for f in result.files if f.text_diff)
    return "\n".join(lines)


def _who(attribution: Attribution | None) -> str:
    if attribution is None:
        return "by: unknown (no matching CloudTrail event in the case)"
    actor, v = attribution.actor, field
    return (
        f"by {v(actor.name)} from {v(actor.source_ip or '?')} ({v(actor.user_agent or '?')}) at "
        f"{v(attribution.time or UNKNOWN_TIME)} [{v(attribution.event_name)} "
        f"{v(attribution.event_id)}]"
    )
