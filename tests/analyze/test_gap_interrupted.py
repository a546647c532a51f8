"""LIR-GAP-003: a case whose last collection was interrupted says so until one completes."""

from __future__ import annotations

from lambda_ir.analyze.detectors import gap_interrupted
from lambda_ir.evidence.custody import line_hash
from lambda_ir.evidence.interrupted import last_interruption
from lambda_ir.model import Severity
from tests.analyze.casebuild import ACCOUNT, REGION, CaseBuilder, run_detector

STOPPED = {
    "account": ACCOUNT,
    "regions": [REGION],
    "functions": 2,
    "interrupted": True,
    "not_done": {"GetFunction": 4, "versions": 6},
}


# As `collect --org-role` logs its start: the accounts it is to collect.
ORG = {"targets": ["111111111111", "222222222222", "333333333333"]}


def _custody_lines(builder: CaseBuilder, action: str) -> list[str]:
    raw = (builder.root / "custody.jsonl").read_bytes().splitlines()
    return [line_hash(line) for line in raw if f'"action":"{action}"'.encode() in line]


def test_fires_on_an_interrupted_last_collection(builder: CaseBuilder) -> None:
    builder.case.log("collected", {"account": ACCOUNT, "regions": [REGION]})  # an earlier run
    builder.case.log("collect-started", {"scope": {}})
    builder.case.log("collect-interrupted", STOPPED)
    builder.case.log("analyzed", {})  # other actions after it change nothing
    [finding] = run_detector(builder, gap_interrupted.DETECTOR)
    assert finding.severity is Severity.LOW
    assert finding.resource == f"arn:aws:lambda:{REGION}:{ACCOUNT}:*"
    assert [e.path for e in finding.evidence] == ["custody.jsonl"]
    assert [e.sha256 for e in finding.evidence] == _custody_lines(builder, "collect-interrupted")
    assert finding.details["not_done"] == {"GetFunction": 4, "versions": 6}
    assert "10 queued call(s) were never made (GetFunction 4, versions 6)" in finding.summary
    assert "interrupted (Ctrl-C)" in finding.summary


def test_quiet_once_a_later_collection_completes(builder: CaseBuilder) -> None:
    builder.case.log("collect-interrupted", STOPPED)
    builder.case.log("collect-started", {"scope": {}})
    builder.case.log("collected", {"account": ACCOUNT, "regions": [REGION]})
    assert run_detector(builder, gap_interrupted.DETECTOR) == []


def test_quiet_without_any_interruption(builder: CaseBuilder) -> None:
    builder.case.log("collected", {"account": ACCOUNT, "regions": [REGION]})
    assert run_detector(builder, gap_interrupted.DETECTOR) == []


def test_an_organisation_run_counts_as_one(builder: CaseBuilder) -> None:
    """Inside `collect --org-role` an account's `collected` does not clear another's
    interruption; the run's own end decides, and a later complete org run clears it."""
    builder.case.log("org-started", ORG)
    builder.case.log("collect-started", {"scope": {}, "account": "111111111111", "org": True})
    builder.case.log("collect-interrupted", {**STOPPED, "account": "111111111111"})
    builder.case.log("collect-started", {"scope": {}, "account": "222222222222", "org": True})
    builder.case.log("collected", {"account": "222222222222", "regions": [REGION]})
    builder.case.log("org-interrupted", {"not_started": ["333333333333"]})
    [finding] = run_detector(builder, gap_interrupted.DETECTOR)
    assert finding.details["accounts"] == ["111111111111", "333333333333"]
    assert finding.resource == f"arn:aws:lambda:{REGION}:*:*"
    assert len(finding.evidence) == 2  # the account's entry and the run's
    builder.case.log("org-started", ORG)
    builder.case.log("collected", {"account": "111111111111", "regions": [REGION]})
    builder.case.log("org-collected", {})  # 222 and 333: their roles could not be assumed
    assert len(run_detector(builder, gap_interrupted.DETECTOR)) == 1  # 333 never collected
    builder.case.log("org-started", ORG)
    for account in ORG["targets"]:
        builder.case.log("collected", {"account": account, "regions": [REGION]})
    builder.case.log("org-collected", {})
    assert run_detector(builder, gap_interrupted.DETECTOR) == []


def test_an_organisation_run_that_never_logged_its_end_does_not_hold_later_runs(
    builder: CaseBuilder,
) -> None:
    """An org run killed while its accounts' calls finished writes no `org-*` end: a later
    plain collect (its `collect-started` not marked `org`) is a run of its own, and its
    completion clears the account's interruption (review 21d)."""
    builder.case.log("org-started", {})
    builder.case.log("collect-started", {"scope": {}, "account": ACCOUNT, "org": True})
    builder.case.log("collect-interrupted", STOPPED)
    builder.case.log("collect-started", {"scope": {}, "account": ACCOUNT})
    builder.case.log("collected", {"account": ACCOUNT, "regions": [REGION]})
    assert run_detector(builder, gap_interrupted.DETECTOR) == []
    builder.case.log("collect-started", {"scope": {}, "account": ACCOUNT})
    builder.case.log("collect-interrupted", STOPPED)  # a later plain run cut short still is
    [finding] = run_detector(builder, gap_interrupted.DETECTOR)
    assert finding.details["not_done"] == {"GetFunction": 4, "versions": 6}


def test_a_run_that_never_logged_its_end_is_cut_short(builder: CaseBuilder) -> None:
    """A collection killed (SIGKILL, the machine's end) logs its start and nothing more:
    before, the case read as complete; now it is cut short until a later run completes."""
    builder.case.log("collected", {"account": ACCOUNT, "regions": [REGION]})  # an earlier run
    builder.case.log("collect-started", {"scope": {"regions": [REGION]}, "account": ACCOUNT})
    builder.case.log("analyzed", {})
    [finding] = run_detector(builder, gap_interrupted.DETECTOR)
    assert finding.resource == f"arn:aws:lambda:{REGION}:{ACCOUNT}:*"
    assert [e.sha256 for e in finding.evidence] == _custody_lines(builder, "collect-started")
    assert "never recorded its end" in finding.summary and "Ctrl-C" not in finding.summary
    builder.case.log("collect-started", {"scope": {"regions": [REGION]}, "account": ACCOUNT})
    builder.case.log("collected", {"account": ACCOUNT, "regions": [REGION]})
    assert run_detector(builder, gap_interrupted.DETECTOR) == []


def test_an_organisation_run_that_never_logged_its_end_is_cut_short(
    builder: CaseBuilder,
) -> None:
    """Killed after one account completed: the org run's start is the one without an end."""
    builder.case.log("org-started", {"targets": ["111111111111", "222222222222"]})
    builder.case.log("collect-started", {"scope": {}, "account": "111111111111", "org": True})
    builder.case.log("collected", {"account": "111111111111", "regions": [REGION]})
    [finding] = run_detector(builder, gap_interrupted.DETECTOR)
    assert finding.details["accounts"] == ["111111111111", "222222222222"]
    assert [e.sha256 for e in finding.evidence] == _custody_lines(builder, "org-started")
    builder.case.log("org-collected", {})
    assert run_detector(builder, gap_interrupted.DETECTOR) == []


def test_a_narrower_run_does_not_clear_a_wider_one_cut_short(builder: CaseBuilder) -> None:
    """`contain` preserves evidence with a one-function collect: its completion cleared a
    whole account's collection killed before it (review 22)."""
    everything = {"scope": {"regions": [REGION], "functions": []}, "account": ACCOUNT}
    one = {"scope": {"regions": [REGION], "functions": ["orders"]}, "account": ACCOUNT}
    builder.case.log("collect-started", everything)  # killed: no end
    builder.case.log("collect-started", one)
    builder.case.log("collected", {"account": ACCOUNT, "regions": [REGION]})
    [finding] = run_detector(builder, gap_interrupted.DETECTOR)
    assert "never recorded its end" in finding.summary
    other = {"scope": {"regions": ["us-west-2"], "functions": []}, "account": ACCOUNT}
    builder.case.log("collect-started", other)  # another region: not the one cut short
    builder.case.log("collected", {"account": ACCOUNT, "regions": ["us-west-2"]})
    assert len(run_detector(builder, gap_interrupted.DETECTOR)) == 1
    builder.case.log("collect-started", everything)
    builder.case.log("collected", {"account": ACCOUNT, "regions": [REGION]})
    assert run_detector(builder, gap_interrupted.DETECTOR) == []


def test_every_run_cut_short_and_not_covered_is_told(builder: CaseBuilder) -> None:
    """A Ctrl-C in one region, then a kill in another: only the last was told."""
    builder.case.log("collect-started", {"scope": {"regions": [REGION]}, "account": ACCOUNT})
    builder.case.log("collect-interrupted", STOPPED)
    builder.case.log("collect-started", {"scope": {"regions": ["us-west-2"]}, "account": ACCOUNT})
    [finding] = run_detector(builder, gap_interrupted.DETECTOR)
    assert finding.details["regions"] == [REGION, "us-west-2"]
    assert finding.details["not_done"] == {"GetFunction": 4, "versions": 6}
    assert len(finding.evidence) == 2 and "never recorded its end" in finding.summary
    # each run by how it stopped: the Ctrl-C was told as a kill, the last run's kind
    assert finding.summary.startswith("2 collections of this case were cut short")
    assert "interrupted (Ctrl-C) at" in finding.summary
    assert "10 queued call(s) were never made" in finding.summary
    stopped = last_interruption(builder.root)
    assert stopped is not None and stopped.stops == "interrupted; never ended"


def test_an_organisation_run_killed_before_any_account_started_is_covered_by_a_later_one(
    builder: CaseBuilder,
) -> None:
    """`org-started` now holds the run's scope: without it, a run killed during the
    AssumeRole calls had no regions and no later run could ever cover it."""
    scope = {"regions": [REGION], "functions": []}
    builder.case.log("org-started", {**ORG, "scope": scope})
    assert len(run_detector(builder, gap_interrupted.DETECTOR)) == 1
    builder.case.log("org-started", {**ORG, "scope": scope})
    for account in ORG["targets"]:
        builder.case.log("collect-started", {"scope": scope, "account": account, "org": True})
        builder.case.log("collected", {"account": account, "regions": [REGION]})
    builder.case.log("org-collected", {})
    assert run_detector(builder, gap_interrupted.DETECTOR) == []


def test_a_function_named_by_its_arn_is_covered_by_a_run_naming_it_by_name(
    builder: CaseBuilder,
) -> None:
    """`contain` preserves evidence with a collect of the function's ARN (a qualifier with
    it): killed, it stood against a later `collect --function orders` of the same region,
    which collects the very same function (a false "cut short")."""
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders:live"
    preserve = {"scope": {"regions": [REGION], "functions": [arn]}, "account": ACCOUNT}
    builder.case.log("collect-started", preserve)  # killed: no end
    by_name = {"scope": {"regions": [REGION], "functions": ["billing"]}, "account": ACCOUNT}
    builder.case.log("collect-started", by_name)
    builder.case.log("collected", {"account": ACCOUNT, "regions": [REGION]})
    assert len(run_detector(builder, gap_interrupted.DETECTOR)) == 1  # another function
    by_name = {"scope": {"regions": [REGION], "functions": ["orders"]}, "account": ACCOUNT}
    builder.case.log("collect-started", by_name)
    builder.case.log("collected", {"account": ACCOUNT, "regions": [REGION]})
    assert run_detector(builder, gap_interrupted.DETECTOR) == []
    builder.case.log("collect-started", by_name)  # killed: no end
    builder.case.log("collect-started", preserve)
    builder.case.log("collected", {"account": ACCOUNT, "regions": [REGION]})
    assert run_detector(builder, gap_interrupted.DETECTOR) == []


def test_a_function_is_covered_only_in_the_regions_a_later_run_read_it(
    builder: CaseBuilder,
) -> None:
    """A name is read in each of the scope's regions, an ARN in its own only (review 23): a
    later run of orders' ARN in eu-west-1 cleared a killed preservation of orders in
    us-east-1, and orders' and billing's ARNs in one region each cleared a run of both names
    in both regions."""
    east, west = "us-east-1", "eu-west-1"

    def arn(region: str, name: str) -> str:
        return f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}"

    def run(regions: list[str], functions: list[str], *, ended: bool = True) -> None:
        scope = {"regions": regions, "functions": functions}
        builder.case.log("collect-started", {"scope": scope, "account": ACCOUNT})
        if ended:
            builder.case.log("collected", {"account": ACCOUNT, "regions": regions})

    run([east], [arn(east, "orders")], ended=False)
    run([east, west], [arn(west, "orders")])
    assert len(run_detector(builder, gap_interrupted.DETECTOR)) == 1
    run([east, west], ["orders"])  # orders in both regions: covers it
    assert run_detector(builder, gap_interrupted.DETECTOR) == []
    run([east, west], ["orders", "billing"], ended=False)
    run([east, west], [arn(east, "orders"), arn(west, "billing")])
    assert len(run_detector(builder, gap_interrupted.DETECTOR)) == 1
    run([east, west], [arn(east, "orders"), arn(west, "orders"), "billing"])
    assert run_detector(builder, gap_interrupted.DETECTOR) == []
