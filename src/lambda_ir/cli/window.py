"""The logs/CloudTrail window `collect` and `investigate` take when given no --since/--until.

A new case gets the last `DEFAULT_SINCE`; a case collected before resumes the window of
its first collection (as custody recorded it), so a rerun fills that window's gaps instead
of starting a new one. Either way the output and custody say which window was taken.
"""

from __future__ import annotations

from pathlib import Path

from lambda_ir.acquire import Scope
from lambda_ir.acquire.context import DEFAULT_SINCE
from lambda_ir.evidence import layout
from lambda_ir.evidence.custody import read_entries


def default_window(
    case_dir: Path, since: str | None, until: str | None
) -> tuple[str | None, str | None, str | None]:
    """(since, until, why) — `why` is None when the user gave a window."""
    if since is not None or until is not None:
        return since, until, None
    earlier = _first_window(case_dir / layout.CUSTODY)
    if earlier is not None:
        return earlier[0], earlier[1], "the window of this case's first collection"
    return DEFAULT_SINCE, None, f"the last {DEFAULT_SINCE}"


def _first_window(custody: Path) -> tuple[str, str] | None:
    for _number, _raw, entry in read_entries(custody):
        if entry is None or entry.action != "collect-started":
            continue
        scope = entry.details.get("scope") or {}
        since, until = scope.get("since"), scope.get("until")
        if isinstance(since, str) and isinstance(until, str):
            return since, until
    return None


def window_lines(scope: Scope) -> list[str]:
    """What the run reads over time, said plainly (the default window, --no-logs)."""
    start, end = scope.since or "the oldest kept (CloudTrail: 90 days)", scope.until or "now"
    source = "CloudTrail" if not scope.logs else "logs and CloudTrail"
    lines = [f"Window: {source} from {start} to {end}"]
    if scope.since_default:
        lines[0] += f" (default: {scope.since_default}; --since changes it)"
    if not scope.logs:
        lines.append("--no-logs: the functions' CloudWatch logs are not collected")
    return lines
