"""Baselines, the vendor catalogue and incidents, on cases built from files (no AWS).

Times are fixed data that never pass through a date-checking API: the baseline reads only
the events' own dates, so these tests hold whatever today's date is.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from lambda_ir.analyze.baseline_tools import network_of, principal_of, tool_family
from lambda_ir.analyze.detectors import (
    cfg_env_secrets,
    cfg_foreign_layer,
    ct_add_permission,
    ct_config_hooks,
    ct_recon_burst,
    ct_release_shape,
    ct_unusual_change,
    log_extensions,
)
from lambda_ir.analyze.incident_actions import config_actions
from lambda_ir.analyze.incidents import correlate
from lambda_ir.analyze.vendors import LayerKind, load_catalogue
from lambda_ir.model import Actor, EvidenceRef, Finding, FunctionRef, Severity
from tests.analyze.casebuild import (
    ACCOUNT,
    CI_ROLE,
    REGION,
    TERRAFORM,
    CaseBuilder,
    ci_identity,
    function_config,
    role_identity,
    run_detector,
    trail_event,
)

DATADOG = f"arn:aws:lambda:{REGION}:464622532012:layer:Datadog-Python312:80"
LOOKALIKE = f"arn:aws:lambda:{REGION}:999988887777:layer:Datadog-Python312:80"


def _user(name: str) -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAOPSLEGACY0000001",
        "userName": name,
    }


def _history() -> list[dict[str, Any]]:
    """Ten days of CI releases from the runners at 10:00, and `ops-legacy` once, 29 days
    before the end, from the office at 11:00."""
    records = [
        trail_event(
            "UpdateFunctionConfiguration20150331v2",
            {"functionName": "orders", "memorySize": 512},
            identity=_user("ops-legacy"),
            event_id="legacy-1",
            time="2026-10-03T11:05:00Z",
            source_ip="198.51.100.77",
        )
    ]
    for day in range(1, 11):
        records.append(
            trail_event(
                "UpdateFunctionCode20150331v2",
                {"functionName": "orders", "publish": True},
                identity=ci_identity(day),
                event_id=f"ci-{day}",
                time=f"2026-10-{day + 10:02d}T10:15:00Z",
                user_agent=TERRAFORM,
                source_ip=f"192.0.2.{10 + day}",
            )
        )
    return records


def test_tool_families_and_networks() -> None:
    assert tool_family(TERRAFORM) == "Terraform"
    assert tool_family("aws-sam-cli/1.120.0") == "SAM"
    assert tool_family("cloudformation.amazonaws.com") == "CloudFormation"
    assert tool_family("codedeploy.amazonaws.com") == "CodeDeploy"
    assert tool_family("console.amazonaws.com") == "console"
    assert tool_family("aws-cli/2.15.0 Python/3.11") == "CLI"
    assert tool_family("Boto3/1.34.0 md/Botocore#1.34.0") == "SDK"
    assert tool_family("python-requests/2.31.0") == "python-requests"
    assert network_of("192.0.2.44") == "192.0.2.0/24"
    assert network_of("2001:db8:1:2::5") == "2001:db8:1::/48"
    assert network_of("::ffff:192.0.2.44") == "192.0.2.0/24"  # an IPv4 address, mapped
    assert network_of("cloudformation.amazonaws.com") == "cloudformation.amazonaws.com"
    assert principal_of("AssumedRole", "arn:…/gha-run-1", CI_ROLE, "", "") == CI_ROLE


def test_release_along_established_path_is_quiet(builder: CaseBuilder) -> None:
    records = _history()
    records.append(
        trail_event(
            "UpdateFunctionConfiguration20150331v2",
            {"functionName": "orders", "timeout": 30},
            identity=ci_identity(11),
            event_id="ci-11",
            time="2026-10-21T10:40:00Z",
            user_agent=TERRAFORM,
            source_ip="192.0.2.99",
        )
    )
    builder.trail(records)
    assert run_detector(builder, ct_unusual_change.DETECTOR) == []


def test_dormant_user_from_new_network_at_night_is_high(builder: CaseBuilder) -> None:
    records = _history()
    records.append(
        trail_event(
            "UpdateFunctionConfiguration20150331v2",
            {"functionName": "orders", "timeout": 30},
            identity=_user("ops-legacy"),
            event_id="night",
            time="2026-11-01T02:10:00Z",
            user_agent="Boto3/1.34.69 md/Botocore#1.34.69",
            source_ip="203.0.113.66",
        )
    )
    builder.trail(records)
    (finding,) = run_detector(builder, ct_unusual_change.DETECTOR)
    assert finding.severity is Severity.HIGH
    assert finding.details["baseline"]["new"] == [
        "principal",
        "network",
        "tool",
        "hours",
        "dormant",
    ]
    assert "203.0.113.0/24" in finding.summary and "02:10 UTC" in finding.summary
    assert "idle for 29 days" in finding.summary
    assert finding.evidence[0].path.startswith("trail/")


def test_a_new_principal_acting_through_cloudformation_is_judged_as_itself(
    builder: CaseBuilder,
) -> None:
    # Stolen keys deploying through a stack: CloudTrail logs the user's identity with
    # `invokedBy`, the service as address and agent. The service is not the actor.
    # The CI's stack releases through it every day; on day 12 eve's keys do the same at 03:10.
    cfn = "cloudformation.amazonaws.com"
    runs = [
        (f"cfn-{day}", ci_identity(day), f"2026-10-{day + 10:02d}T10:30:00Z")
        for day in range(1, 13)
    ]
    runs.append(("eve-1", _user("eve"), "2026-10-22T03:10:00Z"))
    records = _history()
    for event_id, identity, time in runs:
        records.append(
            trail_event(
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": "orders", "timeout": 30},
                identity={**identity, "invokedBy": cfn},
                event_id=event_id,
                time=time,
                user_agent=cfn,
                source_ip=cfn,
            )
        )
    builder.trail(records)
    (finding,) = run_detector(builder, ct_unusual_change.DETECTOR)
    # The network and tool are the CI's usual ones; the principal and the hour are new.
    assert finding.details["event_id"] == "eve-1" and finding.severity is Severity.MEDIUM
    assert finding.details["baseline"]["service"] is False
    assert finding.details["baseline"]["new"] == ["principal", "hours"]
    assert "user/eve never changed Lambda before" in finding.summary


@pytest.mark.parametrize("through", [True, False])
def test_a_service_address_and_agent_are_not_a_new_network_and_tool(
    builder: CaseBuilder, through: bool
) -> None:
    # CodeDeploy's first canary with its service role: AWS writes the service as address and
    # agent, which say nothing about the caller; only the principal is new (LOW). The same
    # role calling from an address of its own has a new network and tool as well.
    service = "codedeploy.amazonaws.com"
    address, agent = (service, service) if through else ("203.0.113.66", "curl/8.0")
    records = _history()
    records.append(
        trail_event(
            "UpdateFunctionConfiguration20150331v2",
            {"functionName": "orders", "timeout": 30},
            identity={**role_identity("CodeDeployServiceRole", "AWSCodeDeploy")}
            | ({"invokedBy": service} if through else {}),
            event_id="canary-1",
            time="2026-10-22T10:30:00Z",
            user_agent=agent,
            source_ip=address,
        )
    )
    builder.trail(records)
    (finding,) = run_detector(builder, ct_unusual_change.DETECTOR)
    new = finding.details["baseline"]["new"]
    assert new == (["principal"] if through else ["principal", "network", "tool"])
    assert finding.severity is (Severity.LOW if through else Severity.HIGH)
    assert "role/CodeDeployServiceRole never changed Lambda before" in finding.summary


def test_an_established_principal_first_going_through_a_service_is_judged_by_it(
    builder: CaseBuilder,
) -> None:
    # The CI role's keys, stolen, deploy through a stack the thief made (CreateStack is no
    # Lambda call, so the Lambda baseline never sees it). The service's name stands as
    # address and agent; for the CI role, which always called from its runners with
    # Terraform, that is a new network and tool, not a free pass.
    cfn = "cloudformation.amazonaws.com"
    records = _history()
    records.append(
        trail_event(
            "UpdateFunctionCode20150331v2",
            {"functionName": "orders", "publish": True},
            identity={**ci_identity(99), "invokedBy": cfn},
            event_id="through-1",
            time="2026-10-22T10:20:00Z",
            user_agent=cfn,
            source_ip=cfn,
        )
    )
    builder.trail(records)
    (finding,) = run_detector(builder, ct_unusual_change.DETECTOR)
    assert finding.details["event_id"] == "through-1"
    assert finding.details["baseline"]["new"] == ["network", "tool"]
    assert finding.severity is Severity.MEDIUM


def test_a_new_service_roles_reads_through_the_service_are_new_only_as_a_principal(
    builder: CaseBuilder,
) -> None:
    # CT-007 judges a burst as the other detectors judge a change: a stack's role reading
    # through CloudFormation is new as a principal, its address and agent the service's.
    cfn = "cloudformation.amazonaws.com"
    stack = {**role_identity("cfn-stack-exec", "AWSCloudFormation"), "invokedBy": cfn}
    builder.trail([*_history(), *_browsing([(22, stack)], hour=10, user_agent=cfn, source_ip=cfn)])
    (finding,) = run_detector(builder, ct_recon_burst.DETECTOR)
    assert finding.details["baseline"]["new"] == ["principal"]


@pytest.mark.parametrize("named", [True, False])
def test_another_accounts_release_in_a_new_shape_names_its_caller(
    builder: CaseBuilder, named: bool
) -> None:
    # A partner account (AWSAccount: no ARN) releasing in a shape it never used: the finding
    # names the caller, so incidents and reports keep it apart from other accounts. A record
    # naming neither account nor principal is known by its key only, as everywhere else.
    partner = {
        "type": "AWSAccount",
        "principalId": "AIDAPARTNER000000001",
        "accountId": "210987654321",
    }
    if not named:
        partner = {"type": "AWSAccount", "accessKeyId": "ASIAFOREIGN00000001"}
    records = [
        trail_event(
            "UpdateFunctionCode20150331v2",
            {"functionName": "orders", "publish": True},
            identity=partner,
            event_id=f"partner-{day}",
            time=f"2026-10-{day + 10:02d}T10:15:00Z",
            source_ip="198.18.0.5",
        )
        for day in range(1, 11)
    ]
    records.extend(
        trail_event(
            name,
            {"functionName": "orders"},
            identity=partner,
            event_id=f"odd-{n}",
            time=f"2026-10-22T10:1{n}:00Z",
            source_ip="198.18.0.5",
        )
        for n, name in enumerate(
            ("UpdateFunctionConfiguration20150331v2", "PublishVersion20150331")
        )
    )
    builder.trail(records)
    (finding,) = run_detector(builder, ct_release_shape.DETECTOR)
    caller = "210987654321/AIDAPARTNER000000001" if named else ""
    assert finding.actor.caller == caller
    assert finding.actor.key == (f"account:{caller}" if named else "")
    (incident,), _ = correlate([dataclasses.replace(finding, severity=Severity.HIGH)])
    principal = f"account:{caller}" if named else "key:ASIAFOREIGN00000001"
    assert [a.principal for a in incident.actors] == [principal]
    assert finding.details["principal"] == principal


def test_a_call_on_no_function_is_about_the_account_not_a_nameless_function(
    builder: CaseBuilder,
) -> None:
    # PublishLayerVersion names no function: its finding and incident must not invent one
    # (an empty name became a "compromised function" and a `contain` that could not work).
    records = _history()
    records.append(
        trail_event(
            "PublishLayerVersion20181031",
            {"layerName": "tools"},
            identity=_user("eve"),
            event_id="layer-1",
            time="2026-10-22T03:10:00Z",
            source_ip="203.0.113.66",
        )
    )
    builder.trail(records)
    (finding,) = run_detector(builder, ct_unusual_change.DETECTOR)
    assert finding.resource == f"arn:aws:lambda:{REGION}:{ACCOUNT}"
    (incident,), _ = correlate([finding])
    assert incident.functions == ()
    with pytest.raises(ValueError):
        FunctionRef.from_arn(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:")


@pytest.mark.parametrize("call", ["ListFunctions20150331", "Invoke"])
def test_reading_for_days_does_not_vouch_for_a_first_change(
    builder: CaseBuilder, call: str
) -> None:
    # A backdoor user lists (or invokes: a data event) functions on two days, below any
    # burst, then changes one from the same address, tool and hour: it had never changed
    # Lambda, so the change is new, and the calls before it are no change at all.
    records = _history()
    for day in (20, 21):
        records.append(
            trail_event(
                call,
                {"functionName": "orders"},
                identity=_user("backup-svc"),
                event_id=f"list-{day}",
                time=f"2026-10-{day}T03:00:00Z",
                source_ip="203.0.113.66",
            )
        )
    records.append(
        trail_event(
            "UpdateFunctionConfiguration20150331v2",
            {"functionName": "orders", "timeout": 30},
            identity=_user("backup-svc"),
            event_id="change",
            time="2026-10-22T03:05:00Z",
            source_ip="203.0.113.66",
        )
    )
    builder.trail(records)
    (finding,) = run_detector(builder, ct_unusual_change.DETECTOR)
    assert finding.details["event_id"] == "change" and finding.severity is Severity.LOW
    assert finding.details["baseline"]["new"] == ["principal"]
    assert "backup-svc never changed Lambda before" in finding.summary


def test_without_history_nothing_is_judged(builder: CaseBuilder) -> None:
    builder.trail(
        [
            trail_event(
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": "orders", "timeout": 30},
                identity=_user("ops-legacy"),
                time="2026-11-01T02:10:00Z",
                source_ip="203.0.113.66",
            )
        ]
    )
    assert run_detector(builder, ct_unusual_change.DETECTOR) == []


def test_vendor_catalogue_tells_vendor_lookalike_own_unknown() -> None:
    catalogue = load_catalogue()
    assert catalogue.layer(DATADOG, ACCOUNT).kind is LayerKind.VENDOR
    assert catalogue.layer(LOOKALIKE, ACCOUNT).kind is LayerKind.LOOKALIKE
    own = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:Datadog-Python312:1"
    assert catalogue.layer(own, ACCOUNT).kind is LayerKind.OWN
    other = f"arn:aws:lambda:{REGION}:444455556666:layer:shared-utils:4"
    assert catalogue.layer(other, ACCOUNT).kind is LayerKind.UNKNOWN
    gov = "arn:aws-us-gov:lambda:us-gov-west-1:002406178527:layer:Datadog-Extension:60"
    assert catalogue.layer(gov, ACCOUNT).kind is LayerKind.VENDOR
    wrapper = catalogue.documented_hook(
        "AWS_LAMBDA_EXEC_WRAPPER", "/opt/datadog_wrapper", [DATADOG], ACCOUNT
    )
    assert wrapper is not None and wrapper.name == "Datadog"
    assert (
        catalogue.documented_hook(
            "AWS_LAMBDA_EXEC_WRAPPER", "/opt/datadog_wrapper", [LOOKALIKE], ACCOUNT
        )
        is None
    )
    assert all(vendor.sources for vendor in catalogue.vendors)


def test_lookalike_layer_is_high_and_vendor_layer_info(builder: CaseBuilder) -> None:
    for name, layer in (("real", DATADOG), ("fake", LOOKALIKE)):
        builder.versions(name, [function_config(name, layers=[layer])])
    findings = {
        f.resource.split(":")[6]: f for f in run_detector(builder, cfg_foreign_layer.DETECTOR)
    }
    assert findings["real"].severity is Severity.INFO
    assert "Datadog's layer from its publisher account" in findings["real"].summary
    assert findings["fake"].severity is Severity.HIGH
    assert (
        "named like Datadog's layer but published by account 999988887777"
        in findings["fake"].summary
    )


def test_lookalike_layer_attached_through_ci_is_high(builder: CaseBuilder) -> None:
    records = _history()
    for n, layer in enumerate((DATADOG, LOOKALIKE)):
        records.append(
            trail_event(
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": "orders", "layers": [layer]},
                identity=ci_identity(20 + n),
                event_id=f"layers-{n}",
                time=f"2026-10-2{2 + n}T10:30:00Z",
                user_agent=TERRAFORM,
                source_ip="192.0.2.50",
            )
        )
    builder.trail(records)
    severities = {
        f.details["event_id"]: f.severity for f in run_detector(builder, ct_config_hooks.DETECTOR)
    }
    assert severities == {"layers-0": Severity.INFO, "layers-1": Severity.HIGH}


def test_secret_references_are_not_secrets(builder: CaseBuilder) -> None:
    env = {
        "SMTP_PASSWORD_SECRET_ARN": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:smtp-Ab12",
        "API_KEY_PARAMETER": "/prod/mailer/api-key",
        "DB_PASSWORD": "hunter2-but-longer-Zq8",
    }
    builder.versions("mailer", [function_config("mailer", env=env)])
    names = [f.details["variable"] for f in run_detector(builder, cfg_env_secrets.DETECTOR)]
    assert names == ["DB_PASSWORD"]


READS = ("ListFunctions", "GetFunction", "ListAliases", "ListVersionsByFunction", "GetPolicy")


def _browsing(
    visits: list[tuple[int, dict[str, Any]]], hour: int = 14, **where: str
) -> list[dict[str, Any]]:
    """Five kinds of Lambda reads, a minute apart from `hour`:00, on each (day, identity) of
    the month; `where` is the calls' `source_ip` and `user_agent`."""
    return [
        trail_event(
            f"{op}20150331",
            {"functionName": "orders"},
            identity=who,
            event_id=f"{day}-{op}",
            time=f"2026-10-{day:02d}T{hour:02d}:{n:02d}:00Z",
            **where,
        )
        for day, who in visits
        for n, op in enumerate(READS)
    ]


def test_console_browsing_by_an_established_developer_is_info(builder: CaseBuilder) -> None:
    sso = {
        "type": "AssumedRole",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_Dev_1/alice@example.com",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAALICE00000000001",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/AWSReservedSSO_Dev_1",
            }
        },
    }
    visits = [(day, sso) for day in (5, 9, 13, 20)]
    builder.trail(_browsing(visits, user_agent="console.amazonaws.com", source_ip="198.51.100.23"))
    severities = [f.severity for f in run_detector(builder, ct_recon_burst.DETECTOR)]
    # Days 5, 9 and 13 have under three days of history before them: no baseline, MEDIUM
    # (the detector's own verdict); on day 20 she is established: INFO.
    assert severities == [Severity.MEDIUM, Severity.MEDIUM, Severity.MEDIUM, Severity.INFO]


def test_callers_from_other_accounts_are_told_apart(builder: CaseBuilder) -> None:
    # CloudTrail names another account's caller (`AWSAccount`) by no ARN, only its account
    # and principal id. A partner account browses on four days; a stranger account then does
    # the same, from the same address and tool. Both were one principal "unknown": the
    # partner's days vouched for the stranger.
    def foreign(account: str, principal_id: str) -> dict[str, str]:
        return {"type": "AWSAccount", "principalId": principal_id, "accountId": account}

    partner = foreign("210987654321", "AIDAPARTNER000000001")
    stranger = foreign("999988887777", "AROASTRANGER00000001:night-shift")
    visits = [(5, partner), (9, partner), (13, partner), (20, partner), (22, stranger)]
    builder.trail(_browsing(visits, source_ip="198.18.0.5"))
    *_, last = run_detector(builder, ct_recon_burst.DETECTOR)
    assert last.summary.startswith("account:999988887777/AROASTRANGER00000001 made 5 Lambda")
    assert last.actor.caller == "999988887777/AROASTRANGER00000001"
    assert last.details["baseline"]["new"] == ["principal"]
    assert last.severity is Severity.LOW
    assert "account:999988887777/AROASTRANGER00000001 never" in last.summary
    # Incidents keep the two accounts apart too.
    partner_finding = dataclasses.replace(
        last, id="p", actor=dataclasses.replace(last.actor, caller="210987654321/AIDAPARTNER")
    )
    incidents, _ = correlate([partner_finding, last])
    assert len(incidents) == 2
    # A serious one is contained where the account came in: its resource policy.
    (serious,), _ = correlate([dataclasses.replace(last, severity=Severity.HIGH)])
    assert "block-public" in serious.actions


def _finding(fid: str, detector: str, severity: Severity, time: str | None, who: str) -> Finding:
    actor = Actor(arn=who, type="IAMUser", access_key_id="AKIAEXAMPLE000000001") if who else None
    return Finding(
        id=fid,
        detector=detector,
        title=detector,
        severity=severity,
        resource=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders",
        account=ACCOUNT,
        region=REGION,
        summary="",
        evidence=(EvidenceRef("trail/x.jsonl.gz", "0" * 64),),
        time=time,
        actor=actor,
    )


def test_an_incident_says_the_strongest_novelty_first_and_counts_first_calls() -> None:
    # At scale a role's incident held hundreds of "first call by … on svc-N" reasons before
    # the new network that made it serious; the terminal shows the first four.
    role = f"arn:aws:iam::{ACCOUNT}:role/deploy"

    def verdict(new: list[str], reasons: list[str]) -> dict[str, Any]:
        return {"baseline": {"judged": True, "new": new, "reasons": reasons}}

    findings = [
        dataclasses.replace(
            _finding(f"f{n}", "LIR-CT-012", Severity.LOW, f"2026-11-01T02:1{n}:00Z", role),
            details=verdict(["function"], [f"first call by {role} on svc-{n}"]),
        )
        for n in range(5)
    ]
    findings.append(
        dataclasses.replace(
            _finding("net", "LIR-CT-012", Severity.MEDIUM, "2026-11-01T02:30:00Z", role),
            details=verdict(
                ["network", "hours"],
                ["network 203.0.113.0/24 (203.0.113.9) never used by it", "02:30 UTC is outside"],
            ),
        )
    )
    findings.append(  # a second network: after the first reason of every kind
        dataclasses.replace(
            _finding("net2", "LIR-CT-012", Severity.MEDIUM, "2026-11-01T02:40:00Z", role),
            details=verdict(["network"], ["network 198.18.0.0/24 (198.18.0.1) never used by it"]),
        )
    )
    (incident,), _ = correlate(findings)
    assert incident.new_against_baseline == (
        "network 203.0.113.0/24 (203.0.113.9) never used by it",
        "02:30 UTC is outside",
        f"first calls by {role} on 5 functions (svc-0, svc-1, svc-2, …)",
        "network 198.18.0.0/24 (198.18.0.1) never used by it",
    )


def test_an_incident_reads_a_shared_verdict_as_it_reads_equal_copies() -> None:
    # Detectors share one dict per distinct verdict (`Novelty.to_json`), and correlation reads
    # each shared one once: the incident must be the one equal copies give. An aggregated
    # finding stretches the incident to its last call and adds its other keys and addresses.
    role = f"arn:aws:iam::{ACCOUNT}:role/deploy"
    network = {"judged": True, "new": ["network"], "reasons": ["network 203.0.113.0/24 new"]}
    tool = {"judged": True, "new": ["tool", "network"], "reasons": ["tool curl new", "net 2"]}
    aggregated = {"last": "2026-11-03T08:00:00Z", "access_keys": ["AKIAOTHER"]}

    def findings(copy: bool) -> list[Finding]:
        verdicts = [network, network, tool, network]
        details = [{"baseline": dict(v) if copy else v} for v in verdicts]
        details[1] |= {**aggregated, "source_ips": ["198.51.100.7"]}
        return [
            dataclasses.replace(
                _finding(f"f{n}", "LIR-CT-012", Severity.MEDIUM, f"2026-11-01T02:1{n}:00Z", role),
                details=d,
            )
            for n, d in enumerate(details)
        ]

    (shared,), _ = correlate(findings(copy=False))
    (copied,), _ = correlate(findings(copy=True))
    assert shared == copied
    assert shared.new_against_baseline == (
        "network 203.0.113.0/24 new",
        "tool curl new",
        "net 2",
    )
    assert shared.score == 4 * 3.0 + 2 * 2.0  # four MEDIUM findings, two kinds of novelty
    assert (shared.first, shared.last) == ("2026-11-01T02:10:00Z", "2026-11-03T08:00:00Z")
    (actor,) = shared.actors
    assert actor.access_keys == ("AKIAEXAMPLE000000001", "AKIAOTHER")
    assert actor.addresses == ("198.51.100.7",)


def test_one_actors_steps_become_one_incident_in_order() -> None:
    mallory = f"arn:aws:iam::{ACCOUNT}:user/mallory"
    findings = [
        _finding("p", "LIR-CT-001", Severity.MEDIUM, "2026-11-01T02:20:00Z", mallory),
        _finding("r", "LIR-CT-007", Severity.MEDIUM, "2026-11-01T02:10:00Z", mallory),
        _finding("m", "LIR-CT-012", Severity.HIGH, "2026-11-01T02:15:00Z", mallory),
        _finding("later", "LIR-CT-012", Severity.LOW, "2026-11-03T09:00:00Z", mallory),
        _finding("url", "LIR-CFG-001", Severity.MEDIUM, None, ""),
    ]
    incidents, tagged = correlate(findings)
    first = incidents[0]
    assert first.findings == ("r", "m", "p")
    assert first.steps == ("recon", "modification", "persistence")
    assert first.severity is Severity.HIGH and first.kind == "activity"
    assert "deactivate-key=AKIAEXAMPLE000000001" in first.actions
    assert "block-public" in first.actions
    assert {i.kind for i in incidents} == {"activity", "exposure"}
    assert len(incidents) == 3  # the later LOW change is an incident of its own
    assert all(f.incident for f in tagged)
    assert {f.id: f.incident for f in tagged}["m"] == first.id


def test_an_honest_release_before_stolen_keys_are_used_stays_out_of_the_intrusion() -> None:
    # alice releases as usual (INFO) at 09:20; her stolen keys recon at 12:00 and change
    # code at 12:09. The chain is recon then modification, whatever came before it.
    alice = f"arn:aws:iam::{ACCOUNT}:user/alice"
    findings = [
        _finding("release", "LIR-CT-012", Severity.INFO, "2026-11-01T09:20:00Z", alice),
        _finding("recon", "LIR-CT-007", Severity.MEDIUM, "2026-11-01T12:00:00Z", alice),
        _finding("change", "LIR-CT-012", Severity.MEDIUM, "2026-11-01T12:09:00Z", alice),
        _finding("again", "LIR-CT-007", Severity.LOW, "2026-11-01T12:30:00Z", alice),
    ]
    incidents, _ = correlate(findings)
    intrusion, routine = incidents
    assert intrusion.findings == ("recon", "change", "again")
    assert intrusion.steps == ("recon", "modification")
    assert intrusion.severity is Severity.HIGH  # a chain raises a medium one
    assert intrusion.first == "2026-11-01T12:00:00Z"
    assert routine.findings == ("release",) and routine.severity is Severity.INFO


def test_a_stolen_pipeline_role_is_contained_by_its_sessions_not_a_key() -> None:
    # Temporary keys (ASIA…) cannot be deactivated: the incident recommends revoking the
    # sessions of the role they belong to, which is not the function's execution role.
    role = f"arn:aws:iam::{ACCOUNT}:role/gha-deploy"
    session = Actor(
        arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/gha-deploy/run-9",
        type="AssumedRole",
        access_key_id="ASIAEXAMPLE000000009",
        session_issuer=role,
    )
    change = dataclasses.replace(
        _finding("c", "LIR-CT-012", Severity.HIGH, "2026-11-01T02:15:00Z", ""), actor=session
    )
    (incident,), _ = correlate([change])
    assert incident.actions == ("throttle", f"revoke-role-sessions={role}")
    # a role of another account than the functions' is not `contain`'s to revoke there
    elsewhere = Actor(
        arn="arn:aws:sts::999988887777:assumed-role/ops/x",
        type="AssumedRole",
        access_key_id="ASIAEXAMPLE000000010",
        session_issuer="arn:aws:iam::999988887777:role/ops",
    )
    (incident,), _ = correlate([dataclasses.replace(change, actor=elsewhere)])
    assert incident.actions == ("throttle",)


def test_a_hook_variable_alone_is_contained_by_removing_it_not_by_stripping_layers() -> None:
    hooked = dataclasses.replace(
        _finding("h", "LIR-CT-003", Severity.HIGH, "2026-11-01T02:15:00Z", ""),
        details={"layers": [], "hook_variables": ["AWS_LAMBDA_EXEC_WRAPPER", "NODE_OPTIONS"]},
    )
    assert config_actions([hooked]) == ("strip-env=AWS_LAMBDA_EXEC_WRAPPER,NODE_OPTIONS",)
    layered = dataclasses.replace(hooked, details={"layers": ["arn:…:layer:x:1"]})
    assert config_actions([layered]) == ("strip-layers",)
    low = dataclasses.replace(hooked, severity=Severity.MEDIUM)
    assert config_actions([low]) == ()


def test_partner_grant_by_ci_is_low_and_by_an_intruder_high(builder: CaseBuilder) -> None:
    records = _history()
    for n, (identity, when, ip, agent) in enumerate(
        (
            (ci_identity(29), "2026-10-21T10:20:00Z", "192.0.2.30", TERRAFORM),
            (ci_identity(30), "2026-10-22T10:20:00Z", "192.0.2.31", TERRAFORM),
            (_user("ops-legacy"), "2026-11-01T02:12:00Z", "203.0.113.66", "Boto3/1.34.69"),
        )
    ):
        records.append(
            trail_event(
                "AddPermission20150331v2",
                {"functionName": "orders", "principal": "444455556666", "statementId": f"s{n}"},
                identity=identity,
                event_id=f"grant-{n}",
                time=when,
                user_agent=agent,
                source_ip=ip,
            )
        )
    builder.trail(records)
    severities = {
        f.details["event_id"]: f.severity for f in run_detector(builder, ct_add_permission.DETECTOR)
    }
    # CI's first grant to the partner is MEDIUM (along its path, but never done before), the
    # next day's LOW; the intruder's HIGH
    assert severities == {
        "grant-0": Severity.MEDIUM,
        "grant-1": Severity.LOW,
        "grant-2": Severity.HIGH,
    }


def test_a_known_vendors_extension_in_the_logs_is_info(builder: CaseBuilder) -> None:
    extension = f"arn:aws:lambda:{REGION}:464622532012:layer:Datadog-Extension:60"
    builder.versions("orders", [function_config("orders", layers=[extension])])
    stream = "2026/11/02/[$LATEST]abc"
    lines = [
        {
            "timestamp": 1_762_084_800_000 + n,
            "message": f"EXTENSION\tName: {name}\tState: Ready\tEvents: [INVOKE,SHUTDOWN]",
            "logStreamName": stream,
        }
        for n, name in enumerate(("datadog-agent", "spy"))
    ]
    builder.logs("/aws/lambda/orders", lines)
    found = {f.details["extension"]: f for f in run_detector(builder, log_extensions.DETECTOR)}
    assert found["datadog-agent"].severity is Severity.INFO
    assert "Datadog's documented extension" in found["datadog-agent"].summary
    assert found["spy"].severity is Severity.LOW


def test_a_release_in_a_new_shape_is_named_and_the_usual_one_is_quiet(
    builder: CaseBuilder,
) -> None:
    records = _history()  # CI's shape: UpdateFunctionCode, ten days running
    usual = trail_event(
        "UpdateFunctionCode20150331v2",
        {"functionName": "orders", "publish": True},
        identity=ci_identity(21),
        event_id="usual",
        time="2026-10-21T10:15:00Z",
        user_agent=TERRAFORM,
        source_ip="192.0.2.31",
    )
    odd = [
        trail_event(
            name,
            {"functionName": "orders", **request},
            identity=ci_identity(22),
            event_id=f"odd-{n}",
            time=f"2026-10-22T10:1{n}:00Z",
            user_agent=TERRAFORM,
            source_ip="192.0.2.32",
        )
        for n, (name, request) in enumerate(
            (
                ("UpdateFunctionConfiguration20150331v2", {"layers": [LOOKALIKE]}),
                ("PublishVersion20150331", {}),
            )
        )
    ]
    builder.trail([*records, usual, *odd])
    (finding,) = run_detector(builder, ct_release_shape.DETECTOR)
    assert finding.severity is Severity.LOW
    assert finding.details["shape"] == "UpdateFunctionConfiguration > PublishVersion"
    assert finding.details["usual_shapes"] == ["UpdateFunctionCode"]
    assert finding.time == "2026-10-22T10:10:00Z"
    assert {ref.path for ref in finding.evidence} == {
        "trail/" + ACCOUNT + "/import/events.jsonl.gz"
    }


def test_a_release_across_midnight_is_one_shape(builder: CaseBuilder) -> None:
    """A release is a session of calls (none more than `SHAPE_GAP_MINUTES` after the last), not
    a calendar day: the CI's usual `UpdateFunctionCode > UpdateAlias` begun at 23:59 and ended
    at 00:01 is its usual shape, never two new ones cut at midnight."""

    def release(day: int, stamps: tuple[str, str]) -> list[dict[str, Any]]:
        return [
            trail_event(
                name,
                {"functionName": "orders", "name": "live"},
                identity=ci_identity(day),
                event_id=f"release-{day}-{n}",
                time=stamp,
                user_agent=TERRAFORM,
                source_ip="192.0.2.10",
            )
            for n, (name, stamp) in enumerate(
                zip(("UpdateFunctionCode20150331v2", "UpdateAlias20150331"), stamps, strict=True)
            )
        ]

    records = [
        event
        for day in range(1, 11)
        for event in release(day, (f"2026-10-{day:02d}T22:10:00Z", f"2026-10-{day:02d}T22:12:00Z"))
    ]
    records += release(11, ("2026-10-11T23:59:00Z", "2026-10-12T00:01:00Z"))
    builder.trail(records)
    assert run_detector(builder, ct_release_shape.DETECTOR) == []


def test_an_exposure_of_malicious_code_recommends_stopping_it() -> None:
    # A miner found in the package is no one's call (exposure), but leaving it running is
    # no containment: the incident recommends throttling the function (and stripping a bad
    # layer). A standing public URL alone still recommends nothing.
    miner = _finding("m", "yara:LIR_Cryptominer_Stratum_XMRig", Severity.CRITICAL, None, "")
    layered = dataclasses.replace(
        _finding("l", "LIR-CFG-003", Severity.HIGH, None, ""), details={"layers": ["x"]}
    )
    url = _finding("url", "LIR-CFG-001", Severity.HIGH, None, "")
    (incident,), _ = correlate([miner, layered])
    assert incident.kind == "exposure" and incident.actions == ("throttle", "strip-layers")
    (incident,), _ = correlate([url])
    assert incident.kind == "exposure" and incident.actions == ()
    (incident,), _ = correlate([dataclasses.replace(miner, severity=Severity.MEDIUM)])
    assert incident.actions == ()
    # a miner seen running (the runtime collector's /tmp, its processes, its connections)
    for detector in ("LIR-RT-002", "LIR-RT-003", "LIR-RT-004"):
        running = _finding("r", detector, Severity.HIGH, None, "")
        (incident,), _ = correlate([running])
        assert incident.actions == ("throttle",), detector
    (incident,), _ = correlate([_finding("x", "LIR-RT-001", Severity.HIGH, None, "")])
    assert incident.actions == ()  # an executable in /tmp alone: a headless browser's too


def test_a_pause_does_not_split_steps_from_the_same_new_address() -> None:
    # Recon at 00:45 and a change at 09:50 (nine hours on) from 5.188.62.14, a network the
    # principal never used: one intrusion. A change after the same pause from another address
    # (or from a known network) is an incident of its own.
    bob = f"arn:aws:iam::{ACCOUNT}:user/bob"

    def step(fid: str, detector: str, time: str, address: str, new: bool) -> Finding:
        finding = _finding(fid, detector, Severity.MEDIUM, time, bob)
        verdict = {"judged": True, "new": ["network"] if new else [], "reasons": []}
        actor = dataclasses.replace(finding.actor, source_ip=address)  # type: ignore[arg-type]
        return dataclasses.replace(finding, actor=actor, details={"baseline": verdict})

    recon = step("recon", "LIR-CT-007", "2026-12-01T00:45:00Z", "5.188.62.14", True)
    url = step("url", "LIR-CT-002", "2026-12-01T09:50:00Z", "5.188.62.14", True)
    other = step("other", "LIR-CT-012", "2026-12-01T19:00:00Z", "198.51.100.41", False)
    incidents, _ = correlate([recon, url, other])
    assert sorted(i.findings for i in incidents) == [("other",), ("recon", "url")]
    intrusion = next(i for i in incidents if "recon" in i.findings)
    assert intrusion.steps == ("recon", "persistence") and intrusion.severity is Severity.HIGH
    # the same two steps from an address the baseline knew stay apart
    known = [dataclasses.replace(f, details={}) for f in (recon, url)]
    assert len(correlate(known)[0]) == 2


def test_steps_from_one_new_address_join_across_the_owners_own_work() -> None:
    # Bob's stolen session recons at 00:45 from 5.188.62.14 and, after Bob's own edit from the
    # office at 09:35, opens a URL at 09:50 from 5.188.62.14 again: the recon is the URL's
    # incident's first step, not an incident of its own. A third part, linked to both by two
    # new addresses, joins them all.
    bob = f"arn:aws:iam::{ACCOUNT}:user/bob"

    def step(fid: str, detector: str, time: str, address: str) -> Finding:
        finding = _finding(fid, detector, Severity.MEDIUM, time, bob)
        verdict = {"judged": True, "new": ["network"] if address else [], "reasons": []}
        actor = dataclasses.replace(finding.actor, source_ip=address)  # type: ignore[arg-type]
        return dataclasses.replace(finding, actor=actor, details={"baseline": verdict})

    recon = step("recon", "LIR-CT-007", "2026-12-01T00:45:00Z", "5.188.62.14")
    findings = [
        recon,
        step("edit", "LIR-CT-012", "2026-12-01T09:35:00Z", ""),
        step("url", "LIR-CT-002", "2026-12-01T09:50:00Z", "5.188.62.14"),
    ]
    (incident,) = correlate(findings)[0]
    assert incident.findings == ("recon", "edit", "url")
    assert incident.steps == ("recon", "modification", "persistence")
    # An aggregated recon (like reads 00:00 to 16:00 from X and X2), a change from Y at 08:30,
    # and at 17:00 steps from X2 and Y: the last links both earlier parts, all one.
    recon_x = step("a", "LIR-CT-007", "2026-12-01T00:00:00Z", "203.0.113.1")
    baseline = recon_x.details["baseline"]
    aggregated = {"baseline": baseline, "last": "2026-12-01T16:00:00Z", "source_ips": ["192.0.2.7"]}
    linked = [
        dataclasses.replace(recon_x, details=aggregated),
        step("b", "LIR-CT-012", "2026-12-01T08:30:00Z", "198.18.7.9"),
        step("c", "LIR-CT-002", "2026-12-01T17:00:00Z", "192.0.2.8"),
        step("d", "LIR-CT-002", "2026-12-01T17:05:00Z", "198.18.7.9"),
    ]
    (joined,) = correlate(linked)[0]
    assert joined.findings == ("a", "b", "c", "d")
    # the baseline judges a network: the next address of the /24 is the same newcomer
    near = [recon, step("url2", "LIR-CT-002", "2026-12-01T09:50:00Z", "5.188.62.200")]
    assert len(correlate(near)[0]) == 1
    # 12 hours is the most a pause may last: 11 h on joins, 13 h on (a traveller's next
    # morning at the hotel) stays apart
    at_11 = [recon, step("u11", "LIR-CT-002", "2026-12-01T11:45:00Z", "5.188.62.14")]
    at_13 = [recon, step("u13", "LIR-CT-002", "2026-12-01T13:45:00Z", "5.188.62.14")]
    assert (len(correlate(at_11)[0]), len(correlate(at_13)[0])) == (1, 2)
    # a service's name as the address is no network an intruder comes from
    via = [
        step("s1", "LIR-CT-007", "2026-12-01T00:45:00Z", "cloudformation.amazonaws.com"),
        step("s2", "LIR-CT-002", "2026-12-01T09:50:00Z", "cloudformation.amazonaws.com"),
    ]
    assert len(correlate(via)[0]) == 2
