"""CloudTrail records as Amazon Security Lake keeps them: OCSF 1.1 API Activity (class 6003).

Security Lake (AWS source version 2.0) stores CloudTrail management events as OCSF 1.1 in
Parquet, in the Glue table `amazon_security_lake_table_<region>_cloud_trail_mgmt_2_0` of the
database `amazon_security_lake_glue_db_<region>` (region with `_`; `security_lake_schema`).
`FIELDS` is the one mapping, CloudTrail field ↔ OCSF attribute, taken from AWS's Security
Lake query examples (`api.operation`, `api.service.name`, `api.response.error`,
`api.request.data`, `actor.user.uid` = the ARN, `actor.user.uid_alt`,
`actor.user.credential_uid`, `src_endpoint.ip`, `http_request.user_agent`, `cloud.region`,
`time_dt`) and OCSF 1.1's API Activity class (`metadata.uid`, `metadata.event_code`,
`metadata.product.feature.name`, `cloud.account.uid`, `actor.session.issuer`/`is_mfa`/
`created_time`, `actor.invoked_by`, `tls`), checked against OpenSearch security-analytics'
CloudTrail → OCSF 1.1 field table, not against a real lake's rows. What OCSF has no attribute
for goes into `unmapped` (map<string,string>) under its CloudTrail path (`readOnly`,
`additionalEventData`, the session issuer's type, name and ids…).

`ocsf_event` makes the row (the emulator writes Security Lake's Parquet with it);
`record_of_ocsf` turns a selected row back into a CloudTrail record. Not recoverable from
OCSF: fields neither mapped nor in `unmapped` (`webIdFederationData`, `onBehalfOf`,
`edgeDeviceDetails`, `addendum`, `insightDetails`), `resources[].ARNPrefix`, and the JSON
types of values inside `unmapped` (all text; `readOnly` is turned back into a boolean); a
non-IP `sourceIPAddress` (`lambda.amazonaws.com`) is `src_endpoint.domain`; times come back to
the millisecond.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lambda_ir.hunt.security_lake_schema import COLUMNS

CLASS_UID = 6003
FIELDS: tuple[tuple[str, str], ...] = (
    ("eventVersion", "metadata.product.version"),
    ("eventID", "metadata.uid"),
    ("eventType", "metadata.event_code"),
    ("eventCategory", "metadata.product.feature.name"),
    ("eventSource", "api.service.name"),
    ("eventName", "api.operation"),
    ("apiVersion", "api.version"),
    ("requestID", "api.request.uid"),
    ("errorCode", "api.response.error"),
    ("errorMessage", "api.response.message"),
    ("awsRegion", "cloud.region"),
    ("recipientAccountId", "cloud.account.uid"),
    ("userAgent", "http_request.user_agent"),
    ("vpcEndpointId", "src_endpoint.uid"),
    ("userIdentity.type", "actor.user.type"),
    ("userIdentity.principalId", "actor.user.uid_alt"),
    ("userIdentity.arn", "actor.user.uid"),
    ("userIdentity.accountId", "actor.user.account.uid"),
    ("userIdentity.accessKeyId", "actor.user.credential_uid"),
    ("userIdentity.userName", "actor.user.name"),
    ("userIdentity.invokedBy", "actor.invoked_by"),
    ("userIdentity.identityProvider", "actor.idp.name"),
    ("userIdentity.sessionContext.sessionIssuer.arn", "actor.session.issuer"),
    ("tlsDetails.tlsVersion", "tls.version"),
    ("tlsDetails.cipherSuite", "tls.cipher"),
)
JSON_FIELDS = (("requestParameters", "api.request.data"), ("responseElements", "api.response.data"))
UNMAPPED = (
    "readOnly",
    "managementEvent",
    "sharedEventID",
    "additionalEventData",
    "serviceEventDetails",
    "userIdentity.sessionContext.sessionIssuer.type",
    "userIdentity.sessionContext.sessionIssuer.principalId",
    "userIdentity.sessionContext.sessionIssuer.accountId",
    "userIdentity.sessionContext.sessionIssuer.userName",
    "userIdentity.sessionContext.sourceIdentity",
    "userIdentity.sessionContext.ec2RoleDelivery",
    "tlsDetails.clientProvidedHostHeader",
)
_CONSTANT = (
    ("metadata.product.name", "CloudTrail"),
    ("metadata.product.vendor_name", "AWS"),
    ("metadata.profiles", ["cloud", "datetime"]),
    ("metadata.version", "1.1.0"),
    ("cloud.provider", "AWS"),
)
_ACTIVITIES: tuple[tuple[str, int], ...] = (
    ("Create", 1),
    ("Put", 1),
    ("Add", 1),
    ("Get", 2),
    ("List", 2),
    ("Describe", 2),
    ("Update", 3),
    ("Delete", 4),
    ("Remove", 4),
)


def ocsf_event(record: Mapping[str, Any]) -> dict[str, Any]:
    """The OCSF 1.1 API Activity row of one CloudTrail record (JSON-ready; `time_dt` as text)."""
    event: dict[str, Any] = {}
    for field, attribute in FIELDS:
        _put(event, attribute, _text(_get(record, field)))
    for field, attribute in JSON_FIELDS:
        if (value := record.get(field)) is not None:
            _put(event, attribute, json.dumps(value, separators=(",", ":")))
    moment = _parse(str(record.get("eventTime") or "1970-01-01T00:00:00Z"))
    event["time"] = int(moment.timestamp() * 1000)
    event["time_dt"] = moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    source = str(record.get("sourceIPAddress") or "")
    _put(event, "src_endpoint.ip" if _is_ip(source) else "src_endpoint.domain", source or None)
    attributes = _get(record, "userIdentity.sessionContext.attributes") or {}
    if created := attributes.get("creationDate"):
        _put(event, "actor.session.created_time", int(_parse(str(created)).timestamp() * 1000))
    if (mfa := attributes.get("mfaAuthenticated")) is not None:
        _put(event, "actor.session.is_mfa", str(mfa).lower() == "true")
    event["resources"] = [
        {
            "uid": r.get("ARN"),
            "type": r.get("type"),
            "owner": {"account": {"uid": r.get("accountId")}},
        }
        for r in record.get("resources") or []
        if isinstance(r, Mapping)
    ] or None
    unmapped = {key: _text(value) for key in UNMAPPED if (value := _get(record, key)) is not None}
    name = str(record.get("eventName") or "")
    activity = next((a for p, a in _ACTIVITIES if name.startswith(p)), 99)
    failed = record.get("errorCode") is not None
    for attribute, value in _CONSTANT:
        _put(event, attribute, value)
    return event | {
        "class_name": "API Activity",
        "class_uid": CLASS_UID,
        "category_name": "Application Activity",
        "category_uid": 6,
        "activity_id": activity,
        "activity_name": {1: "Create", 2: "Read", 3: "Update", 4: "Delete"}.get(activity, "Other"),
        "type_uid": CLASS_UID * 100 + activity,
        "type_name": f"API Activity: {name}",
        "severity": "Informational",
        "severity_id": 1,
        "status": "Failure" if failed else "Success",
        "status_id": 2 if failed else 1,
        "unmapped": unmapped or None,
    }


def record_of_ocsf(row: Mapping[str, str | None]) -> dict[str, Any]:
    """The CloudTrail record of a selected row (struct, array and map columns as JSON text)."""
    event = {name: _loads(row.get(name)) for name, _ in COLUMNS}
    record: dict[str, Any] = {}
    for field, attribute in FIELDS:
        _put(record, field, _pick(event, attribute))
    for field, attribute in JSON_FIELDS:
        if (text := _pick(event, attribute)) is not None:
            _put(record, field, _loads(str(text)))
    if event.get("time") is not None:
        moment = datetime.fromtimestamp(int(event["time"]) / 1000, UTC)
        record["eventTime"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    _put(
        record,
        "sourceIPAddress",
        _pick(event, "src_endpoint.ip") or _pick(event, "src_endpoint.domain"),
    )
    for key, value in (event.get("unmapped") or {}).items():
        if key in UNMAPPED and value is not None:
            _put(record, key, _unmapped_value(key, str(value)))
    attributes = "userIdentity.sessionContext.attributes"
    if (created := _pick(event, "actor.session.created_time")) is not None:
        moment = datetime.fromtimestamp(int(created) / 1000, UTC)
        _put(record, f"{attributes}.creationDate", moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
    if (mfa := _pick(event, "actor.session.is_mfa")) is not None:
        _put(record, f"{attributes}.mfaAuthenticated", "true" if mfa else "false")
    resources = [
        {"accountId": _pick(r, "owner.account.uid"), "type": r.get("type"), "ARN": r.get("uid")}
        for r in event.get("resources") or []
        if isinstance(r, Mapping)
    ]
    if resources:
        record["resources"] = [{k: v for k, v in r.items() if v is not None} for r in resources]
    record.setdefault("recipientAccountId", row.get("accountid"))
    record.setdefault("awsRegion", row.get("region"))
    return {k: v for k, v in record.items() if v is not None}


def _unmapped_value(key: str, text: str) -> Any:
    if key in ("readOnly", "managementEvent"):
        return {"true": True, "false": False}.get(text, text)
    if key in ("additionalEventData", "serviceEventDetails"):
        return _loads(text)
    return text


def _get(document: Mapping[str, Any], path: str) -> Any:
    value: Any = document
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _pick(document: Any, path: str) -> Any:
    return _get(document, path) if isinstance(document, Mapping) else None


def _put(document: dict[str, Any], path: str, value: Any) -> None:
    if value is None:
        return
    *parents, last = path.split(".")
    for key in parents:
        document = document.setdefault(key, {})
    document[last] = value


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
