"""The first screen: functions at risk, who, what to do (complete commands), indicators.

With `incidents.json` the page leads with incidents; without it, findings grouped by function.
The indicator exports are checked with OASIS's `stix2` library (a strict parse of every
object and pattern) and the text export is one value per line.
"""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path

import orjson
import pytest

from lambda_ir.evidence.index import open_index
from lambda_ir.model import Finding, Severity
from lambda_ir.report import build_facts, render_all, risk
from lambda_ir.report.facts import ReportFacts
from lambda_ir.report.response import at_risk, checklist, contain_command, suspects
from lambda_ir.timeline import build_timeline
from tests.report.twins import COLLECTOR, HOT, MALLORY, QUIET_ACCOUNT, B, Twins, arn, build_twins
from tests.timeline.casebuilder import ATTACKER, BuiltCase, build_case

GENERATED = "2026-11-29T10:00:00Z"
INCIDENT = {
    "id": "INC-1",
    "kind": "activity",
    "title": "mallory: modification → persistence on orders-api",
    "severity": "critical",
    "score": 99.0,
    "actors": [
        {
            "principal": ATTACKER,
            "access_keys": ["AKIAMALLORYKEY000001"],
            "addresses": ["203.0.113.7", "10.0.0.5"],
            "user_agents": ["aws-cli/2.15"],
        }
    ],
    "functions": ["arn:aws:lambda:eu-west-1:111122223333:function:orders-api"],
    "first": "2026-11-28T22:10:00Z",
    "last": "2026-11-28T22:16:00Z",
    "findings": ["LIR-POL-001:1"],
    "new_against_baseline": [],
    "actions": ["deactivate-key: access key AKIAMALLORYKEY000001"],
}
ROUTINE = {**INCIDENT, "id": "INC-2", "severity": "low", "actors": [{"principal": "ci"}]}


@pytest.fixture
def built(tmp_path: Path) -> BuiltCase:
    return build_case(tmp_path / "case")


def _facts(built: BuiltCase) -> ReportFacts:
    return build_facts(built.case, build_timeline(built.case, built.index()), GENERATED)


def test_without_incidents_findings_are_grouped_by_function(built: BuiltCase) -> None:
    facts = _facts(built)
    assert facts.incidents is None
    (risky,) = at_risk(facts)
    assert (risky.label, risky.severity.value, risky.state) == (
        "orders-api",
        "critical",
        "compromised",
    )
    assert [s.principal for s in suspects(facts)] == [ATTACKER]
    html = render_all(facts, ("html",))["report.html"].decode()
    assert "No <code>incidents.json</code> in the case" in html
    assert html.index('id="now"') < html.index('id="summary"') < html.index('id="findings-section"')
    assert '<a href="#now">' in html  # the table of contents


def test_checklist_commands_are_complete_and_parse(built: BuiltCase) -> None:
    facts = _facts(built)
    steps = checklist(facts)
    root = str(built.case.root)
    function = "arn:aws:lambda:eu-west-1:111122223333:function:orders-api"
    commands = [shlex.split(s.command) for s in steps if s.command]
    assert commands[0] == ["lambda-ir", "verify", "--case", root]
    contain = {tuple(c[c.index("--action") + 1 :]) for c in commands if c[1] == "contain"}
    # The attacker's role is not the function's: its sessions are revoked by its ARN.
    role = ("revoke-role-sessions=arn:aws:iam::111122223333:role/ci-deployer",)
    assert contain == {("block-public",), ("throttle",), role}
    for command in commands:
        assert command[2:4] == ["--case", root]
        if command[1] == "contain":
            assert command[4:6] == ["--function", function]
    assert [s for s in steps if not s.command] == []


def test_a_command_names_a_hostile_value_with_its_controls_visible(built: BuiltCase) -> None:
    """A function or key with a line break (an imported trail's) is named with `\\n` in the
    command, never a raw break (a fake line in the terminal or page) or a look-alike."""
    facts = dataclasses.replace(_facts(built), case_dir="/cases/a b")
    command = contain_command(facts, "arn:aws:lambda:r:1:function:fn\n x", "deactivate-key=AK\nX")
    assert "\n" not in command
    assert shlex.split(command)[2:] == [
        *("--case", "/cases/a b", "--function", "arn:aws:lambda:r:1:function:fn\\n x"),
        *("--action", "deactivate-key=AK\\nX"),
    ]


def test_incidents_lead_and_their_keys_become_steps_and_indicators(built: BuiltCase) -> None:
    (built.case.root / "incidents.json").write_bytes(orjson.dumps([ROUTINE, INCIDENT]))
    facts = _facts(built)
    assert facts.incidents is not None and [i.id for i in facts.incidents] == ["INC-1", "INC-2"]
    (who,) = suspects(facts)  # the low incident's routine actor is not a suspect
    assert who.access_keys == ("AKIAMALLORYKEY000001",)
    assert who.addresses == ("10.0.0.5", "203.0.113.7")  # where it came from, VPC too
    assert any(
        s.command.endswith("--action deactivate-key=AKIAMALLORYKEY000001") for s in checklist(facts)
    )
    outputs = render_all(facts, ("html", "md", "txt", "stix"))
    glance = outputs["report.md"].decode().split("## At a glance: what to do now\n\n")[1]
    assert glance.startswith("- incident **CRITICAL** `INC-1` mallory: modification")
    assert "INC-2" not in glance
    html = outputs["report.html"].decode()
    # Incidents lead the first screen when analyze wrote them.
    assert html.index('id="now"') < html.index('id="incidents"') < html.index('id="at-risk"')
    assert "INC-1" in html and "1 of 2 incidents shown: those of medium severity" in html
    values = [
        line for line in outputs["indicators.txt"].decode().splitlines() if not line.startswith("#")
    ]
    # 10.0.0.5 is a private address: never an indicator.
    assert values == ["203.0.113.7", "a" * 64, "AKIAMALLORYKEY000001"]


def test_stix_bundle_is_valid_stix_2_1(built: BuiltCase) -> None:
    stix2 = pytest.importorskip("stix2")
    (built.case.root / "incidents.json").write_bytes(orjson.dumps([INCIDENT]))
    facts = _facts(built)
    raw = render_all(facts, ("stix",))["indicators.stix.json"]
    bundle = stix2.parse(raw.decode(), allow_custom=False, version="2.1")
    patterns = sorted(obj.pattern for obj in bundle.objects)
    assert patterns == [
        "[file:hashes.'SHA-256' = '" + "a" * 64 + "']",
        "[ipv4-addr:value = '203.0.113.7']",
        "[user-account:user_id = 'AKIAMALLORYKEY000001']",
    ]
    from stix2patterns.validator import validate

    assert all(validate(p, stix_version="2.1", print_errs=False) for p in patterns)
    # A re-render gives the same ids (uuid5 of the value), so bundles can be compared.
    assert render_all(facts, ("stix",))["indicators.stix.json"] == raw


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> Twins:
    return build_twins(tmp_path_factory.mktemp("twins") / "case")


def test_collector_calls_are_left_out_of_the_report_and_commands_name_the_right_arn(
    twins: Twins,
) -> None:
    # A detector matching what the collector itself searched for must not make the
    # responder a suspect, nor its key an indicator.
    findings = orjson.loads((twins.case.root / "findings.json").read_bytes())
    collector = {**findings[0], "id": "LIR-IOC-001:self", "detector": "LIR-IOC-001"}
    collector["actor"] = {"arn": COLLECTOR, "access_key_id": "AKIACOLLECTOR0000001"}
    collector["details"] = {"event_id": "collector-1"}  # its own read, while it collected
    twins.case.write_derived("findings.json", orjson.dumps([*findings, collector]))
    responder = {**INCIDENT, "id": "INC-self", "severity": "high", "functions": [arn(HOT)]}
    responder["findings"] = ["LIR-IOC-001:self"]
    responder["actors"] = [
        {"principal": COLLECTOR, "access_keys": ["AKIACOLLECTOR0000001"], "addresses": []}
    ]
    twins.case.write_derived("incidents.json", orjson.dumps([responder]))
    with open_index(twins.case) as index:
        facts = build_facts(twins.case, build_timeline(twins.case, index), GENERATED)
    assert facts.collectors == (COLLECTOR,) and facts.hidden == 1
    assert all(e.actor != COLLECTOR for e in facts.events if e.source == "cloudtrail")
    (risky,) = at_risk(facts)
    assert risky.arn == arn(HOT) and risky.label == "image-resizer (111122223333, us-east-1)"
    assert [s.principal for s in suspects(facts)] == [MALLORY]
    steps = checklist(facts)
    contains = [s.command for s in steps if " contain " in s.command]
    assert contains and all(f"--function {arn(HOT)} " in c for c in contains)
    assert any(c.endswith("--action deactivate-key=AKIAMALLORY000000001") for c in contains)
    assert not any("AKIACOLLECTOR" in s.command for s in steps)
    outputs = render_all(facts, ("txt", "html"))
    txt = outputs["indicators.txt"].decode()
    assert "AKIAMALLORY000000001" in txt and "AKIACOLLECTOR" not in txt
    html = outputs["report.html"].decode()
    assert "0 of 1 incidents shown" in html and "INC-self" not in html


def test_a_page_cut_short_counts_every_event_and_collector_call(twins: Twins) -> None:
    # With the index the events are read only as far as the page keeps them and DuckDB
    # counts the rest: the counts must be those of reading them all.
    with open_index(twins.case) as index:
        whole = build_facts(twins.case, build_timeline(twins.case, index), GENERATED)
        cut = build_facts(twins.case, build_timeline(twins.case, index), GENERATED, keep=3)
        cut_counted = build_facts(
            twins.case, build_timeline(twins.case, index), GENERATED, index=index, keep=3
        )
    assert whole.events_total > 3 and whole.hidden == 1
    telling = [e for e in whole.events if e.kind != "invocation"][:3]
    for facts in (cut, cut_counted):
        assert facts.events == tuple(telling)
        assert (facts.events_total, facts.hidden) == (whole.events_total, whole.hidden)


def test_a_high_compromised_function_gets_throttle_rollback_and_layer_steps(
    built: BuiltCase,
) -> None:
    # No critical finding: a foreign layer set by the intruder (HIGH) and the version it
    # made (LIR-CHG-002, from version 1). The function still gets a way to stop it, to roll
    # its alias back and to detach the layers.
    findings = orjson.loads((built.case.root / "findings.json").read_bytes())
    for finding in findings:
        if finding["severity"] == "critical":
            finding["severity"] = "high"
    layered = {**findings[1], "id": "LIR-CT-003:1", "detector": "LIR-CT-003"}
    layered["details"] = {
        "layers": ["arn:aws:lambda:eu-west-1:999988887777:layer:x:1"],
        "hook_variables": ["AWS_LAMBDA_EXEC_WRAPPER"],
    }
    changed = {**findings[1], "id": "LIR-CHG-002:1", "detector": "LIR-CHG-002"}
    changed["details"] = {"from": "1", "to": "2"}
    built.case.write_derived("findings.json", orjson.dumps([*findings, layered, changed]))
    steps = checklist(_facts(built))
    actions = {s.command.split(" --action ", 1)[1] for s in steps if " contain " in s.command}
    assert {
        "throttle",
        "pin-alias=1",
        "strip-layers --allow-config-change",
        "strip-env=AWS_LAMBDA_EXEC_WRAPPER --allow-config-change",
    } <= actions
    throttle = next(s for s in steps if s.command.endswith("--action throttle"))
    assert "points to a compromise" in throttle.why


def test_a_step_contain_already_applied_says_when_until_undone(built: BuiltCase) -> None:
    """Collected again after containing, the acts that called for containment are still
    findings: the checklist says which steps custody shows applied, and an undo unsays it."""
    before = {s.command: s.why for s in checklist(_facts(built))}
    throttle = next(c for c in before if c.endswith("--action throttle"))
    arn = shlex.split(throttle)[shlex.split(throttle).index("--function") + 1]
    name, region, account = arn.split(":")[6], arn.split(":")[3], arn.split(":")[4]

    def record(
        kind: str, params: dict[str, object], at: str, status: str = "applied", on: str = ""
    ) -> None:
        details = {"action": "throttle", "params": params, "region": region, "status": status}
        caller = f"arn:aws:iam::{on or account}:user/responder"  # contain acts in its account
        built.case.log(kind, {**details, "called_at": at, "caller": caller})

    call = {"FunctionName": name, "ReservedConcurrentExecutions": 0}
    record("contain-call", call, "2026-11-20T10:00:00Z", status="failed")
    record("contain-call", call, "2026-11-20T10:01:00Z", on="999988887777")  # another account's
    assert {s.command: s.why for s in checklist(_facts(built))} == before
    record("contain-call", call, "2026-11-20T10:05:00Z")
    record("contain-call", {**call, "FunctionName": "other-fn"}, "2026-11-20T10:06:00Z")
    after = {s.command: s.why for s in checklist(_facts(built))}
    assert after[throttle] == (
        f"{before[throttle]}; lambda-ir contain applied this at 2026-11-20T10:05:00Z "
        "(custody); collect again to confirm it holds"
    )
    assert {c: w for c, w in after.items() if c != throttle} == {
        c: w for c, w in before.items() if c != throttle
    }
    record("contain-undo-call", call, "2026-11-20T11:00:00Z")
    assert {s.command: s.why for s in checklist(_facts(built))} == before
    # applied again, then an undo that found the reservation already gone made no call: it
    # names the function's account (no caller), and the step is no longer said applied
    record("contain-call", call, "2026-11-20T11:30:00Z")
    assert {s.command: s.why for s in checklist(_facts(built))} == after | {
        throttle: after[throttle].replace("10:05", "11:30")
    }
    skipped = {"action": "throttle", "params": {"FunctionName": name}, "region": region}
    built.case.log("contain-undo-skipped", skipped | {"status": "already-in-place"})  # no account
    assert {s.command: s.why for s in checklist(_facts(built))} != before
    built.case.log(
        "contain-undo-skipped", skipped | {"status": "already-in-place", "account": account}
    )
    assert {s.command: s.why for s in checklist(_facts(built))} == before


def test_aliases_are_rolled_back_only_when_one_routes_past_the_last_good_version(
    built: BuiltCase,
) -> None:
    # The alias `live` routes to version 2. A change made version 3 from 2: the last good
    # version is 2 and no alias routes past it, so pinning the aliases to 2 changes nothing
    # for the changed code (a canary routed to an older version would even move its traffic
    # onto 2); made 2 from 1, `live` routes to the changed code and is rolled back to 1.
    findings = orjson.loads((built.case.root / "findings.json").read_bytes())
    changed = {**findings[1], "id": "LIR-CHG-002:1", "detector": "LIR-CHG-002"}
    pins = {}
    for before, after in (("2", "3"), ("1", "2")):
        changed["details"] = {"from": before, "to": after}
        built.case.write_derived("findings.json", orjson.dumps([*findings, changed]))
        steps = checklist(_facts(built))
        pins[before] = [s.command.rsplit("=", 1)[1] for s in steps if "pin-alias=" in s.command]
    assert pins == {"2": [], "1": ["1"]}


def test_a_keys_step_runs_from_a_function_the_key_acted_on(tmp_path: Path) -> None:
    # The most at-risk function is another (a critical finding by someone else, in account
    # B): mallory's key acted only on the hot one, so its deactivation runs from there.
    twins = build_twins(tmp_path / "case")  # its own: the module's is shared
    findings = orjson.loads((twins.case.root / "findings.json").read_bytes())
    other = {**findings[0], "id": "LIR-CODE-001:b", "detector": "LIR-CODE-001"}
    other.update(
        severity="critical", resource=arn(QUIET_ACCOUNT), account=B, actor=None, details={}
    )
    twins.case.write_derived("findings.json", orjson.dumps([other, *findings]))
    with open_index(twins.case) as index:
        facts = build_facts(twins.case, build_timeline(twins.case, index), GENERATED)
    assert [r.arn for r in at_risk(facts)][:2] == [arn(QUIET_ACCOUNT), arn(HOT)]
    (step,) = [s for s in checklist(facts) if "deactivate-key=" in s.command]
    assert f"--function {arn(HOT)} " in step.command


def test_a_keys_step_without_a_function_it_acted_on_runs_from_its_account(
    tmp_path: Path,
) -> None:
    # The key acted on no function at risk (its finding names no key): its step runs from a
    # function of the key's own account (A), not from the most at-risk one, in account B.
    twins = build_twins(tmp_path / "case")
    findings = orjson.loads((twins.case.root / "findings.json").read_bytes())
    other = {**findings[0], "id": "LIR-CODE-001:b", "detector": "LIR-CODE-001"}
    other.update(
        severity="critical", resource=arn(QUIET_ACCOUNT), account=B, actor=None, details={}
    )
    mallory = {**findings[0], "actor": None}  # the hot function's finding names no key now
    twins.case.write_derived("findings.json", orjson.dumps([other, mallory]))
    incident = {**INCIDENT, "id": "INC-key", "severity": "high", "functions": [arn(HOT)]}
    incident["actors"] = [
        {"principal": MALLORY, "access_keys": ["AKIAMALLORY000000001"], "addresses": []}
    ]
    twins.case.write_derived("incidents.json", orjson.dumps([incident]))
    with open_index(twins.case) as index:
        facts = build_facts(twins.case, build_timeline(twins.case, index), GENERATED)
    risky = [r.arn for r in at_risk(facts)]
    assert risky[0] == arn(QUIET_ACCOUNT) and arn(HOT) in risky
    (step,) = [s for s in checklist(facts) if "deactivate-key=" in s.command]
    assert f"--function {arn(HOT)} " in step.command


def test_an_incident_of_one_finding_says_finding(built: BuiltCase) -> None:
    two = {**INCIDENT, "id": "INC-3", "findings": ["LIR-POL-001:1", "LIR-POL-001:2"]}
    (built.case.root / "incidents.json").write_bytes(orjson.dumps([INCIDENT, two]))
    html = render_all(_facts(built), ("html",))["report.html"].decode()
    assert "<code>INC-1</code> (1 finding)</td>" in html
    assert "<code>INC-3</code> (2 findings)</td>" in html
    assert "(1 findings)" not in html and ", 1 findings" not in html


def test_the_incident_table_keeps_the_ranking_of_incidents_json(built: BuiltCase) -> None:
    # As analyze ranks them (and the terminal lists them): at one severity an intrusion
    # before an exposure, whatever their scores.
    activity = {**INCIDENT, "id": "INC-A", "score": 10.0}
    exposure = {**INCIDENT, "id": "INC-E", "kind": "exposure", "actors": [], "score": 50.0}
    lower = {**INCIDENT, "id": "INC-H", "severity": "high", "score": 90.0}
    (built.case.root / "incidents.json").write_bytes(orjson.dumps([activity, exposure, lower]))
    facts = _facts(built)
    assert facts.incidents is not None
    assert [i.id for i in facts.incidents] == ["INC-A", "INC-E", "INC-H"]
    html = render_all(facts, ("html",))["report.html"].decode()
    table = html[html.index('id="incidents"') :]
    assert table.index("INC-A") < table.index("INC-E") < table.index("INC-H")


def test_a_miner_seen_running_makes_its_function_compromised() -> None:
    """What the runtime collector saw run (a miner's configuration in /tmp) is something that
    happened, not a door left open: the function is compromised, not exposed."""
    fn = "arn:aws:lambda:us-east-1:111122223333:function:orders-worker"
    running = Finding(
        id="LIR-RT-002:1",
        detector="LIR-RT-002",
        title="Cryptominer configuration in a running function's /tmp",
        severity=Severity.CRITICAL,
        resource=fn,
        account="111122223333",
        region="us-east-1",
        summary="/tmp/.xmrig.json names a mining pool.",
        evidence=(),
    )
    open_url = dataclasses.replace(running, id="LIR-CFG-001:1", detector="LIR-CFG-001")
    (risky,) = risk.at_risk([running], lambda arn: arn)
    assert risky.state == "compromised"
    (risky,) = risk.at_risk([open_url], lambda arn: arn)
    assert risky.state == "exposed"
    # an executable in /tmp (a headless browser's too), or a medium runtime finding: exposed
    for detector, severity in (("LIR-RT-001", Severity.HIGH), ("LIR-RT-003", Severity.MEDIUM)):
        seen = dataclasses.replace(running, detector=detector, severity=severity)
        (risky,) = risk.at_risk([seen], lambda arn: arn)
        assert risky.state == "exposed", detector


def test_a_suspect_seen_at_no_readable_time_says_so(built: BuiltCase) -> None:
    """An incident whose findings have no readable time (`first` null) names its actor as a
    suspect with no first time, and the HTML's "First seen" cell says so, never "None" nor
    an empty cell."""
    ghost = "arn:aws:iam::111122223333:user/ghost"
    untimed = {
        **INCIDENT,
        "id": "INC-3",
        "first": None,
        "last": None,
        "actors": [{"principal": ghost, "access_keys": ["AKIAGHOSTKEY00000001"]}],
    }
    (built.case.root / "incidents.json").write_bytes(orjson.dumps([untimed]))
    facts = _facts(built)
    (who,) = [s for s in suspects(facts) if s.principal == ghost]
    assert who.first == ""
    html = render_all(facts, ("html",))["report.html"].decode()
    table = html[html.index('<table id="who">') : html.index("</table>", html.index('id="who"'))]
    row = table[table.index(ghost) :]
    row = row[: row.index("</tr>")]
    assert row.endswith("<td>no dated finding</td>") and "None" not in table


def test_a_suspect_is_first_seen_at_its_earliest_incident(built: BuiltCase) -> None:
    """Two incidents of one principal, the later listed first (incidents.json ranks by
    severity): the suspect is first seen at the earlier one's time."""
    ghost = "arn:aws:iam::111122223333:user/ghost"
    actors = [{"principal": ghost, "access_keys": ["AKIAGHOSTKEY00000001"]}]
    later = {**INCIDENT, "id": "INC-4", "first": "2026-11-28T23:00:00Z", "actors": actors}
    earlier = {**later, "id": "INC-5", "first": "2026-11-20T01:00:00Z", "severity": "high"}
    (built.case.root / "incidents.json").write_bytes(orjson.dumps([later, earlier]))
    (who,) = [s for s in suspects(_facts(built)) if s.principal == ghost]
    assert who.first == "2026-11-20T01:00:00Z"
