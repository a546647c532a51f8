"""CloudTrail Lake's SQL schema for CloudTrail events, and rows back into CloudTrail records.

`COLUMNS` is AWS's documented schema of a CloudTrail event data store (CloudTrail user
guide, "Supported SQL schemas for event data stores"): CloudTrail's field names in lower case,
`eventtime` a TIMESTAMP, `readonly` and `managementevent` BOOLEAN, `requestparameters`,
`responseelements`, `additionaleventdata` and `serviceeventdetails` map<string,string>,
`useridentity`, `resources` and `tlsdetails` structs. `lake_row` turns a CloudTrail record
into such a row (the emulator's event data stores hold them); a map's nested value is kept as
JSON text, a number or boolean as its text. `record_of_lake` turns a row selected by
`hunt.cloudtrail_lake` (structs and maps as JSON text, `eventtime` as ISO text) back into the
record. Not recoverable: the JSON types of values inside the maps (`"memorySize": "128"`); a
value that is the JSON text of an object or array is parsed back, so a string that held JSON
(AddPermission's `responseElements.statement`) comes back as the object; and
`sessionContext.attributes.creationDate` comes back to the second (a TIMESTAMP there).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lambda_ir.hunt.table import ArrayOf, Struct, record_of

S = "string"
MAP = "map<string,string>"
_ISSUER = Struct(tuple((n, S) for n in ("type", "principalid", "arn", "accountid", "username")))
USER_IDENTITY = Struct(
    (
        ("type", S),
        ("principalid", S),
        ("arn", S),
        ("accountid", S),
        ("accesskeyid", S),
        ("username", S),
        (
            "sessioncontext",
            Struct(
                (
                    (
                        "attributes",
                        Struct((("creationdate", "timestamp"), ("mfaauthenticated", S))),
                    ),
                    ("sessionissuer", _ISSUER),
                    (
                        "webidfederationdata",
                        Struct((("federatedprovider", S), ("attributes", MAP))),
                    ),
                    ("sourceidentity", S),
                    ("ec2roledelivery", S),
                    ("ec2issuedinvpc", S),
                )
            ),
        ),
        ("invokedby", S),
        ("identityprovider", S),
    )
)
COLUMNS: tuple[tuple[str, Any], ...] = (
    ("eventversion", S),
    ("useridentity", USER_IDENTITY),
    ("eventtime", "timestamp"),
    ("eventsource", S),
    ("eventname", S),
    ("awsregion", S),
    ("sourceipaddress", S),
    ("useragent", S),
    ("errorcode", S),
    ("errormessage", S),
    ("requestparameters", MAP),
    ("responseelements", MAP),
    ("additionaleventdata", MAP),
    ("requestid", S),
    ("eventid", S),
    ("readonly", "boolean"),
    (
        "resources",
        ArrayOf(Struct(tuple((n, S) for n in ("accountid", "type", "arn", "arnprefix")))),
    ),
    ("eventtype", S),
    ("apiversion", S),
    ("managementevent", "boolean"),
    ("recipientaccountid", S),
    ("sharedeventid", S),
    ("annotation", S),
    ("vpcendpointid", S),
    ("serviceeventdetails", MAP),
    ("addendum", MAP),
    ("edgedevicedetails", MAP),
    ("insightdetails", MAP),
    ("eventcategory", S),
    (
        "tlsdetails",
        Struct(tuple((n, S) for n in ("tlsversion", "ciphersuite", "clientprovidedhostheader"))),
    ),
    ("sessioncredentialfromconsole", S),
    ("eventjson", S),
    ("eventjsonchecksum", S),
)
MAPS = frozenset(name for name, kind in COLUMNS if kind == MAP)


def lake_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """The event data store row of one CloudTrail record (JSON-ready; times as text)."""
    row = {name: _shape(_get(record, name), kind) for name, kind in COLUMNS}
    row["eventjson"] = json.dumps(record, separators=(",", ":"))
    return {name: value for name, value in row.items() if value is not None}


def record_of_lake(row: Mapping[str, str | None]) -> dict[str, Any]:
    """The CloudTrail record of a selected row (see the module doc for what is lost)."""
    record = record_of(row)
    for field in ("requestParameters", "responseElements", "additionalEventData"):
        if isinstance(value := record.get(field), dict):
            record[field] = {k: _nested(v) for k, v in value.items()}
    if isinstance(record.get("serviceEventDetails"), dict):
        record["serviceEventDetails"] = {
            k: _nested(v) for k, v in record["serviceEventDetails"].items()
        }
    if (managed := row.get("managementevent")) is not None:
        record["managementEvent"] = managed == "true"
    attributes = (record.get("userIdentity") or {}).get("sessionContext", {}).get("attributes")
    if isinstance(attributes, dict) and isinstance(attributes.get("creationDate"), str):
        attributes["creationDate"] = _iso(attributes["creationDate"])
    return record


def _shape(value: Any, kind: Any) -> Any:
    if value is None:
        return None
    if isinstance(kind, Struct):
        if not isinstance(value, Mapping):
            return None
        fields = {n: _shape(_get(value, n), k) for n, k in kind.fields}
        return {n: v for n, v in fields.items() if v is not None} or None
    if isinstance(kind, ArrayOf):
        return [_shape(v, kind.element) for v in value] if isinstance(value, list) else None
    if kind == MAP:
        if not isinstance(value, Mapping):
            return None
        return {str(k): _text(v) for k, v in value.items() if v is not None}
    if kind == "timestamp":
        return _lake_time(str(value))
    if kind == "boolean":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    return _text(value)


def _get(document: Mapping[str, Any], name: str) -> Any:
    return next((v for k, v in document.items() if k.lower() == name), None)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))


def _nested(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _lake_time(text: str) -> str | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _iso(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
