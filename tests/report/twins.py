"""A case with one function name in three places, to prove nothing joins by name alone.

`image-resizer` lives in account A's us-east-1 (compromised: public URL, `Principal: "*"`,
weighted alias, dangerous role), account A's eu-west-1 (quiet: no URL, no policy, `live`
on version 1) and account B's us-east-1 (quiet, with a role of the same name as A's but
harmless). Each place has its own code, its own CloudTrail and its own collection gap.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import zstandard

from lambda_ir.evidence import Case
from lambda_ir.evidence.custody import read_entries
from lambda_ir.evidence.index import build_index
from lambda_ir.evidence.layout import CUSTODY
from lambda_ir.model import Actor, EvidenceRef, Finding, Severity
from tests.timeline.casebuilder import code_sha256, package

NAME = "image-resizer"
A, B = "111122223333", "444455556666"
HOT = (A, "us-east-1")  # the compromised one
QUIET_REGION = (A, "eu-west-1")
QUIET_ACCOUNT = (B, "us-east-1")
PLACES = (HOT, QUIET_REGION, QUIET_ACCOUNT)
MALLORY = f"arn:aws:iam::{A}:user/mallory"
ALICE = f"arn:aws:iam::{A}:user/alice"
BOB = f"arn:aws:iam::{B}:user/bob"
COLLECTOR = f"arn:aws:iam::{A}:user/ir-responder"
HOT_EVENT = "UpdateFunctionConfiguration20150331v2-0"  # the hot function's own call
HOT_URL = "https://hot.lambda-url.us-east-1.on.aws/"


def arn(place: tuple[str, str]) -> str:
    """The unqualified ARN of `image-resizer` in one place."""
    account, region = place
    return f"arn:aws:lambda:{region}:{account}:function:{NAME}"


@dataclass(frozen=True)
class Twins:
    case: Case


def build_twins(root: Path) -> Twins:
    """Write the case, its index and a findings.json about the hot function only."""
    case = Case.create(root, {"accounts": [A, B]}, caller="tester")
    for place in PLACES:
        _function(case, place)
    _role(case, A, {"Effect": "Allow", "Action": "iam:*", "Resource": "*"})
    _role(case, B, {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    # The collector's own run, in custody: its read calls then are its own (own_footprints)
    case.log("collect-started", {"scope": {"regions": ["us-east-1"]}})
    (*_, (_, _, started)) = read_entries(case.root / CUSTODY)
    assert started is not None
    _trail(case, started.time[:19] + "Z")
    case.log("collected", {})
    build_index(case)
    finding = Finding(
        id="LIR-POL-001:hot",
        detector="LIR-POL-001",
        title="Function invocable by anyone",
        severity=Severity.HIGH,
        resource=arn(HOT),
        account=A,
        region="us-east-1",
        summary='resource policy allows Principal "*"',
        evidence=(
            EvidenceRef(f"raw/{A}/us-east-1/policy.json", "0" * 64),
            EvidenceRef(f"trail/{A}/events.jsonl.zst", "0" * 64),
        ),
        details={"sid": "open", "event_id": HOT_EVENT},
        time="2026-11-28T22:16:00Z",
        actor=Actor(arn=MALLORY, access_key_id="AKIAMALLORY000000001", source_ip="203.0.113.7"),
    )
    case.write_derived("findings.json", orjson.dumps([finding.to_json()]))
    return Twins(case)


def _put(case: Case, place: tuple[str, str], name: str, body: Any, kind: str, api: str) -> None:
    account, region = place
    case.put_json(
        f"raw/{account}/{region}/{name}.json",
        body,
        kind=kind,
        api=api,
        params={"FunctionName": NAME},
        account=account,
        region=region,
    )


def _function(case: Case, place: tuple[str, str]) -> None:
    account, region = place
    hot = place == HOT
    v1, v2 = package(1), _second(place)
    base = {"FunctionName": NAME, "Runtime": "python3.12", "Handler": "app.handler"}
    base["Role"] = f"arn:aws:iam::{account}:role/resizer-exec"
    versions = [
        {**base, "Version": "1", "CodeSha256": code_sha256(v1), "LastModified": _t(place, 1)},
        {**base, "Version": "2", "CodeSha256": code_sha256(v2), "LastModified": _t(place, 2)},
        {**base, "Version": "$LATEST", "CodeSha256": code_sha256(v2), "LastModified": _t(place, 2)},
    ]
    _put(
        case,
        place,
        "versions",
        {"Versions": versions},
        "function-versions",
        "lambda:ListVersionsByFunction",
    )
    for number, data in (("1", v1), ("2", v2)):
        case.put_bytes(
            data,
            kind="code",
            api="lambda:GetFunction",
            params={"FunctionName": NAME, "Qualifier": number},
            account=account,
            region=region,
            meta={"code_sha256": code_sha256(data)},
        )
    alias: dict[str, Any] = {"Name": "live", "FunctionVersion": "2" if hot else "1"}
    alias["AliasArn"] = f"{arn(place)}:live"
    if hot:
        alias["RoutingConfig"] = {"AdditionalVersionWeights": {"1": 0.1}}
    _put(case, place, "aliases", {"Aliases": [alias]}, "alias", "lambda:ListAliases")
    if hot:
        statement = {"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "lambda:*"}
        policy = orjson.dumps({"Statement": [{**statement, "Resource": arn(place)}]}).decode()
        _put(case, place, "policy", {"Policy": policy}, "policy", "lambda:GetPolicy")
        urls = [{"FunctionUrl": HOT_URL, "AuthType": "NONE", "FunctionArn": arn(place)}]
        _put(
            case,
            place,
            "urls",
            {"FunctionUrlConfigs": urls},
            "url",
            "lambda:ListFunctionUrlConfigs",
        )
    case.record_error(
        kind="function-setting",
        api="lambda:GetFunctionConcurrency",
        account=account,
        region=region,
        params={"FunctionName": NAME},
        error=f"denied: AccessDeniedException: not authorized in {account}/{region}",
    )


def _second(place: tuple[str, str]) -> bytes:
    """Version 2's package: the miner in the hot place, a harmless edit elsewhere."""
    if place == HOT:
        return package(2)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("app.py", date_time=(2026, 11, 1, 9, 0, 0))
        archive.writestr(info, f"REGION = {place[1]!r}  # {place[0]}\n")
    return buffer.getvalue()


def _t(place: tuple[str, str], version: int) -> str:
    hour = 10 + PLACES.index(place) * 2 + version
    return f"2026-11-28T{hour:02d}:00:00.000+0000"


def _role(case: Case, account: str, statement: dict[str, Any]) -> None:
    role_arn = f"arn:aws:iam::{account}:role/resizer-exec"
    params = {"RoleName": "resizer-exec"}
    case.put_json(
        f"raw/{account}/global/iam/role.json",
        {"Role": {"RoleName": "resizer-exec", "Arn": role_arn}},
        kind="role",
        api="iam:GetRole",
        params=params,
        account=account,
    )
    case.put_json(
        f"raw/{account}/global/iam/inline.json",
        {
            "RoleName": "resizer-exec",
            "PolicyName": "p",
            "PolicyDocument": {"Statement": [statement]},
        },
        kind="role-policy",
        api="iam:GetRolePolicy",
        params={**params, "PolicyName": "p"},
        account=account,
    )


def _trail(case: Case, collected_at: str) -> None:
    """Each place's configuration call by its own actor, and its code upload with its hash;
    and one read call the collector made while it collected the case, at `collected_at`."""
    actors = {HOT: (MALLORY, "203.0.113.7"), QUIET_REGION: (ALICE, "198.51.100.1")}
    actors[QUIET_ACCOUNT] = (BOB, "198.51.100.2")
    records = []
    for number, place in enumerate(PLACES):
        account, region = place
        who, ip = actors[place]
        v2 = _second(place)
        for op, when, response in (
            ("UpdateFunctionConfiguration20150331v2", _t(place, 2)[:19] + "Z", None),
            ("UpdateFunctionCode20150331v2", _t(place, 2)[:19] + "Z", code_sha256(v2)),
        ):
            records.append(
                {
                    "eventVersion": "1.08",
                    "eventID": f"{op}-{number}",
                    "eventTime": when,
                    "eventSource": "lambda.amazonaws.com",
                    "eventName": op,
                    "awsRegion": region,
                    "recipientAccountId": account,
                    "sourceIPAddress": ip,
                    "userAgent": "aws-cli/2.15",
                    "userIdentity": {"type": "IAMUser", "arn": who, "accessKeyId": f"AKIA{number}"},
                    "requestParameters": {"functionName": NAME, "timeout": 30},
                    "responseElements": {"codeSha256": response} if response else None,
                }
            )
    records.append(
        {
            "eventVersion": "1.08",
            "eventID": "collector-1",
            "eventTime": collected_at,
            "eventSource": "lambda.amazonaws.com",
            "eventName": "ListFunctions20150331",
            "awsRegion": "us-east-1",
            "recipientAccountId": A,
            "sourceIPAddress": "198.51.100.9",
            "userIdentity": {"type": "IAMUser", "arn": COLLECTOR, "accessKeyId": "AKIACOLLECTOR"},
            "userAgent": "Boto3/1.35.0 md/Botocore#1.35.0 lambda-ir/0.1.0",
            "requestParameters": None,
            "responseElements": None,
        }
    )
    case.put_json(
        f"raw/{A}/global/sts/caller-identity.json",
        {"Account": A, "Arn": COLLECTOR, "UserId": "AIDACOLLECTOR"},
        kind="account",
        api="sts:GetCallerIdentity",
        params={},
        account=A,
    )
    body = b"".join(orjson.dumps(r) + b"\n" for r in records)
    case.put_bytes(
        zstandard.ZstdCompressor().compress(body),  # as collect and import-trail store it
        f"trail/{A}/events.jsonl.zst",
        kind="trail",
        api="cloudtrail:LookupEvents",
        params={},
        account=A,
        region="us-east-1",
    )
