"""The report's per-function capability section: what each version's code can do, what it
gained over the version before, what the role allows against what the code calls, and
everything that can invoke the function.

Read from the case index (`capabilities`) and the trigger evidence through `analyze`; every
value is redacted here and escaped by the renderers (`escape.html`, `escape.markdown`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lambda_ir.analyze.capabilities_rows import (
    CapabilityRow,
    VersionCapabilities,
    aws_calls,
    first_of_each,
    gained,
    latest_read,
    read_capabilities,
    role_reach,
    version_key,
)
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.trigger_map import Trigger, read_triggers
from lambda_ir.evidence import Case
from lambda_ir.model import FunctionRef
from lambda_ir.redact import redact_text
from lambda_ir.report.escape import html as esc
from lambda_ir.report.escape import markdown as md

MAX_ROWS = 40  # per version; the `capabilities` table holds them all


@dataclass(frozen=True)
class VersionCapabilityFacts:
    """One version: how many rows, the first of each capability, and what it gained."""

    version: str
    read: bool
    rows: tuple[str, ...]  # "aws-call iam:UpdateAssumeRolePolicy (app.py:12)"
    gained: tuple[str, ...]
    total: int
    compared: bool = True  # a read version came before it


@dataclass(frozen=True)
class CapabilityFacts:
    """A function's capabilities by version, role reach and trigger map."""

    arn: str
    versions: tuple[VersionCapabilityFacts, ...]
    triggers: tuple[str, ...]
    used_not_granted: tuple[str, ...] = ()
    granted_unused: tuple[str, ...] = ()
    # what could say who can invoke it but was not read: "the resource policy (… denied)"
    unread: tuple[str, ...] = ()

    def invokers(self) -> tuple[str, ...]:
        """The triggers found, or why none is known: "none found" only when every source
        of them was read (a denied GetPolicy is no evidence that nobody may invoke it)."""
        unread = tuple(f"not read: {u}, so who else can invoke it is unknown" for u in self.unread)
        if unread:
            return self.triggers + unread
        return self.triggers or ("none found",)


def read_capability_facts(case: Case, warnings: list[str]) -> tuple[CapabilityFacts, ...]:
    """Facts for every function with versions or triggers in the case."""
    view = CaseView(case)
    try:
        by_function = read_capabilities(view.index)
        triggers = read_triggers(view)
    except Exception as exc:  # a report is still written without this section
        warnings.append(f"capabilities not shown: {type(exc).__name__}: {exc}")
        return ()
    unread = _unread_policies(view)
    roles = {role.arn: role for role in view.roles}
    configs = {config.key: config for config in view.functions}
    out = []
    for function, versions in by_function.items():
        place = (function.account, function.region, function.name)
        # Function URLs are listed with the function already (one place per URL).
        listed = [
            _trigger_line(t) for t in triggers if t.key3 == place and t.kind != "function-url"
        ]
        newest = latest_read(versions)
        config = configs.get(version_key(newest)) if newest else None
        role = roles.get(config.role) if config else None
        reach = role_reach(aws_calls(newest), role.documents) if newest and role else None
        out.append(
            CapabilityFacts(
                function.arn,
                tuple(_version_facts(versions)),
                tuple(dict.fromkeys(listed)),
                reach.used_not_granted if reach else (),
                reach.granted_unused if reach else (),
                unread.get(place, ()),
            )
        )
    return tuple(out)


def _unread_policies(view: CaseView) -> dict[tuple[str, str, str], tuple[str, ...]]:
    """Per function, its resource policies that could not be read (GetPolicy failed other
    than "none exists"): `the resource policy (lambda:GetPolicy denied: unqualified, 1)`."""
    out: dict[tuple[str, str, str], dict[str, dict[str, None]]] = {}
    for entry in view.errors():
        error = str(entry.error or "")
        if entry.api != "lambda:GetPolicy" or error.startswith("not-found"):
            continue
        name = str(entry.params.get("FunctionName") or "")
        try:
            ref = FunctionRef.from_arn(name)
            place = (ref.account, ref.region, ref.name)
        except ValueError:
            place = (entry.account or "", entry.region or "", name)
        qualifier = str(entry.params.get("Qualifier") or "unqualified")
        out.setdefault(place, {}).setdefault(error.split(":", 1)[0], {})[qualifier] = None
    return {
        place: tuple(
            f"the resource policy (lambda:GetPolicy {why}: {', '.join(qualifiers)})"
            for why, qualifiers in by_class.items()
        )
        for place, by_class in out.items()
    }


def _version_facts(versions: list[VersionCapabilities]) -> Iterator[VersionCapabilityFacts]:
    previous = None
    for version in versions:
        unique = first_of_each(version.rows)
        new: list[CapabilityRow] = (
            first_of_each(gained(previous, version)) if previous and version.read else []
        )
        yield VersionCapabilityFacts(
            version.function.qualifier or "",
            version.read,
            tuple(_row_line(r.kind, r.value, r.where) for r in unique[:MAX_ROWS]),
            tuple(_row_line(r.kind, r.value, r.where) for r in new),
            len(unique),
            previous is not None,
        )
        previous = version if version.read else None


def _row_line(kind: str, value: str, where: str) -> str:
    return redact_text(f"{kind} {value} ({where})")


def _trigger_line(trigger: Trigger) -> str:
    detail = f" [{trigger.detail}]" if trigger.detail else ""
    return redact_text(f"{trigger.kind}: {trigger.source}{detail}")


def capability_of(facts: tuple[CapabilityFacts, ...], arn: str) -> CapabilityFacts | None:
    """The capability facts of one function (by unqualified ARN), if any."""
    return next((f for f in facts if f.arn == arn), None)


def capabilities_html(found: CapabilityFacts | None) -> Iterator[str]:
    """The HTML section: triggers, role reach, then each version's capabilities."""
    if found is None:
        return
    yield "<h4>What can invoke it</h4><ul>"
    yield from (f"<li><code>{esc(t)}</code></li>" for t in found.invokers())
    yield "</ul><h4>What its code can do, by version</h4><table><thead><tr><th>Version</th>"
    yield "<th>Capabilities (first place each appears)</th><th>Gained over previous</th>"
    yield "</tr></thead><tbody>"
    for version in found.versions:
        rows = _cell_html(version.rows, version.total) if version.read else "package not read"
        css = ' class="danger"' if version.gained else ""
        yield (
            f"<tr><td>{esc(version.version)}</td><td>{rows}</td>"
            f"<td{css}>{_gained_html(version)}</td></tr>"
        )
    yield "</tbody></table>"
    yield from (
        f"<p>{label}: <code>{esc(', '.join(values))}</code></p>"
        for label, values in _reach(found)
        if values
    )


def _gained_html(version: VersionCapabilityFacts) -> str:
    if version.gained:
        return _cell_html(version.gained, len(version.gained))
    if not version.read or not version.compared:
        return "no earlier version read to compare"
    return "nothing sensitive"


def _cell_html(lines: tuple[str, ...], total: int) -> str:
    shown = "<br>".join(f"<code>{esc(line)}</code>" for line in lines)
    more = f"<br>… and {total - len(lines)} more" if total > len(lines) else ""
    return shown + more if lines else ("none" if total == 0 else "")


def capabilities_markdown(found: CapabilityFacts | None) -> Iterator[str]:
    """The Markdown section: the same content as `capabilities_html`."""
    if found is None:
        return
    yield f"- What can invoke it: {md('; '.join(found.invokers()))}"
    for version in found.versions:
        if not version.read:
            yield f"- Version {md(version.version)} code: package not read"
            continue
        listed = md("; ".join(version.rows)) if version.rows else "no capabilities"
        yield f"- Version {md(version.version)} code can: {listed}"
        if version.gained:
            yield f"  - **gained over the previous version:** {md('; '.join(version.gained))}"
    for label, values in _reach(found):
        if values:
            yield f"- {label}: {md(', '.join(values))}"


def _reach(found: CapabilityFacts) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return (
        ("Called by the code, not granted by the role", found.used_not_granted),
        ("Granted by the role, never called by the code", found.granted_unused),
    )
