"""LIR-SIGMA-001: the responder's Sigma CloudTrail rules (`--sigma DIR`), run on the trail.

Each rule's own title, level and ATT&CK tags become the finding's; the detector id on the
finding is `sigma:<rule id>`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.trail_rows import TrailRow, iso, select_events
from lambda_ir.analyze.unknowns import UNNAMED_CALL, time_span
from lambda_ir.evidence.index_trail import record_files, records_query
from lambda_ir.model import EvidenceRef, Finding, Kind, Severity

if TYPE_CHECKING:
    from lambda_ir.analyze.sigma.rules import CompiledRule

INFO = DetectorInfo(
    id="LIR-SIGMA-001",
    title="Sigma CloudTrail rules",
    severity=Severity.MEDIUM,
    attack=("T1078",),
    evidence=(Kind.TRAIL,),
    references=("https://github.com/SigmaHQ/sigma/tree/master/rules/cloud/aws/cloudtrail",),
    false_positives="As stated by each rule's `falsepositives`.",
)

# Findings per rule, the earliest first. A hunting rule such as "AWS STS AssumeRole Misuse"
# matches every role session: a million findings took 10 GB and six minutes to write.
MAX_PER_RULE = 500


def _resource(row: TrailRow) -> str:
    if row.function_name:
        return row.function_arn
    return f"arn:aws:cloudtrail:{row.region}:{row.account}:event/{row.event_id}"


def detect(case: CaseView) -> Iterator[Finding]:
    """Each event of the trail that a supported rule under `--sigma` folders matches, up to
    MAX_PER_RULE per rule (the earliest); past that, one more finding gives the full count."""
    if not case.options.sigma_dirs:
        return
    # pySigma and sqlglot only when rules are given: 0.12 s of every other `analyze`
    from lambda_ir.analyze.sigma.rules import load_rules

    rules, _ = load_rules(case.options.sigma_dirs)
    if not rules or not evaluate(case, rules):
        return
    found = case.index.execute("SELECT rule, count(*) FROM sigma_hits GROUP BY rule")
    counts = dict(found.fetchall())
    for number, rule in enumerate(rules):
        where = "event_id IN (SELECT event_id FROM sigma_hits WHERE rule = ?)"
        rows = select_events(case, where, [number], limit=MAX_PER_RULE)
        for row in rows:
            finding = make_finding(
                INFO,
                resource=_resource(row),
                account=row.account,
                region=row.region,
                severity=rule.severity,
                title=f"Sigma: {rule.title}",
                attack=rule.attack,
                key=f"{rule.id}|{row.event_id}",
                time=row.time,
                actor=row.actor,
                evidence=(row.evidence,),
                summary=(
                    f"Sigma rule {rule.title!r} matched {row.event_name or UNNAMED_CALL} by "
                    f"{row.actor.name} from {row.actor.source_ip or '?'}; review against the "
                    f"rule's known false positives ({rule.false_positives or 'none stated'})."
                ),
                details={"rule_id": rule.id, "rule_file": rule.path, "event_id": row.event_id},
            )
            yield replace(finding, detector=f"sigma:{rule.id}")
        if counts.get(number, 0) > len(rows):
            overflow = _overflow(case, number, rule, len(rows))
            yield replace(overflow, detector=f"sigma:{rule.id}")


def _overflow(case: CaseView, number: int, rule: CompiledRule, shown: int) -> Finding:
    """One finding for all of a rule's matches past the cap: a rule this broad is hunting,
    not alerting. It cites every evidence file and the time span of all the matches."""
    matched = "FROM trail_events WHERE event_id IN (SELECT event_id FROM sigma_hits WHERE rule = ?)"
    first, last, total, accounts, regions = case.index.execute(
        "SELECT min(event_time), max(event_time), count(*), list(DISTINCT account ORDER BY 1),"
        f" list(DISTINCT aws_region ORDER BY 1) {matched}",
        [number],
    ).fetchone() or (None, None, 0, [], [])
    files = case.index.execute(
        f"SELECT DISTINCT evidence_path, evidence_sha256 {matched} ORDER BY 1",
        [number],
    ).fetchall()
    return make_finding(
        INFO,
        resource=f"sigma-rule:{rule.id}",
        account=accounts[0] if len(accounts) == 1 else "",
        region=regions[0] if len(regions) == 1 else "",
        severity=rule.severity,
        title=f"Sigma: {rule.title} ({total:,} events)",
        attack=rule.attack,
        key=f"{rule.id}|overflow",
        time=iso(first),
        evidence=tuple(EvidenceRef(path=str(path), sha256=str(sha)) for path, sha in files),
        summary=(
            f"Sigma rule {rule.title!r} matched {total:,} events"
            f"{time_span(iso(first), iso(last))}; the earliest {shown} are findings of their "
            "own. A rule this broad describes normal activity here: narrow it, or list the "
            f"matches with `lambda-ir search` (rule file {rule.path})."
        ),
        details={
            "rule_id": rule.id,
            "rule_file": rule.path,
            "matched": total,
            "accounts": accounts,
            "regions": regions,
            "last": iso(last),
        },
    )


def evaluate(case: CaseView, rules: Sequence[CompiledRule]) -> bool:
    """Evaluate every rule in one scan of the raw records into TEMP `sigma_hits` (rule number,
    event_id); False when nothing is indexed. The clauses come from rule files, compiled and
    checked by `load_rules`; no trail value is ever put in SQL."""
    from lambda_ir.analyze.sigma.backend import share_fields  # as `detect` (pySigma)

    files = record_files(case.index, case.case.root)
    if not files:
        return False
    paths, wheres = share_fields([rule.where for rule in rules])
    numbered = ", ".join(f"CASE WHEN ({where}) THEN {n} END" for n, where in enumerate(wheres))
    anywhere = " OR ".join(f"({where})" for where in wheres)
    with case.raw_scan() as index:
        index.execute(
            f"""CREATE OR REPLACE TEMP TABLE sigma_hits AS SELECT DISTINCT rule, event_id FROM (
            SELECT unnest(list_filter([{numbered}], lambda n: n IS NOT NULL)) AS rule, event_id
            FROM ({records_query(anywhere, f"json_extract_string(record, {paths}) AS f")}))""",  # noqa: S608
            [files],
        )
    return True


DETECTOR = Detector(INFO, detect)
