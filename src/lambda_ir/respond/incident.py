"""`contain --incident ID`: the functions and actions an incident in `incidents.json` calls for.

`incidents.json` (DESIGN.md) lists incidents with `functions` (ARNs or names) and `actions`,
the recommended containment. An action is read as our action name, optionally with its value
(`"throttle"`, `"pin-alias=3"`, `"pin-alias 3"`), or an object `{"action": …, "value": …}`;
anything else is reported as not understood, never guessed at. The result is still only a
plan until `--apply`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from lambda_ir import sanitize
from lambda_ir.evidence import Case
from lambda_ir.respond.actions import BY_NAME

INCIDENTS = "incidents.json"


class IncidentError(ValueError):
    """No incidents.json, or no incident with that id."""


@dataclass(frozen=True)
class Proposal:
    """What an incident calls for: functions, `--action` texts, and what was not understood."""

    incident: str
    title: str
    functions: tuple[str, ...]
    actions: tuple[str, ...]
    not_understood: tuple[str, ...]


def propose(case: Case, incident_id: str) -> Proposal:
    """Read the incident from the case's incidents.json."""
    path = case.root / INCIDENTS
    if not path.is_file():
        analyze = sanitize.shell_command("lambda-ir", "analyze", "--case", case.root)
        raise IncidentError(f"{path} does not exist: run `{analyze}` first")
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise IncidentError(f"{path} is not valid JSON: {exc}") from exc
    incidents = document.get("incidents", []) if isinstance(document, dict) else document
    found = next(
        (i for i in incidents if isinstance(i, dict) and str(i.get("id")) == incident_id), None
    )
    if found is None:
        raise IncidentError(f"no incident {incident_id!r} in {path}")
    actions: list[str] = []
    unknown: list[str] = []
    for item in found.get("actions") or []:
        text = _action_text(item)
        (actions if text is not None else unknown).append(text or _show(item))
    return Proposal(
        incident_id,
        str(found.get("title", "")),
        tuple(_function(f) for f in found.get("functions") or [] if _function(f)),
        tuple(dict.fromkeys(actions)),
        tuple(unknown),
    )


def _action_text(item: Any) -> str | None:
    if isinstance(item, dict):
        name = item.get("action") or item.get("name")
        value = item.get("value")
        text = f"{name}={value}" if name and value is not None else name
    else:
        text = str(item)
    if not isinstance(text, str):
        return None
    name, sep, value = text.strip().replace(" ", "=", 1).partition("=")
    if name not in BY_NAME:
        return None
    return f"{name}={value.strip()}" if sep and value.strip() else name


def _function(item: Any) -> str:
    if isinstance(item, dict):
        item = item.get("arn") or item.get("name") or ""
    return str(item)


def _show(item: Any) -> str:
    return orjson.dumps(item).decode()[:200]
