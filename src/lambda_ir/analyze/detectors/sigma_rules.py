"""LIR-SIGMA-001: the responder's Sigma CloudTrail rules (`--sigma DIR`), run on the trail.

Each rule's own title, level and ATT&CK tags become the finding's; the detector id on the
finding is `sigma:<rule id>`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.sigma.backend import share_fields
from lambda_ir.analyze.sigma.rules import CompiledRule, load_rules
from lambda_ir.analyze.trail_rows import TrailRow, select_events
from lambda_ir.evidence.index_trail import record_files, records_query
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-SIGMA-001",
    title="Sigma CloudTrail rules",
    severity=Severity.MEDIUM,
    attack=("T1078",),
    evidence=(Kind.TRAIL,),
    references=("https://github.com/SigmaHQ/sigma/tree/master/rules/cloud/aws/cloudtrail",),
    false_positives="As stated by each rule's `falsepositives`.",
)


def _resource(row: TrailRow) -> str:
    if row.function_name:
        return row.function_arn
    return f"arn:aws:cloudtrail:{row.region}:{row.account}:event/{row.event_id}"


def detect(case: CaseView) -> Iterator[Finding]:
    """Every event of the trail that a supported rule under `--sigma` folders matches."""
    rules, _ = load_rules(case.options.sigma_dirs)
    if not rules or not evaluate(case, rules):
        return
    for number, rule in enumerate(rules):
        where = "event_id IN (SELECT event_id FROM sigma_hits WHERE rule = ?)"
        for row in select_events(case, where, [number]):
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
                    f"Sigma rule {rule.title!r} matched {row.event_name} by {row.actor.arn} "
                    f"from {row.actor.source_ip or '?'}; review against the rule's known false "
                    f"positives ({rule.false_positives or 'none stated'})."
                ),
                details={"rule_id": rule.id, "rule_file": rule.path, "event_id": row.event_id},
            )
            yield replace(finding, detector=f"sigma:{rule.id}")


def evaluate(case: CaseView, rules: Sequence[CompiledRule]) -> bool:
    """Evaluate every rule in one scan of the raw records into TEMP `sigma_hits` (rule number,
    event_id); False when nothing is indexed. The clauses come from rule files, compiled and
    checked by `load_rules`; no trail value is ever put in SQL."""
    files = record_files(case.index, case.case.root)
    if not files:
        return False
    paths, wheres = share_fields([rule.where for rule in rules])
    numbered = ", ".join(f"CASE WHEN ({where}) THEN {n} END" for n, where in enumerate(wheres))
    anywhere = " OR ".join(f"({where})" for where in wheres)
    case.index.execute(
        f"""CREATE OR REPLACE TEMP TABLE sigma_hits AS
            SELECT unnest(list_filter([{numbered}], lambda n: n IS NOT NULL)) AS rule, event_id
            FROM ({records_query(anywhere, f"json_extract_string(record, {paths}) AS f")})""",  # noqa: S608
        [files],
    )
    return True


DETECTOR = Detector(INFO, detect)
