"""The collector's IAM policy covers every API it calls, and lists only real, read actions."""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import botocore.session

from lambda_ir.acquire import CollectOptions, Scope, collect, iam_policy
from lambda_ir.acquire.org_accounts import ASSUME_ROLE, LIST_ACCOUNTS
from lambda_ir.acquire.policy import allowed_actions, iam_action
from lambda_ir.evidence import Case
from tests.acquire import seed
from tests.acquire.conftest import Place

SOURCES = Path(__file__).resolve().parents[2] / "src" / "lambda_ir" / "acquire"
CALLER_ONLY = {ASSUME_ROLE, LIST_ACCOUNTS}
# IAM actions that authorise an S3 API of another name (ListObjectsV2 needs s3:ListBucket).
IAM_ONLY = {"s3:ListBucket"}
# botocore's service model names where they differ from the IAM prefix.
MODEL_OF = {"logs": "logs", "ecr": "ecr", "sts": "sts"}


def _model_operations(core: botocore.session.Session, prefix: str) -> set[str]:
    return set(core.get_service_model(MODEL_OF.get(prefix, prefix)).operation_names)


def test_every_action_in_the_policy_is_a_real_read_action() -> None:
    actions = allowed_actions()
    assert actions, "the policy allows nothing"
    core = botocore.session.get_session()
    for action in sorted(actions):
        prefix, name = action.split(":", 1)
        if action not in IAM_ONLY:
            assert name in _model_operations(core, prefix), f"{action} is not an API of {prefix}"
    for statement in iam_policy()["Statement"]:
        assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
        if statement["Sid"].startswith("LambdaIrOptIn"):
            continue  # opt-in extras (--log-export-bucket) are declared apart from the reads
        for action in statement["Action"]:
            name = action.split(":", 1)[1]
            assert re.fullmatch(r"(Get|List|Describe|BatchGet|Lookup|Filter)\w+", name), action


def test_every_api_named_in_the_collector_source_is_allowed() -> None:
    named = set()
    for source in SOURCES.glob("*.py"):
        named |= set(
            re.findall(
                r'"((?:lambda|iam|sts|ecr|ec2|logs|cloudtrail|s3|events|scheduler|sns):[A-Z]\w+)"',
                source.read_text(),
            )
        )
    assert "lambda:GetFunction" in named and "iam:GetRole" in named
    # The org fan-out's caller makes these, not the collector role in each member account: the
    # README's "collect --org-role" says the caller needs them besides the collector policy.
    readme = (SOURCES.parents[2] / "README.md").read_text()
    assert all(f"`{api}`" in readme for api in CALLER_ONLY)
    missing = {api for api in named - CALLER_ONLY if iam_action(api) not in allowed_actions()}
    assert not missing, f"called but not in iam_policy.json: {sorted(missing)}"


def test_every_api_a_full_run_calls_is_allowed(
    place: Place, session: boto3.Session, case: Case
) -> None:
    layer = seed.foreign_layer(session, place.endpoint, "210987654321", "layer", place.region)
    seed.function(
        session,
        place.endpoint,
        "orders",
        ["a", "b"],
        layers=[layer["LayerVersionArn"]],
        region=place.region,
    )
    seed.managed_policy_and_boundary(session, place.endpoint, "fn-role")
    seed.image_function(session, place.endpoint, region=place.region)
    lam = seed.client(session, place.endpoint, "lambda", place.region)
    lam.create_alias(FunctionName="orders", Name="live", FunctionVersion="1")
    profile = f"arn:aws:signer:{place.region}:{seed.ACCOUNT}:/signing-profiles/ci/abcdefghij"
    signing = lam.create_code_signing_config(
        AllowedPublishers={"SigningProfileVersionArns": [profile]}
    )
    arn = signing["CodeSigningConfig"]["CodeSigningConfigArn"]
    lam.put_function_code_signing_config(FunctionName="orders", CodeSigningConfigArn=arn)
    options = CollectOptions(workers=4, quotas=False, endpoint_url=place.endpoint)
    summary = collect(case, session, Scope(regions=(place.region,)), options)
    called = set(summary.meter.apis) | {e.api for e in case.entries() if e.api}
    assert {"ecr:BatchGetImage", "iam:GetPolicyVersion", "lambda:GetLayerVersionByArn"} <= called
    assert {"lambda:ListCodeSigningConfigs", "lambda:ListFunctionsByCodeSigningConfig"} <= called
    missing = {api for api in called if iam_action(api) not in allowed_actions()}
    assert not missing, f"called but not in iam_policy.json: {sorted(missing)}"
    image = [e for e in case.entries() if e.kind == "image" and e.error is None]
    assert len(image) == 1 and image[0].params["imageIds"][0]["imageDigest"].startswith("sha256:")
    boundary = [
        e for e in case.entries() if e.api == "iam:GetPolicy" and "boundary" in str(e.params)
    ]
    assert boundary and boundary[0].error is None
