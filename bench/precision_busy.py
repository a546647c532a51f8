"""Precision on the `busy` scenario: findings by severity, medium+ findings on honest
resources, and where each intrusion ranks (flat finding list and incidents).

    python bench/precision_busy.py                 # seed, collect, analyze (about a minute)
    python bench/precision_busy.py RUN.json [...]  # read saved `tests.analyze.busy_run` output

An intrusion's findings are those made by an identity it used, or (without an actor) about a
function it touched (the scenario's ground truth); every other medium+ finding is a false
positive.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
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
    counts = {s: sum(f["severity"] == s for f in findings) for s in reversed(("info", "low", *MEDIUM_PLUS))}
    false = [f for f in findings if f["severity"] in MEDIUM_PLUS and not owner(f, known)]
    ranks: dict[str, Any] = {}
    incidents = document.get("incidents") or []
    for name in sorted(known):
        flat = next((n for n, f in enumerate(findings, 1) if owner(f, known) == name), None)
        ids = {f["id"] for f in findings if owner(f, known) == name}
        inc = next((n for n, i in enumerate(incidents, 1) if ids & set(i["findings"])), None)
        ranks[name] = {"flat_rank": flat, "incident_rank": inc}
    return {
        "findings": len(findings),
        "by_severity": counts,
        "medium_plus_on_honest": len(false),
        "false_by_detector": sorted({f["detector"] for f in false}),
        "incidents": len(incidents),
        "intrusions": ranks,
    }


def main(paths: list[str]) -> None:
    if not paths:
        root = Path(__file__).resolve().parents[1]
        out = subprocess.run(
            [sys.executable, "-m", "tests.analyze.busy_run"],
            cwd=root, capture_output=True, text=True, check=True,
        )
        documents = [("run", json.loads(out.stdout))]
    else:
        documents = [(p, json.loads(Path(p).read_text())) for p in paths]
    for label, document in documents:
        print(label, json.dumps(measure(document), indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
