"""IAM enforcement on demand: deny a call the caller's identity-based policies do not allow.

Off by default (`Emulator(enforce_iam=True)` or `emulator.enforce_iam = True` turns it on).
When on, the gateway evaluates, before forwarding, the inline and attached managed policies
of the calling IAM user (and its groups) or of the assumed role, read from moto's IAM
backend: an explicit Deny wins, otherwise an Allow is needed. `Action`/`NotAction` and
`Resource`/`NotResource` match with `*` and `?` wildcards; statements with a `Condition` are
skipped (not evaluated) except dates on `aws:TokenIssueTime` (`iam_conditions`: the revoke-
sessions policy), resource-based policies, boundaries and SCPs are not modelled.
Keys unknown to IAM (the emulator admin), root keys and sts:GetCallerIdentity (which AWS
never denies) stay allowed. A denial answers in the service's own shape: Lambda
`AccessDeniedException` HTTP 403 JSON, IAM/STS/S3 XML `AccessDenied` 403, JSON services
`AccessDeniedException` 400; CloudTrail records it with `errorCode` "AccessDenied".
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any
from xml.sax.saxutils import escape

from moto.iam.models import iam_backends

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response, json_response
from lambda_ir.emulator.iam_conditions import ISSUE_TIME_KEY, condition_matches
from lambda_ir.emulator.identity import ADMIN_USER, PARTITION, Caller
from lambda_ir.emulator.lambda_names import function_arn

TRAIL_ERROR_CODE = "AccessDenied"
_XML_SERVICES = frozenset({"iam", "sts", "s3", "ec2"})
_EC2_CODE = "UnauthorizedOperation"
_XML_NAMESPACES = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}


@dataclass(frozen=True)
class Decision:
    """The outcome for one call: allowed, or denied explicitly / for lack of an Allow."""

    allowed: bool
    explicit_deny: bool = False


def check(call: ApiCall, caller: Caller) -> Response | None:
    """None when the caller may make `call`; else the service's AccessDenied response."""
    if call.operation is None or _exempt(call, caller):
        return None
    action = f"{call.service}:{call.name}"
    resource = resource_arn(call, caller.account_id)
    decision = evaluate(_documents(caller), action, resource, request_context(caller))
    if decision.allowed:
        return None
    return denied_response(call.service, caller, action, resource, decision.explicit_deny)


def _exempt(call: ApiCall, caller: Caller) -> bool:
    identity = caller.user_identity
    if identity.get("type") == "Root":
        return True
    if identity.get("type") == "IAMUser" and caller.user_name == ADMIN_USER:
        return True
    return call.service == "sts" and call.name == "GetCallerIdentity"


def evaluate(
    documents: Iterable[Any],
    action: str,
    resource: str,
    context: Mapping[str, str] | None = None,
) -> Decision:
    """Evaluate identity-based policy documents: explicit Deny wins, else an Allow is needed.

    A statement with a `Condition` counts only when `iam_conditions` can evaluate it (dates
    on aws:TokenIssueTime) and it holds for `context`; other conditions are skipped.
    """
    allowed = False
    for statement in _statements(documents):
        if not _applies(statement, action, resource):
            continue
        if "Condition" in statement and not condition_matches(
            statement["Condition"], context or {}
        ):
            continue
        if statement.get("Effect") == "Deny":
            return Decision(allowed=False, explicit_deny=True)
        if statement.get("Effect") == "Allow":
            allowed = True
    return Decision(allowed=allowed)


def request_context(caller: Caller) -> dict[str, str]:
    """The condition keys a request carries: aws:TokenIssueTime for a role session."""
    attributes = caller.user_identity.get("sessionContext", {}).get("attributes", {})
    issued = (
        attributes.get("creationDate")
        if caller.user_identity.get("type") == "AssumedRole"
        else None
    )
    return {ISSUE_TIME_KEY: str(issued)} if issued else {}


def _applies(statement: dict[str, Any], action: str, resource: str) -> bool:
    if "Action" in statement:
        acts = any(_matches(p, action, fold=True) for p in _listed(statement["Action"]))
    else:
        acts = not any(_matches(p, action, fold=True) for p in _listed(statement.get("NotAction")))
    if "Resource" in statement:
        on = any(_matches(p, resource, fold=False) for p in _listed(statement["Resource"]))
    else:
        on = not any(
            _matches(p, resource, fold=False) for p in _listed(statement.get("NotResource"))
        )
    return acts and on


def _matches(pattern: str, value: str, *, fold: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if fold else 0) is not None


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _statements(documents: Iterable[Any]) -> Iterator[dict[str, Any]]:
    for document in documents:
        parsed = json.loads(document) if isinstance(document, str) else document
        if not isinstance(parsed, dict):
            continue
        statements = parsed.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            if isinstance(statement, dict):
                yield statement


def _documents(caller: Caller) -> list[Any]:
    """Every identity-based policy document of the caller, from moto's IAM backend."""
    identity = caller.user_identity
    iam = iam_backends[caller.account_id][PARTITION]
    holders: list[Any] = []
    if identity.get("type") == "IAMUser" and caller.user_name in iam.users:
        holders.append(iam.users[caller.user_name])
        holders.extend(iam.get_groups_for_user(caller.user_name))
    elif identity.get("type") == "AssumedRole":
        role_arn = identity["sessionContext"]["sessionIssuer"]["arn"]
        holders.extend(r for r in iam.roles.values() if r.arn == role_arn)
    documents: list[Any] = []
    for holder in holders:
        documents.extend(holder.policies.values())
        for policy in holder.managed_policies.values():
            documents.extend(
                v.document for v in policy.versions if v.version_id == policy.default_version_id
            )
    return documents


def resource_arn(call: ApiCall, account_id: str) -> str:
    """The resource AWS names in the denial: the function, layer, user or role, else `*`."""
    params = call.params
    region = call.region
    if call.service == "lambda":
        name = params.get("FunctionName")
        if isinstance(name, str) and name:
            base = function_arn(name, region, account_id)  # a name, partial or full ARN
            qualifier = params.get("Qualifier")
            return f"{base}:{qualifier}" if qualifier and not base.count(":") > 6 else base
        layer = params.get("LayerName")
        if isinstance(layer, str) and layer:
            return (
                layer
                if layer.startswith("arn:")
                else (f"arn:{PARTITION}:lambda:{region}:{account_id}:layer:{layer}")
            )
    if call.service == "iam":
        for member, kind in (("RoleName", "role"), ("UserName", "user")):
            value = params.get(member)
            if isinstance(value, str) and value:
                return f"arn:{PARTITION}:iam::{account_id}:{kind}/{value}"
        if isinstance(params.get("PolicyArn"), str):
            return str(params["PolicyArn"])
    return "*"


def denied_response(
    service: str, caller: Caller, action: str, resource: str, explicit: bool
) -> Response:
    """The service's own AccessDenied answer, with AWS's message wording."""
    why = (
        "with an explicit deny in an identity-based policy"
        if explicit
        else f"because no identity-based policy allows the {action} action"
    )
    message = (
        f"User: {caller.user_identity.get('arn', '')} is not authorized to perform: "
        f"{action} on resource: {resource} {why}"
    )
    extras = {"trail_error_code": TRAIL_ERROR_CODE}
    if service == "lambda":
        response = json_response({"Message": message}, 403)
        response = replace(
            response, headers=(*response.headers, ("x-amzn-ErrorType", "AccessDeniedException"))
        )
    elif service in _XML_SERVICES:
        response = _xml_denied(service, message)
    else:
        response = json_response(
            {"__type": "AccessDeniedException", "message": message},
            400,
            content_type="application/x-amz-json-1.1",
        )
    return replace(response, extras=extras)


def _xml_denied(service: str, message: str) -> Response:
    request_id = str(uuid.uuid4())
    text = escape(message)
    if service == "s3":  # S3's error document has <Error> at its root
        xml = f"<Error><Code>AccessDenied</Code><Message>{text}</Message>"
        xml += f"<RequestId>{request_id}</RequestId></Error>"
    elif service == "ec2":  # EC2's query protocol: <Response><Errors><Error>
        xml = f"<Response><Errors><Error><Code>{_EC2_CODE}</Code><Message>{text}</Message>"
        xml += f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
    else:
        namespace = _XML_NAMESPACES[service]
        xml = f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type>'
        xml += f"<Code>AccessDenied</Code><Message>{text}</Message></Error>"
        xml += f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    body = xml.encode()
    headers = (
        ("Content-Type", "text/xml"),
        ("Content-Length", str(len(body))),
        ("x-amzn-RequestId", request_id),
    )
    return Response(403, headers, body)
