"""Turn one emulated API call into a CloudTrail record with the shape AWS writes.

Checked field by field against the Stratus Red Team detonation logs in `../shared/data/`.
Lambda event names carry the API version of the request path (`CreateFunction20150331`,
`ListLayers20181031`), plus `v2` for the operations AWS re-versioned
(`UpdateFunctionCode20150331v2`, `AddPermission20150331v2`, `GetFunction20150331v2`...);
operations introduced from 2019 on (function URLs, provisioned concurrency...) log their
bare name. Code bytes are never logged; environment variables are dropped (`environment: {}`),
secret keys and session tokens are removed from responses. Calls marked `invoked_by` (see
`calls`) are logged as AWS logs a service's own calls: `userIdentity` {"type": "AWSService",
"invokedBy": ...}, that principal as source address and user agent, no `tlsDetails`. Calls
marked `via_service` (a service acting with the signer's credentials: CloudFormation with the
stack's role or the caller's, CodeDeploy with its service role) keep the signer's
`userIdentity` with that service added as its `invokedBy`, the service as source address and
user agent, no `tlsDetails`.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from typing import Any

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response, error_code
from lambda_ir.emulator.identity import Caller
from lambda_ir.emulator.operations import OperationIndex

EVENT_VERSION = "1.08"
_LAMBDA_V2 = frozenset(
    {
        "GetFunction",
        "GetFunctionConfiguration",
        "UpdateFunctionCode",
        "UpdateFunctionConfiguration",
        "AddPermission",
        "RemovePermission",
        "GetPolicy",
    }
)
_READ_PREFIXES = ("Get", "List", "Describe", "Lookup", "Head", "Search", "BatchGet", "Select")
# Data events (not management events) and calls CloudTrail does not log at all.
_NOT_LOGGED = {
    "lambda": frozenset({"Invoke", "InvokeAsync", "InvokeWithResponseStream"}),
    "logs": frozenset({"PutLogEvents"}),
    "s3": frozenset(
        {"ListObjects", "ListObjectsV2", "ListObjectVersions", "ListParts", "ListMultipartUploads"}
    ),
}
# Lambda operations whose answer is a function configuration: logged with `environment: {}`.
_CONFIG_ANSWERS = frozenset(
    {"CreateFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration", "PublishVersion"}
)
_DROP_KEYS = frozenset({"zipFile", "secretAccessKey", "sessionToken", "password", "payload"})
_GLOBAL_SOURCES = {"iam": "us-east-1"}


def is_recorded(call: ApiCall) -> bool:
    """Whether CloudTrail logs this call as a management event."""
    if call.operation is None:
        return False
    if call.name in _NOT_LOGGED.get(call.service, frozenset()):
        return False
    # S3 object-level calls are data events.
    return not (call.service == "s3" and "Key" in call.params)


def event_name(index: OperationIndex, call: ApiCall) -> str:
    """The eventName CloudTrail uses for this call."""
    if call.service != "lambda":
        return call.name
    model = index.model("lambda")
    uri = model.operation_model(call.name).http.get("requestUri", "") if model else ""
    version = uri.split("/")[1].replace("-", "") if uri.count("/") > 1 else ""
    if not version.isdigit() or version >= "20190101":
        return call.name
    return f"{call.name}{version}{'v2' if call.name in _LAMBDA_V2 else ''}"


def is_read_only(name: str) -> bool:
    """AWS's readOnly flag, from the operation's verb."""
    return name.startswith(_READ_PREFIXES)


def build_record(
    index: OperationIndex, call: ApiCall, caller: Caller, response: Response
) -> dict[str, Any]:
    """The CloudTrail record for a finished call, keys in the order AWS writes them."""
    read_only = is_read_only(call.name)
    failed = response.status >= 400
    service = call.invoked_by or call.via_service  # an AWS service acting for the account
    if call.invoked_by:  # as itself
        identity = {"type": "AWSService", "invokedBy": call.invoked_by}
    elif call.via_service:  # with the signer's credentials
        identity = {**caller.user_identity, "invokedBy": call.via_service}
    else:
        identity = caller.user_identity
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": identity,
        "eventTime": call.event_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": f"{call.service}.amazonaws.com",
        "eventName": event_name(index, call),
        "awsRegion": _GLOBAL_SOURCES.get(call.service, call.region),
        "sourceIPAddress": service or call.source_ip,
        "userAgent": service or call.user_agent,
    }
    if failed:
        code, message = error_code(response)
        # A denial logs as "AccessDenied" whatever code the service answered with.
        record["errorCode"] = response.extras.get("trail_error_code", code)
        record["errorMessage"] = message
    record["requestParameters"] = _request_parameters(call)
    record["responseElements"] = (
        None if read_only or failed else shape_parameters(_response_document(response)) or None
    )
    elements = record["responseElements"]
    if call.service == "lambda" and isinstance(elements, dict) and call.name in _CONFIG_ANSWERS:
        # Lambda logs a function configuration with its environment always present and empty.
        elements.setdefault("environment", {})
    request_id = response.header("x-amzn-RequestId") or response.header("x-amz-request-id")
    record |= {
        "requestID": request_id or str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": caller.account_id,
        "eventCategory": "Management",
    }
    if not service:  # a service's calls carry no client TLS details
        record["tlsDetails"] = {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{call.service}.{call.region}.amazonaws.com",
        }
    return record


def resources_of(call: ApiCall) -> list[dict[str, str]]:
    """LookupEvents' `Resources` for a call: the named resources it addressed."""
    found = []
    for member, resource_type in _RESOURCE_MEMBERS:
        value = call.params.get(member)
        if isinstance(value, str) and value:
            found.append({"ResourceType": resource_type, "ResourceName": value})
    return found


_RESOURCE_MEMBERS = (
    ("FunctionName", "AWS::Lambda::Function"),
    ("LayerName", "AWS::Lambda::LayerVersion"),
    ("Bucket", "AWS::S3::Bucket"),
    ("UserName", "AWS::IAM::User"),
    ("RoleName", "AWS::IAM::Role"),
    ("PolicyArn", "AWS::IAM::Policy"),
    ("RoleArn", "AWS::IAM::Role"),
    ("logGroupName", "AWS::Logs::LogGroup"),
    ("Name", "AWS::CloudTrail::Trail"),
)


def _request_parameters(call: ApiCall) -> dict[str, Any] | None:
    shaped = shape_parameters(call.params)
    if call.service == "lambda" and call.name == "UpdateFunctionConfiguration":
        # Lambda logs `environment: {}` whether or not the request changed it.
        shaped.setdefault("environment", {})
    if call.service == "s3" and "bucket" in shaped:
        # S3 logs the bucket as `bucketName`, with the virtual-host name the client used.
        bucket = shaped.pop("bucket")
        shaped = {"bucketName": bucket, "Host": f"{bucket}.s3.{call.region}.amazonaws.com"} | shaped
    return shaped or None


def shape_parameters(value: Any) -> Any:
    """lowerCamelCase keys, code and secrets dropped, environment variables hidden."""
    if isinstance(value, dict):
        shaped: dict[str, Any] = {}
        for key, item in value.items():
            name = key[:1].lower() + key[1:] if isinstance(key, str) else key
            if name in _DROP_KEYS:
                continue
            shaped[name] = {} if name == "environment" else shape_parameters(item)
        return shaped
    if isinstance(value, list):
        return [shape_parameters(item) for item in value]
    return value


def _response_document(response: Response) -> Any:
    document = response.json()
    if document is not None:
        return document
    if response.body.lstrip().startswith(b"<"):
        try:
            root = ET.fromstring(response.body)  # noqa: S314 - moto's own XML, not input
        except ET.ParseError:
            return None
        result = next((el for el in root.iter() if _local(el.tag).endswith("Result")), None)
        return _xml_to_dict(result) if result is not None else None
    return None


def _xml_to_dict(element: ET.Element) -> Any:
    children = list(element)
    if not children:
        return element.text
    if all(_local(child.tag) == "member" for child in children):
        return [_xml_to_dict(child) for child in children]
    return {_local(child.tag): _xml_to_dict(child) for child in children}


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]
