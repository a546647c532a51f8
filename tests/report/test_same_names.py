"""Same-named functions in two regions and two accounts stay apart everywhere.

Report sections, blast radius, diff (aliases and CloudTrail attribution), timeline rows and
per-function gaps are keyed by (account, region, function, qualifier), never by name.
"""

from __future__ import annotations

import pytest

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.diff import DiffError, diff_versions, resolve
from lambda_ir.report import build_facts
from lambda_ir.report.markdown import render_markdown
from lambda_ir.timeline import build_timeline
from tests.report.twins import (
    ALICE,
    BOB,
    COLLECTOR,
    HOT,
    HOT_URL,
    MALLORY,
    NAME,
    PLACES,
    QUIET_ACCOUNT,
    QUIET_REGION,
    Twins,
    arn,
    build_twins,
)


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> Twins:
    return build_twins(tmp_path_factory.mktemp("twins") / "case")


def test_report_sections_keep_each_places_url_policy_and_alias(twins: Twins) -> None:
    facts = build_facts(twins.case, [], "2026-11-29T10:00:00Z")
    by_place = {(f.account, f.region): f for f in facts.functions}
    assert set(by_place) == set(PLACES)
    hot, quiet_region, quiet_account = (by_place[p] for p in PLACES)
    assert hot.urls == (f"{HOT_URL} (auth NONE)",)
    assert hot.aliases == ("live → 2 (weighted: 1 at 10%)",)
    assert len(hot.policies) == 1 and '"Principal":"*"' in hot.policies[0]
    for quiet in (quiet_region, quiet_account):
        assert quiet.urls == () and quiet.policies == () and quiet.aliases == ("live → 1",)
    # Each function's gap is its own, not the other two's.
    for function in facts.functions:
        (gap,) = facts.gaps_of(function)
        assert f"{function.account}/{function.region}" in gap.why


def test_blast_radius_is_the_compromised_functions_role_in_its_account(twins: Twins) -> None:
    facts = build_facts(twins.case, [], "2026-11-29T10:00:00Z")
    assert facts.affected == (arn(HOT),)
    (role,) = facts.roles
    assert role.arn == "arn:aws:iam::111122223333:role/resizer-exec"
    assert [g.actions for g in role.grants] == [("iam:*",)]
    assert facts.label(arn(HOT)) == f"{NAME} (111122223333, us-east-1)"


def test_diff_resolves_aliases_and_attribution_in_the_functions_own_place(twins: Twins) -> None:
    view = CaseView(twins.case)
    with pytest.raises(DiffError, match="several accounts or regions") as refused:
        resolve(view, NAME, "live")
    assert str(refused.value).endswith("give its ARN: " + ", ".join(sorted(map(arn, PLACES))))
    assert resolve(view, arn(HOT), "live").ref.qualifier == "2"
    for quiet in (QUIET_REGION, QUIET_ACCOUNT):
        config = resolve(view, arn(quiet), "live")
        assert (config.ref.account, config.ref.region, config.ref.qualifier) == (*quiet, "1")
    for place, actor in ((HOT, MALLORY), (QUIET_REGION, ALICE), (QUIET_ACCOUNT, BOB)):
        result = diff_versions(view, arn(place), "1", "2")
        assert result.function == arn(place)
        assert result.code_by is not None and result.code_by.actor.arn == actor
        assert result.config_by is not None and result.config_by.actor.arn == actor
        names = {f.name for f in result.files}
        assert ("miner.py" in names) == (place == HOT)


def test_report_diffs_each_function_against_its_own_versions(twins: Twins) -> None:
    facts = build_facts(twins.case, [], "2026-11-29T10:00:00Z")
    for function in facts.functions:
        (changed,) = [row for row in function.versions if row.diff is not None]
        assert changed.diff is not None
        assert ("miner.py" in changed.diff.names("added")) == (function.arn == arn(HOT))
        expected = {arn(HOT): MALLORY, arn(QUIET_REGION): ALICE, arn(QUIET_ACCOUNT): BOB}
        assert expected[function.arn] in changed.diff.uploaded_by


def test_timeline_rows_carry_account_and_region(twins: Twins) -> None:
    from lambda_ir.evidence.index import open_index

    with open_index(twins.case) as index:
        events = list(build_timeline(twins.case, index))
    alias_states = {(e.account, e.region, e.version) for e in events if e.kind == "alias-state"}
    assert alias_states == {(*place, "live") for place in PLACES}
    calls = [e for e in events if e.source == "cloudtrail" and e.actor != COLLECTOR]
    assert {(e.account, e.region, e.actor) for e in calls} == {
        (*HOT, MALLORY),
        (*QUIET_REGION, ALICE),
        (*QUIET_ACCOUNT, BOB),
    }
    assert {e.function_arn for e in events if e.source == "lambda"} == {arn(p) for p in PLACES}
    (finding,) = [e for e in events if e.source == "finding"]
    assert (finding.account, finding.region, finding.access_key_id) == (
        *HOT,
        "AKIAMALLORY000000001",
    )


def test_markdown_names_each_place(twins: Twins) -> None:
    text = render_markdown(build_facts(twins.case, [], "2026-11-29T10:00:00Z"))
    for account, region in PLACES:
        assert f"### {NAME} ({account}, {region})" in text
    sections = {part.split("\n", 1)[0]: part for part in text.split("\n### ")[1:]}
    hot = f"{NAME} ({HOT[0]}, {HOT[1]})"
    assert HOT_URL in sections[hot]
    assert all(HOT_URL not in body for title, body in sections.items() if title != hot)
