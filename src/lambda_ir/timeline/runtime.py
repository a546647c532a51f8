"""Runtime snapshots (what only existed inside a running function), when the case has any.

Three kinds of event come from the collector's snapshots (`lambda_ir.runtime`):
`runtime-snapshot` when one was taken (`captured_at`; without one, the time it was collected
into the case stands in, and the message says so), `runtime-file` when a file in /tmp was
last written (its mtime) and `runtime-process` when a process other than the collector
started (snapshots taken inside Lambda only). A file or process seen in several snapshots
is one event citing each of them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lambda_ir.analyze.unknowns import UNKNOWN_SIZE
from lambda_ir.evidence import Case
from lambda_ir.model import EvidenceRef, TimelineEvent
from lambda_ir.redact import redact_shown
from lambda_ir.timeline.clock import utc_iso
from lambda_ir.timeline.documents import Document, documents

Keyed = list[tuple[tuple[str, ...], TimelineEvent]]
MAX_PER_SNAPSHOT = 500  # /tmp files and processes put on the timeline from one snapshot
COMMAND_CHARS = 300  # of a process's command line in its event


def runtime_events(case: Case, warnings: list[str] | None = None) -> list[TimelineEvent]:
    """Snapshot, /tmp file and process events of every stored snapshot, by time."""
    events: list[TimelineEvent] = []
    seen: dict[tuple[str, ...], int] = {}
    for doc in documents(case, "runtime", warnings=warnings):
        body: dict[str, Any] = doc.body if isinstance(doc.body, dict) else {}
        snapshot = _snapshot_event(doc, body)
        if snapshot is not None:
            events.append(snapshot)
        for key, event in _file_events(doc, body) + _process_events(doc, body):
            if key in seen:  # the same fact in another snapshot: cite that one too
                first = events[seen[key]]
                events[seen[key]] = _cite(first, doc.ref)
            else:
                seen[key] = len(events)
                events.append(event)
    return sorted(events, key=lambda e: e.time)


def _where(doc: Document, body: dict[str, Any]) -> dict[str, str]:
    context = body.get("context") if isinstance(body.get("context"), dict) else {}
    # `function` at the top: snapshots written before the collector's `context` existed.
    named = (context or {}).get("function_name") or body.get("function")
    function = str(named or doc.entry.meta.get("function") or "")
    return {
        "account": doc.entry.account or "",
        "region": doc.entry.region or "",
        "function": function,
        "resource": function,
    }


def _named(where: dict[str, str]) -> str:
    """The snapshot's function for a sentence: a snapshot that names none says so."""
    return where["function"] or "a function"


def _snapshot_event(doc: Document, body: dict[str, Any]) -> TimelineEvent | None:
    captured = utc_iso(body.get("captured_at") or doc.entry.meta.get("captured_at"))
    time = captured or utc_iso(doc.entry.acquired_at)
    if time is None:
        return None
    where = _where(doc, body)
    tmp = body.get("tmp") if isinstance(body.get("tmp"), dict) else {}
    counts = [
        f"{len(found)} {name}"
        for name, found in (
            ("processes", body.get("processes")),
            ("connections", body.get("connections")),
            ("files in /tmp", (tmp or {}).get("entries")),
        )
        if isinstance(found, list)
    ]
    trigger = str(body.get("trigger") or "")
    what = f"runtime snapshot of {_named(where)}"
    what += f" ({trigger})" if trigger else ""
    if counts:
        what += f": {', '.join(counts)}"
    if captured is None:
        what += " (time of collection; the snapshot carries no capture time)"
    return TimelineEvent(
        time=time,
        source="runtime",
        kind="runtime-snapshot",
        summary=what,
        evidence=(doc.ref,),
        **where,
    )


def _file_events(doc: Document, body: dict[str, Any]) -> Keyed:
    where = _where(doc, body)
    tmp = body.get("tmp") if isinstance(body.get("tmp"), dict) else {}
    out: Keyed = []
    for item in ((tmp or {}).get("entries") or [])[:MAX_PER_SNAPSHOT]:
        time = utc_iso(item.get("mtime")) if isinstance(item, dict) else None
        if time is None or item.get("type") != "file":
            continue
        path, digest = str(item.get("path", "")), str(item.get("sha256") or "not hashed")
        size = item.get("size")
        sized = UNKNOWN_SIZE if size is None else f"{size} bytes"
        summary = f"{path} written in {_named(where)} ({sized}, sha256 {digest})"
        event = TimelineEvent(
            time=time,
            source="runtime",
            kind="runtime-file",
            summary=summary,
            evidence=(doc.ref,),
            **where,
        )
        out.append((("file", where["function"], path, digest, time), event))
    return out


def _process_events(doc: Document, body: dict[str, Any]) -> Keyed:
    where = _where(doc, body)
    collector = (
        (body.get("collector") or {}).get("pid")
        if isinstance(body.get("collector"), dict)
        else None
    )
    out: Keyed = []
    environment = body.get("environment")
    if not isinstance(environment, dict) or "AWS_LAMBDA_RUNTIME_API" not in environment:
        return out  # taken outside Lambda (a test, a laptop): that machine's processes
    for item in (body.get("processes") or [])[:MAX_PER_SNAPSHOT]:
        time = utc_iso(item.get("started_at")) if isinstance(item, dict) else None
        if time is None or item.get("pid") == collector:
            continue
        pid = item.get("pid")
        who = "a process" if pid is None else f"process {pid}"
        command = " ".join(str(part) for part in item.get("cmdline") or []) or item.get("name")
        # Redacted reading past the cut: half a secret matches no pattern, so `merge`, which
        # redacts every summary (again, to no change), would leave the half on the page.
        shown = redact_shown(str(command), COMMAND_CHARS)
        ran = f": {shown}" if command else " (no command line or name recorded)"
        summary = (
            f"{who} started in {_named(where)}{ran} "
            f"(exe {item.get('exe') or '?'}, sha256 {item.get('exe_sha256') or 'unreadable'})"
        )
        event = TimelineEvent(
            time=time,
            source="runtime",
            kind="runtime-process",
            summary=summary,
            evidence=(doc.ref,),
            **where,
        )
        out.append((("process", where["function"], str(item.get("pid")), time), event))
    return out


def _cite(event: TimelineEvent, ref: EvidenceRef) -> TimelineEvent:
    if ref in event.evidence:
        return event
    return dataclasses.replace(event, evidence=(*event.evidence, ref))
