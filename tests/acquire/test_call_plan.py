"""Issue #4: a call plan that wastes no quota, against the emulator over HTTP.

Code signing is listed once per region (ListCodeSigningConfigs, then
ListFunctionsByCodeSigningConfig per config) instead of GetFunctionCodeSigningConfig per
function; a collector denied the listing falls back to the per-function call. Provisioned
concurrency is asked only for functions with a published version. The planned calls per
quota class are the calls the meter counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from lambda_ir.acquire import CollectOptions, CollectSummary, Scope, collect
from lambda_ir.acquire.plan import EstateShape, plan_calls
from lambda_ir.aws import QuotaClass
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case, ManifestEntry, verify_case
from tests.acquire import seed
from tests.acquire.conftest import Place
from tests.conftest import RegionPool

SIGNING = "lambda:ListCodeSigningConfigs"
SIGNED_BY = "lambda:ListFunctionsByCodeSigningConfig"
PER_FUNCTION = "lambda:GetFunctionCodeSigningConfig"
PROVISIONED = "lambda:ListProvisionedConcurrencyConfigs"


def _estate(session: boto3.Session, place: Place) -> str:
    """`signed` (2 versions, a code-signing config), `plain` (2 versions, provisioned
    concurrency on version 1), `draft` ($LATEST only); each has one alias. Returns the
    config's ARN."""
    lam = seed.client(session, place.endpoint, "lambda", place.region)
    for name in ("signed", "plain"):
        seed.function(session, place.endpoint, name, ["a", "b"], region=place.region)
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="2")
    lam.create_function(
        FunctionName="draft",
        Runtime="python3.12",
        Role=seed.role(session, place.endpoint),
        Handler="handler.handler",
        Code={"ZipFile": seed.package("draft")},
    )
    lam.create_alias(FunctionName="draft", Name="live", FunctionVersion="$LATEST")
    config = lam.create_code_signing_config(
        Description="release signing",
        AllowedPublishers={"SigningProfileVersionArns": [_profile(place)]},
        CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"},
    )["CodeSigningConfig"]
    arn = str(config["CodeSigningConfigArn"])
    lam.put_function_code_signing_config(FunctionName="signed", CodeSigningConfigArn=arn)
    lam.put_provisioned_concurrency_config(
        FunctionName="plain", Qualifier="1", ProvisionedConcurrentExecutions=2
    )
    return arn


def _profile(place: Place) -> str:
    return f"arn:aws:signer:{place.region}:{seed.ACCOUNT}:/signing-profiles/release/abcdefghij"


def _collect(case: Case, session: boto3.Session, place: Place) -> CollectSummary:
    options = CollectOptions(workers=4, quotas=False, endpoint_url=place.endpoint)
    return collect(case, session, Scope(regions=(place.region,)), options)


def _by_api(case: Case, api: str) -> list[ManifestEntry]:
    return [e for e in case.entries() if e.api == api]


def _failures(case: Case, but: str = "") -> list[tuple[str | None, str]]:
    """Failed calls other than `but` and the `not-found` answers (no policy at a qualifier)."""
    return [
        (e.api, e.error)
        for e in case.entries()
        if e.error and e.api != but and not e.error.startswith("not-found:")
    ]


@dataclass(frozen=True)
class Seeded:
    """The estate of `_estate` in a region of its own, collected once by the administrator."""

    place: Place
    config_arn: str
    case: Case
    summary: CollectSummary


@pytest.fixture(scope="module")
def seeded(
    emulator_session: Emulator, region_pool: RegionPool, tmp_path_factory: pytest.TempPathFactory
) -> Seeded:
    """One region for every test here that only reads the estate (the region pool is small)."""
    place = Place(emulator_session.endpoint_url, region_pool.take(emulator_session))
    admin = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    arn = _estate(admin, place)
    case = Case.create(tmp_path_factory.mktemp("plan") / "case", {"test": True})
    return Seeded(place, arn, case, _collect(case, admin, place))


def test_code_signing_comes_from_the_region_listing(seeded: Seeded) -> None:
    place, arn, case, summary = seeded.place, seeded.config_arn, seeded.case, seeded.summary
    assert summary.ok and summary.functions == 3 and _failures(case) == []
    [listing] = _by_api(case, SIGNING)
    assert listing.kind == "function-setting" and listing.params == {}
    [config] = case.read_json(listing.path)["CodeSigningConfigs"]
    assert config["CodeSigningConfigArn"] == arn
    assert config["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Enforce"}
    [users] = _by_api(case, SIGNED_BY)
    assert users.params == {"CodeSigningConfigArn": arn}
    signed = f"arn:aws:lambda:{place.region}:{seed.ACCOUNT}:function:signed"
    assert case.read_json(users.path) == {"FunctionArns": [signed]}
    assert _by_api(case, PER_FUNCTION) == []
    assert PER_FUNCTION not in summary.meter.apis
    assert verify_case(case.root).ok


def test_provisioned_concurrency_is_asked_only_where_a_version_is_published(
    seeded: Seeded,
) -> None:
    case, summary = seeded.case, seeded.summary
    asked = {e.params["FunctionName"]: e for e in _by_api(case, PROVISIONED)}
    assert sorted(asked) == ["plain", "signed"]  # never `draft`, which has only $LATEST
    assert summary.meter.apis[PROVISIONED] == 2
    [config] = case.read_json(asked["plain"].path)["ProvisionedConcurrencyConfigs"]
    assert config["FunctionArn"].endswith(":function:plain:1")
    assert config["RequestedProvisionedConcurrentExecutions"] == 2
    assert case.read_json(asked["signed"].path) == {"ProvisionedConcurrencyConfigs": []}


def test_the_plan_counts_the_calls_the_run_makes(seeded: Seeded) -> None:
    summary = seeded.summary
    shape = EstateShape(functions=3, versions=2, aliases=1, latest_only=1, signing_configs=1)
    planned = plan_calls(shape)
    made = summary.meter.by_class()
    for klass in (QuotaClass.CONTROL_PLANE, QuotaClass.GET_FUNCTION, QuotaClass.GET_POLICY):
        assert made[klass] == planned[klass], (klass, made[klass], planned[klass])
    # 3 region calls + 2 for code signing; 7 per published function and 6 for `draft`.
    assert planned[QuotaClass.CONTROL_PLANE] == 3 + 2 + 2 * 7 + 6


@pytest.mark.parametrize("denied", [SIGNING, SIGNED_BY])
def test_a_denied_listing_falls_back_to_one_call_per_function(
    seeded: Seeded, enforcing: Emulator, session: boto3.Session, case: Case, denied: str
) -> None:
    place, arn = seeded.place, seeded.config_arn
    summary = _collect(case, seed.collector(session, place.endpoint, denied), place)

    [refused] = _by_api(case, denied)
    assert refused.error is not None and refused.error.startswith("denied: AccessDeniedException")
    fallback = {e.params["FunctionName"]: e for e in _by_api(case, PER_FUNCTION)}
    assert sorted(fallback) == ["draft", "plain", "signed"]
    answers: dict[str, Any] = {n: case.read_json(e.path) for n, e in fallback.items()}
    assert answers["signed"] == {"CodeSigningConfigArn": arn, "FunctionName": "signed"}
    assert answers["plain"]["CodeSigningConfigArn"] == ""
    assert _failures(case, but=denied) == []  # the shipped policy covers every other call
    assert summary.functions == 3 and summary.meter.apis[PER_FUNCTION] == 3


def test_the_emulator_answers_as_aws_does(place: Place, session: boto3.Session) -> None:
    """What the plan relies on: no provisioned concurrency on $LATEST or an alias of it, and
    the code-signing listings paged with Marker/NextMarker."""
    arn = _estate(session, place)
    lam = seed.client(session, place.endpoint, "lambda", place.region)
    for qualifier in ("$LATEST", "live"):
        with pytest.raises(lam.exceptions.InvalidParameterValueException):
            lam.put_provisioned_concurrency_config(
                FunctionName="draft", Qualifier=qualifier, ProvisionedConcurrentExecutions=1
            )
    second = lam.create_code_signing_config(
        AllowedPublishers={"SigningProfileVersionArns": [_profile(place)]}
    )["CodeSigningConfig"]["CodeSigningConfigArn"]
    first = lam.list_code_signing_configs(MaxItems=1)
    rest = lam.list_code_signing_configs(Marker=first["NextMarker"])
    listed = first["CodeSigningConfigs"] + rest["CodeSigningConfigs"]
    assert sorted(c["CodeSigningConfigArn"] for c in listed) == sorted([arn, second])
    assert "NextMarker" not in rest
    assert (
        lam.list_functions_by_code_signing_config(CodeSigningConfigArn=second)["FunctionArns"] == []
    )
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.list_functions_by_code_signing_config(
            CodeSigningConfigArn=arn.rsplit(":", 1)[0] + ":csc-0123456789abcdefg"
        )
