"""Precision figures of a `busy` run: findings by severity, medium+ findings on honest
resources, where each intrusion ranks (flat list and incidents).

An intrusion's findings are those made by an identity it used, or (without an actor) about a
function it touched (the scenario's ground truth); every other medium+ finding is a false
positive. Used by `test_busy_precision.py` and `bench/precision_busy.py`.
"""

from __future__ import annotations

from typing import Any

MEDIUM_PLUS = ("medium", "high", "critical")


def intrusions(document: dict[str, Any]) -> dict[str, tuple[set[str], set[str]]]:
    """Intrusion name -> (functions, actor ARNs), from the techniques' ids `busy.<name>-…`."""
    out: dict[str, tuple[set[str], set[str]]] = {}
    for technique in document["techniques"]:
        name = technique["id"].split(".", 1)[1].split("-", 1)[0]
        functions, actors = out.setdefault(name, (set(), set()))
        if technique["function"]:
            functions.add(technique["function"])
        actors.add(technique["actor"])
    return out


def _function(resource: str) -> str:
    return resource.split(":function:", 1)[1].split(":", 1)[0] if ":function:" in resource else ""


def owner(finding: dict[str, Any], known: dict[str, tuple[set[str], set[str]]]) -> str:
    """The intrusion a finding is about, or "" for honest activity: made by an identity the
    intrusion used, or (no actor) about a function it touched. A finding about a touched
    function but made by an honest actor (a release before the intrusion) is honest."""
    actor = (finding.get("actor") or {}).get("arn", "")
    for name, (_, actors) in known.items():
        if actor in actors:
            return name
    for name, (functions, _) in known.items():
        if not actor and _function(finding["resource"]) in functions:
            return name
    return ""


def measure(document: dict[str, Any]) -> dict[str, Any]:
    """The figures the issue asks for."""
    known = intrusions(document)
    findings = document["findings"]
    counts = {
        s: sum(f["severity"] == s for f in findings)
        for s in reversed(("info", "low", *MEDIUM_PLUS))
    }
    false = [f for f in findings if f["severity"] in MEDIUM_PLUS and not owner(f, known)]
    ranks: dict[str, Any] = {}
    incidents = document.get("incidents") or []
    owned = {f["id"] for f in findings if owner(f, known)}
    # incidents holding no intrusion's finding: honest ones
    honest = [not owned & set(i["findings"]) for i in incidents]
    for name in sorted(known):
        flat = next((n for n, f in enumerate(findings, 1) if owner(f, known) == name), None)
        ids = {f["id"] for f in findings if owner(f, known) == name}
        inc = next((n for n, i in enumerate(incidents, 1) if ids & set(i["findings"])), None)
        # the incident of the intruder's own calls (who did it), and how many honest
        # incidents rank above it
        act = next(
            (
                n
                for n, i in enumerate(incidents, 1)
                if i["kind"] == "activity" and ids & set(i["findings"])
            ),
            None,
        )
        ranks[name] = {
            "flat_rank": flat,
            "incident_rank": inc,
            "activity_rank": act,
            "honest_above": sum(honest[: act - 1]) if act else None,
        }
    return {
        "findings": len(findings),
        "by_severity": counts,
        "medium_plus_on_honest": len(false),
        "false_by_detector": sorted({f["detector"] for f in false}),
        "incidents": len(incidents),
        "intrusions": ranks,
    }
