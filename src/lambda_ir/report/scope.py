"""What a case set out to hold (`case.json`'s `scope`), said plainly for the report's header.

`collect` records its regions, functions, window and baseline (`acquire.context.Scope`);
`import-trail`, `hunt`, `contain` and `runtime` record other keys. The known ones read as a
sentence ("every function", "logs and CloudTrail from … to …"), anything else as `key: value`;
unset values (None, empty lists) are left out rather than shown as "None".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_KNOWN = ("regions", "functions", "since", "until", "baseline", "logs", "since_default")


def scope_text(scope: Mapping[str, Any]) -> str:
    """The scope as one line; "not recorded" for an empty one."""
    parts: list[str] = []
    if "regions" in scope:
        parts.append("regions " + (_join(scope["regions"]) or "none"))
    if "functions" in scope:
        names = _join(scope["functions"])
        parts.append(f"functions {names}" if names else "every function")
    if window := _window(scope):
        parts.append(window)
    if scope.get("baseline"):
        parts.append(f"Lambda's CloudTrail history from {scope['baseline']} for the baseline")
    parts.extend(
        f"{key}: {_join(value)}"
        for key, value in sorted(scope.items())
        if key not in _KNOWN and _join(value)
    )
    return "; ".join(parts) or "not recorded"


def _window(scope: Mapping[str, Any]) -> str:
    since, until = scope.get("since"), scope.get("until")
    if not since and not until:
        return ""
    source = "CloudTrail only (--no-logs)" if scope.get("logs") is False else "logs and CloudTrail"
    text = f"{source} from {since or 'the oldest kept'} to {until or 'when it was collected'}"
    if scope.get("since_default"):
        text += f" (by default: {scope['since_default']})"
    return text


def _join(value: object) -> str:
    """A value as text: lists joined, mappings as `key value`, unset values empty."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_join(v)}" for k, v in value.items() if _join(v))
    if isinstance(value, list | tuple):
        return ", ".join(_join(v) for v in value if _join(v))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
