"""Deployment steps a CI pipeline performs, one Lambda or IAM API call at a time.

Shared by the scenarios: each function takes the boto3 clients of the acting identity, so
CloudTrail attributes the step to whoever performed it.
"""

from __future__ import annotations

import json
from typing import Any

from lambda_ir.emulator.scenarios.catalogue import FunctionSpec

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
ALIAS = "live"
LOG_RETENTION_DAYS = 30


def role_name(function: str, region: str) -> str:
    """IAM role names are global, function names per region: the region keeps them apart."""
    return f"{function}-{region}-role"


def create_execution_role(
    iam: Any, name: str, statements: list[dict[str, Any]], tags: dict[str, str]
) -> str:
    """`iam:CreateRole` with Lambda's trust policy, then one narrow inline policy; its ARN."""
    role = iam.create_role(
        RoleName=name,
        Path="/lambda/",
        AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST),
        Tags=_tag_list(tags),
    )["Role"]
    policy = {"Version": "2012-10-17", "Statement": statements}
    iam.put_role_policy(
        RoleName=name, PolicyName="least-privilege", PolicyDocument=json.dumps(policy)
    )
    return str(role["Arn"])


def role_statements(spec: FunctionSpec, account: str) -> list[dict[str, Any]]:
    """Logs for its own group plus the application's own actions on its own resources."""
    group = f"arn:aws:logs:{spec.region}:{account}:log-group:{spec.log_group}:*"
    resource = spec.app.resource.format(region=spec.region, account=account, fn=spec.name)
    return [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": group,
        },
        {"Effect": "Allow", "Action": list(spec.app.actions), "Resource": resource},
    ]


def function_tags(spec: FunctionSpec) -> dict[str, str]:
    """The tags the estate's pipeline puts on everything it deploys."""
    return {
        "team": spec.app.team,
        "stage": spec.stage,
        "app": spec.app.name,
        "managed-by": "terraform",
        "cost-center": f"cc-{sum(map(ord, spec.app.team)) % 900 + 100}",
    }


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def create_function(
    lam: Any, spec: FunctionSpec, role_arn: str, code: dict[str, Any], layers: list[str]
) -> dict[str, Any]:
    """`lambda:CreateFunction` with `Publish=True` (version 1), tags and, for zips, layers."""
    extra: dict[str, Any] = (
        {"PackageType": "Image"}
        if spec.is_image
        else {
            "Runtime": spec.app.runtime,
            "Handler": "app.handler",
            "Layers": layers,
        }
    )
    if spec.app.log_group or spec.app.log_format != "Text":
        extra["LoggingConfig"] = {"LogFormat": spec.app.log_format, "LogGroup": spec.log_group}
    answer: dict[str, Any] = lam.create_function(
        FunctionName=spec.name,
        Role=role_arn,
        Code=code,
        Description=spec.app.description,
        Timeout=spec.app.timeout_s,
        MemorySize=spec.app.memory_mb,
        Publish=True,
        Environment={"Variables": {"STAGE": spec.stage, "LOG_LEVEL": "INFO"}},
        Tags=function_tags(spec),
        **extra,
    )
    return answer


def wire_trigger(clients: Any, spec: FunctionSpec, account: str) -> None:
    """Connect the function to what invokes it: queue, stream, URL or a service permission."""
    lam = clients.client("lambda", spec.region)
    trigger = spec.app.trigger
    if trigger == "sqs":
        sqs = clients.client("sqs", spec.region)
        url = sqs.create_queue(QueueName=f"{spec.name}-events")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        source = arn["Attributes"]["QueueArn"]
        lam.create_event_source_mapping(FunctionName=spec.name, EventSourceArn=source, BatchSize=10)
    elif trigger == "dynamodb":
        table = clients.client("dynamodb", spec.region).create_table(
            TableName=f"{spec.name}-table",
            KeySchema=[{"AttributeName": "sku", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "sku", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )["TableDescription"]
        lam.create_event_source_mapping(
            FunctionName=spec.name,
            EventSourceArn=table["LatestStreamArn"],
            StartingPosition="LATEST",
            BatchSize=100,
        )
    elif trigger == "url":
        lam.create_function_url_config(FunctionName=spec.name, Qualifier=ALIAS, AuthType="AWS_IAM")
    elif trigger is not None:
        _service_permission(lam, spec, account, trigger)


SERVICE_SOURCES = {
    "s3": ("s3.amazonaws.com", "arn:aws:s3:::acme-{fn}-uploads"),
    "sns": ("sns.amazonaws.com", "arn:aws:sns:{region}:{account}:{fn}-topic"),
    "schedule": ("events.amazonaws.com", "arn:aws:events:{region}:{account}:rule/{fn}-schedule"),
}


def _service_permission(lam: Any, spec: FunctionSpec, account: str, trigger: str) -> None:
    principal, source = SERVICE_SOURCES[trigger]
    lam.add_permission(
        FunctionName=spec.name,
        Qualifier=ALIAS,
        StatementId=f"{trigger}-invoke",
        Action="lambda:InvokeFunction",
        Principal=principal,
        SourceArn=source.format(region=spec.region, account=account, fn=spec.name),
        SourceAccount=account,
    )
