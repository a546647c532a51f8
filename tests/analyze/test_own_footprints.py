"""lambda-ir recognises its own footprints: the collector's calls and the runtime collector layer.

Only what the case proves is ours is left out or INFO: the collecting identity's read calls
with lambda-ir's user agent during a collect run; the layer version and CodeSha256 `runtime
attach` recorded. The same role outside the run, a write, another caller, or a layer merely
named like ours is still reported.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from datetime import UTC, datetime, timedelta

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detectors import (
    cap_gained,
    cfg_hook_env,
    chg_config_change,
    code_extension,
    code_yara,
    ct_config_hooks,
    ioc_match,
)
from lambda_ir.analyze.engine import analyze_case, run_detectors
from lambda_ir.analyze.own_footprints import is_own, own_event_ids
from lambda_ir.evidence import Case
from lambda_ir.evidence.index import open_index
from lambda_ir.model import Actor, Finding, Severity
from lambda_ir.report.facts import build_facts
from lambda_ir.report.response import suspects
from lambda_ir.runtime.layer import layer_zip
from lambda_ir.timeline import build_timeline
from tests.analyze.casebuild import (
    ACCOUNT,
    REGION,
    CaseBuilder,
    code_sha256,
    function_config,
    run_detector,
    trail_event,
    zip_bytes,
)

RESPONDER = f"arn:aws:iam::{ACCOUNT}:user/ir-responder"
OURS = "Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux Python/3.12 lambda-ir/0.1.0"
RESPONDER_ID = {
    "type": "IAMUser",
    "arn": RESPONDER,
    "accountId": ACCOUNT,
    "accessKeyId": "AKIAEXAMPLERESPOND01",
    "userName": "ir-responder",
}


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _search(event_id: str, when: datetime, *, user_agent: str = OURS, **extra: object) -> dict:
    """A FilterLogEvents whose filter pattern is the indicator being searched for."""
    return trail_event(
        "FilterLogEvents",
        {"logGroupName": "/aws/lambda/orders", "filterPattern": '"gw.denonia.xyz"'},
        source="logs.amazonaws.com",
        identity=extra.pop("identity", RESPONDER_ID),  # type: ignore[arg-type]
        event_id=event_id,
        time=_stamp(when),
        user_agent=user_agent,
    )


def test_the_collectors_own_calls_are_not_the_attacker(builder: CaseBuilder) -> None:
    builder.put(
        f"raw/{ACCOUNT}/global/sts/caller-identity.json",
        {"UserId": "AIDAEXAMPLE", "Account": ACCOUNT, "Arn": RESPONDER},
        "account",
        "sts:GetCallerIdentity",
    )
    builder.case.log("collect-started", {"account": ACCOUNT})
    now = datetime.now(UTC)
    builder.trail(
        [
            _search("own", now),  # the collector's own search: left out
            _search("before", now - timedelta(hours=2)),  # same identity, outside the run
            _search("plain-agent", now, user_agent="aws-cli/2.15.0"),  # not lambda-ir's
            _search("mallory", now, identity={"type": "IAMUser", "arn": "arn:aws:iam::1:user/m"}),
            trail_event(  # a write by the collecting identity with our user agent, in the run
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": "orders", "environment": {"variables": {"C2": "gw.denonia.xyz"}}},
                identity=RESPONDER_ID,
                event_id="write",
                time=_stamp(now),
                user_agent=OURS,
            ),
        ]
    )
    builder.case.log("collected", {"artifacts": 2})
    result = run_detectors(CaseView(Case.open(builder.root)), [ioc_match.DETECTOR])
    flagged = sorted(f.details["event_id"] for f in result.findings)
    assert flagged == ["before", "mallory", "plain-agent", "write"]
    assert result.own_calls == 1
    # the write and the out-of-run search still make the responder's identity an incident
    assert any(RESPONDER in a.arns for i in result.incidents for a in i.actors)


def test_without_a_collect_run_nothing_is_left_out(builder: CaseBuilder) -> None:
    builder.put(
        f"raw/{ACCOUNT}/global/sts/caller-identity.json",
        {"UserId": "AIDAEXAMPLE", "Account": ACCOUNT, "Arn": RESPONDER},
        "account",
        "sts:GetCallerIdentity",
    )
    builder.trail([_search("own", datetime.now(UTC))])  # no collect-started in custody
    result = run_detectors(CaseView(Case.open(builder.root)), [ioc_match.DETECTOR])
    assert [f.details["event_id"] for f in result.findings] == ["own"]
    assert result.own_calls == 0


LAYER = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:lambda-ir-collector:1"
DETECTORS = (cfg_hook_env.DETECTOR, chg_config_change.DETECTOR, code_extension.DETECTOR)


def _attached(builder: CaseBuilder, recorded_sha: str | None) -> dict[str, Severity]:
    """Version 1 without the collector, $LATEST with it (as `runtime attach` leaves it)."""
    blob, _ = layer_zip()
    wrapper = {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/lambda-ir/wrapper", "LAMBDA_IR_EVERY": "0"}
    builder.versions(
        "orders",
        [
            function_config("orders", "$LATEST", layers=[LAYER], env=wrapper),
            function_config("orders", "1"),
        ],
    )
    builder.layer(LAYER, blob)
    if recorded_sha is not None:
        details = {"run": "respond/x", "layer": LAYER, "code_sha256": recorded_sha}
        builder.case.log("runtime-attach-done", details)
    out = {}
    for detector in DETECTORS:
        found = run_detector(builder, detector)
        assert len(found) == 1, (detector.info.id, found)
        out[detector.info.id] = found[0].severity
        if recorded_sha == code_sha256(blob):
            assert "lambda-ir runtime collector attached by" in found[0].summary
    return out


def test_our_recorded_collector_layer_is_info(builder: CaseBuilder) -> None:
    blob, _ = layer_zip()
    severities = _attached(builder, code_sha256(blob))
    assert severities == {
        "LIR-CFG-002": Severity.INFO,
        "LIR-CHG-002": Severity.INFO,
        "LIR-CODE-003": Severity.INFO,
    }


def test_a_layer_named_like_ours_with_another_hash_is_high(builder: CaseBuilder) -> None:
    severities = _attached(builder, code_sha256(b"another build"))
    assert set(severities.values()) == {Severity.HIGH}


def test_a_layer_named_like_ours_never_attached_here_is_high(builder: CaseBuilder) -> None:
    assert set(_attached(builder, None).values()) == {Severity.HIGH}


OWN_CODE = (cap_gained.DETECTOR, code_yara.DETECTOR)
HARVEST = "yara:LIR_Credential_Harvest_Exfiltration"


def _own_code(
    builder: CaseBuilder, recorded_sha: str | None, *, copy: bytes = b""
) -> dict[str, set[Severity]]:
    """The collector's own code (it reads credentials and uploads), as `_attached` leaves the
    function; with `copy`, a second layer holding the same code under another hash."""
    blob, _ = layer_zip()
    layers = [LAYER]
    other = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:utils:3"
    if copy:
        layers.append(other)
    handler = zip_bytes({"app.py": "def handler(event, context):\n    return 'ok'\n"})
    for version in ("$LATEST", "1"):
        builder.code(handler, "orders", version)
    builder.versions(
        "orders",
        [
            function_config("orders", "$LATEST", code=handler, layers=layers),
            function_config("orders", "1", code=handler),
        ],
    )
    builder.layer(LAYER, blob)
    if copy:  # collected after ours: identical bytes are stored once, as our blob
        builder.layer(other, copy)
    if recorded_sha is not None:
        details = {"run": "respond/x", "layer": LAYER, "code_sha256": recorded_sha}
        builder.case.log("runtime-attach-done", details)
    out: dict[str, set[Severity]] = {}
    for detector in OWN_CODE:
        for finding in run_detector(builder, detector):
            out.setdefault(finding.detector, set()).add(finding.severity)
            ours = finding.severity is Severity.INFO
            assert ("lambda-ir's own code" in finding.summary) is ours, finding.summary
    return out


def test_our_recorded_collector_code_is_info_not_an_attack(builder: CaseBuilder) -> None:
    blob, _ = layer_zip()
    severities = _own_code(builder, code_sha256(blob))
    assert severities == {"LIR-CAP-001": {Severity.INFO}, HARVEST: {Severity.INFO}}


def test_the_collector_code_with_another_recorded_hash_stays_high(builder: CaseBuilder) -> None:
    severities = _own_code(builder, code_sha256(b"another build"))
    assert severities == {"LIR-CAP-001": {Severity.HIGH}, HARVEST: {Severity.HIGH}}


def test_the_collector_code_never_attached_here_stays_high(builder: CaseBuilder) -> None:
    severities = _own_code(builder, None)
    assert severities == {"LIR-CAP-001": {Severity.HIGH}, HARVEST: {Severity.HIGH}}


def test_our_code_copied_into_another_layer_is_high_beside_ours(builder: CaseBuilder) -> None:
    """A look-alike carrying our code (plus one file, so another hash) next to the genuine,
    recorded collector: ours is INFO, the copy is still HIGH."""
    blob, _ = layer_zip()
    copy = _with_file(blob, "python/sitecustomize.py", b"import os\n")
    severities = _own_code(builder, code_sha256(blob), copy=copy)
    assert severities == {
        "LIR-CAP-001": {Severity.INFO, Severity.HIGH},
        HARVEST: {Severity.INFO, Severity.HIGH},
    }


def test_a_byte_identical_copy_under_another_layer_arn_is_high(builder: CaseBuilder) -> None:
    """Our exact collector zip published under another layer ARN (stored once, as our blob) is
    a package of its own, judged by its own ARN: its code findings stay HIGH beside ours."""
    blob, _ = layer_zip()
    severities = _own_code(builder, code_sha256(blob), copy=blob)
    assert severities == {
        "LIR-CAP-001": {Severity.INFO, Severity.HIGH},
        HARVEST: {Severity.INFO, Severity.HIGH},
    }


def _with_file(blob: bytes, name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr(name, data)
    return out.getvalue()


MALLORY_ID = {
    "type": "IAMUser",
    "arn": f"arn:aws:iam::{ACCOUNT}:user/mallory",
    "accountId": ACCOUNT,
    "accessKeyId": "AKIAEXAMPLEMALLORY01",
    "userName": "mallory",
}


def _attach_calls(
    builder: CaseBuilder,
    logged: list[str],
    calls: list[tuple[dict, int]],
    *,
    recorded: bool = True,
    collected: bytes | None = None,
) -> list[tuple[Severity, str]]:
    """CloudTrail's UpdateFunctionConfiguration calls adding our layer (`calls`: the caller
    and seconds after custody's record), custody's record of the one `runtime attach` call
    (`logged` layers, as `respond.execute` logs it), and the responder as the case's
    collector identity. The layer is collected with our bytes, or `collected` (b"": not at
    all, as in the case that attached). One finding per call, in the order of `calls`."""
    blob, _ = layer_zip()
    builder.put(
        f"raw/{ACCOUNT}/global/sts/caller-identity.json",
        {"UserId": "AIDAEXAMPLE", "Account": ACCOUNT, "Arn": RESPONDER},
        "account",
        "sts:GetCallerIdentity",
    )
    if collected == b"":  # the function as collected before the attach
        builder.versions("orders", [function_config("orders", "$LATEST")])
    else:
        builder.versions("orders", [function_config("orders", "$LATEST", layers=[LAYER])])
        builder.layer(LAYER, blob if collected is None else collected)
    if recorded:
        builder.case.log("runtime-attach-done", {"layer": LAYER, "code_sha256": code_sha256(blob)})
    params = {"FunctionName": "orders", "Layers": logged}
    called_at = _stamp(datetime.now(UTC))
    call = {
        "action": "runtime-attach",
        "status": "applied",
        "api": "lambda:UpdateFunctionConfiguration",
        "params": params,
        "caller": RESPONDER,
        "region": REGION,
        "called_at": called_at,
    }
    builder.case.log("contain-call", call)
    logged_at = datetime.now(UTC)
    request = {"functionName": "orders", "layers": [LAYER]}
    builder.trail(
        [
            trail_event(
                "UpdateFunctionConfiguration20150331v2",
                request,
                identity=identity,
                event_id=f"call-{n}",
                time=_stamp(logged_at + timedelta(seconds=late)),
                user_agent=OURS,
            )
            for n, (identity, late) in enumerate(calls)
        ]
    )
    by_event = {
        event_id: (f.severity, f.summary)
        for f in run_detector(builder, ct_config_hooks.DETECTOR)
        for event_id in f.details.get("event_ids") or [f.details["event_id"]]
    }
    return [by_event[f"call-{n}"] for n in range(len(calls))]


def _attach_call(
    builder: CaseBuilder, logged: list[str], *, late: int = 0, recorded: bool = True
) -> tuple[Severity, str]:
    """One call by the responder, `late` seconds after custody's record."""
    return _attach_calls(builder, logged, [(RESPONDER_ID, late)], recorded=recorded)[0]


def test_our_runtime_attach_call_is_info(builder: CaseBuilder) -> None:
    severity, summary = _attach_call(builder, [LAYER])
    assert severity is Severity.INFO
    assert "lambda-ir's `runtime attach`: the lambda-ir runtime collector attached by" in summary


def test_our_attach_call_is_info_in_the_case_that_attached(builder: CaseBuilder) -> None:
    """A review found no LIR-CT-003 at all for the attach call in the case that made it:
    that case never collects the layer (the function was collected before the attach), so
    the call was not recognised (MEDIUM), and custody's `contain-call` made it one of
    contain's own changes, left out of findings.json. Custody's record stands for the
    uncollected layer, and the finding stays, INFO, naming the attach."""
    _attach_calls(builder, [LAYER], [(RESPONDER_ID, 0)], collected=b"")
    view = CaseView(Case.open(builder.root))
    assert "call-0" in own_event_ids(view)  # one of contain's own changes…
    (found,) = [
        f for f in run_detectors(view, [ct_config_hooks.DETECTOR]).findings if f.actor
    ]  # …reported as ours, not left out
    assert found.severity is Severity.INFO and found.details["event_id"] == "call-0"
    assert "lambda-ir's `runtime attach`: the lambda-ir runtime collector" in found.summary
    assert found.details["runtime_attach"]["layer"] == LAYER


def test_a_collected_copy_with_another_hash_is_not_our_attach_call(builder: CaseBuilder) -> None:
    found = _attach_calls(builder, [LAYER], [(RESPONDER_ID, 0)], collected=b"another build")
    assert found[0][0] is Severity.MEDIUM


def test_the_same_layers_set_at_another_time_are_not_our_call(builder: CaseBuilder) -> None:
    assert _attach_call(builder, [LAYER], late=600)[0] is Severity.MEDIUM


def test_another_layer_list_is_not_our_call(builder: CaseBuilder) -> None:
    other = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:utils:3"
    assert _attach_call(builder, [other, LAYER])[0] is Severity.MEDIUM


def test_an_attach_call_without_the_layer_record_is_not_ours(builder: CaseBuilder) -> None:
    assert _attach_call(builder, [LAYER], recorded=False)[0] is Severity.MEDIUM


def test_another_caller_repeating_our_attach_call_is_not_ours(builder: CaseBuilder) -> None:
    """Mallory sets the very same layers on the function within seconds of our call, with
    lambda-ir's user agent: only the responder's call is ours."""
    found = _attach_calls(builder, [LAYER], [(RESPONDER_ID, 0), (MALLORY_ID, 5)])
    assert [severity for severity, _ in found] == [Severity.INFO, Severity.MEDIUM]


def test_only_another_caller_within_slack_is_not_ours(builder: CaseBuilder) -> None:
    assert _attach_calls(builder, [LAYER], [(MALLORY_ID, 0)])[0][0] is Severity.MEDIUM


def test_one_custody_record_excuses_only_the_nearest_call(builder: CaseBuilder) -> None:
    """Two identical calls by the collector's identity around one `runtime attach` record:
    the nearer is ours, the other is judged as any call."""
    found = _attach_calls(builder, [LAYER], [(RESPONDER_ID, 20), (RESPONDER_ID, 2)])
    assert [severity for severity, _ in found] == [Severity.MEDIUM, Severity.INFO]


def test_the_report_leaves_out_the_same_calls_and_no_more(builder: CaseBuilder) -> None:
    """The report's timeline, incidents and checklist follow the rule above, not the
    identity: with the collecting identity's keys stolen, its writes and its reads outside
    the run are the intruder's (they were all left out as "the collector's own calls")."""
    test_the_collectors_own_calls_are_not_the_attacker(builder)
    case = Case.open(builder.root)
    analyze_case(case, [ioc_match.DETECTOR])
    with open_index(case) as index:
        facts = build_facts(case, build_timeline(case, index), "2026-12-07T00:00:00Z")
        counted = build_facts(
            case, build_timeline(case, index), "2026-12-07T00:00:00Z", index=index, keep=1
        )
    shown = sorted(e.event_id for e in facts.events if e.source == "cloudtrail")
    assert shown == ["before", "mallory", "plain-agent", "write"]
    assert facts.hidden == counted.hidden == 1 and facts.collectors == (RESPONDER,)
    assert any(s.principal == RESPONDER for s in suspects(facts))
    assert any(a.principal == RESPONDER for i in facts.serious_incidents for a in i.actors)


def test_a_finding_credited_to_our_call_is_not_left_out_for_it() -> None:
    """LIR-CHG-* report a version's state and cite the call nearest the change: when that
    is one of ours (a contain call in the same second as the intruder's change), the
    finding stays; a finding about our calls themselves is left out."""
    own = frozenset({"ours"})
    base = Finding(
        id="x",
        detector="LIR-CHG-002",
        title="t",
        severity=Severity.HIGH,
        resource="arn:aws:lambda:us-east-1:123456789012:function:f",
        account=ACCOUNT,
        region=REGION,
        summary="s",
        evidence=(),
        actor=Actor(arn=RESPONDER),
        details={"event_id": "ours"},
    )
    assert not is_own(base, own)
    assert is_own(dataclasses.replace(base, detector="LIR-CT-003"), own)
