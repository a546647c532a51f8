"""Runtime snapshots (what only existed inside a running function), when the case has any.

The runtime collector's snapshot says when it was taken (`captured_at`); without one, the
time it was collected into the case stands in, and the message says so.
"""

from __future__ import annotations

from typing import Any

from lambda_ir.evidence import Case
from lambda_ir.model import TimelineEvent
from lambda_ir.timeline.clock import utc_iso
from lambda_ir.timeline.documents import documents


def runtime_events(case: Case, warnings: list[str] | None = None) -> list[TimelineEvent]:
    """One `runtime-snapshot` event per stored snapshot."""
    events = []
    for doc in documents(case, "runtime", warnings=warnings):
        body: dict[str, Any] = doc.body if isinstance(doc.body, dict) else {}
        captured = utc_iso(body.get("captured_at") or doc.entry.meta.get("captured_at"))
        time = captured or utc_iso(doc.entry.acquired_at)
        if time is None:
            continue
        function = str(body.get("function") or doc.entry.meta.get("function") or "")
        counts = [
            f"{len(body[key])} {key}"
            for key in ("processes", "connections", "files")
            if isinstance(body.get(key), list)
        ]
        what = f"runtime snapshot of {function or 'a function'}"
        if counts:
            what += f": {', '.join(counts)}"
        if captured is None:
            what += " (time of collection; the snapshot carries no capture time)"
        events.append(
            TimelineEvent(
                time=time,
                source="runtime",
                kind="runtime-snapshot",
                resource=function,
                summary=what,
                evidence=(doc.ref,),
                account=doc.entry.account or "",
                region=doc.entry.region or "",
                function=function,
            )
        )
    return sorted(events, key=lambda e: e.time)
