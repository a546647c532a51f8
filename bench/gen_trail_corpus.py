"""Generate a realistic CloudTrail corpus for the ingest benchmark (`bench/trail_ingest.py`).

Files are laid out as an organisation trail delivers them
(`AWSLogs/o-…/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_…json.gz`,
`{"Records": [...]}`, gzip level 6), with digest files beside them (which import must ignore)
and a mix of services and `requestParameters` shapes (schema drift), ~1.3 KB per event.

    .venv/bin/python bench/gen_trail_corpus.py OUT_DIR [--events 1000000] [--per-file 5000]
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import orjson

ORG = "o-a1b2c3d4e5"
ACCOUNTS = ("111122223333", "444455556666", "777788889999")
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
AGENTS = (
    "aws-cli/2.15.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.6 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe",
    "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#5.10 md/arch#x86_64 lang/python#3.12.1 "
    "md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.0",
    "terraform-provider-aws/5.31.0 (+https://registry.terraform.io) aws-sdk-go-v2/1.24.0",
    "lambda.amazonaws.com",
)


def _lambda_call(r: random.Random, account: str, region: str) -> tuple[str, str, Any, Any]:
    fn = f"svc-{r.randint(0, 400)}"
    arn = f"arn:aws:lambda:{region}:{account}:function:{fn}"
    name, params = r.choice(
        [
            ("GetFunction20150331v2", {"functionName": fn}),
            (
                "UpdateFunctionCode20150331v2",
                {
                    "functionName": arn,
                    "publish": True,
                    "dryRun": False,
                    "s3Bucket": "deploy-artifacts",
                    "s3Key": f"{fn}/build-{r.randint(1, 999)}.zip",
                },
            ),
            (
                "AddPermission20150331v2",
                {
                    "functionName": fn,
                    "statementId": f"s{r.randint(1, 99)}",
                    "action": "lambda:InvokeFunction",
                    "principal": r.choice(["*", "s3.amazonaws.com"]),
                },
            ),
            (
                "UpdateFunctionConfiguration20150331v2",
                {
                    "functionName": fn,
                    "environment": {"variables": "HIDDEN_DUE_TO_SECURITY_REASONS"},
                    "timeout": r.randint(3, 900),
                    "layers": [f"arn:aws:lambda:{region}:{account}:layer:deps:{r.randint(1, 9)}"],
                },
            ),
            ("ListFunctions20150331", {"functionVersion": "ALL"}),
            ("GetPolicy20150331v2", {"functionName": f"{arn}:live", "qualifier": "live"}),
            ("CreateFunctionUrlConfig20211031", {"functionName": fn, "authType": "NONE"}),
        ]
    )
    response = None
    if name.startswith(("Update", "Create")):
        response = {
            "functionArn": arn,
            "functionName": fn,
            "version": "$LATEST",
            "codeSha256": "y8wRAN0ZtaPYGkaoNerQs/IWyhKLw+0r83/d5fQPIaI=",
        }
    return "lambda.amazonaws.com", name, params, response


def _other_call(r: random.Random, account: str, region: str) -> tuple[str, str, Any, Any]:
    return r.choice(
        [
            (
                "sts.amazonaws.com",
                "AssumeRole",
                {
                    "roleArn": f"arn:aws:iam::{account}:role/r{r.randint(0, 30)}",
                    "roleSessionName": f"s{r.randint(0, 999)}",
                    "durationSeconds": 3600,
                },
                None,
            ),
            (
                "s3.amazonaws.com",
                "GetObject",
                {
                    "bucketName": "data",
                    "key": f"k/{r.randint(0, 10**6)}",
                    "Host": "data.s3.amazonaws.com",
                },
                None,
            ),
            (
                "ec2.amazonaws.com",
                "DescribeInstances",
                {
                    "instancesSet": {},
                    "filterSet": {
                        "items": [{"name": "tag:env", "valueSet": {"items": [{"value": "prod"}]}}]
                    },
                },
                None,
            ),
            (
                "iam.amazonaws.com",
                "AttachRolePolicy",
                {
                    "roleName": f"r{r.randint(0, 30)}",
                    "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
                },
                None,
            ),
            (
                "kms.amazonaws.com",
                "Decrypt",
                {
                    "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
                    "encryptionContext": {
                        "aws:lambda:FunctionArn": f"arn:aws:lambda:{region}:{account}:"
                        "function:svc-1"
                    },
                },
                None,
            ),
        ]
    )


def event(r: random.Random, account: str, region: str, day: int) -> dict[str, Any]:
    """One CloudTrail record: half Lambda management calls, half other services."""
    maker = _lambda_call if r.random() < 0.5 else _other_call
    source, name, params, response = maker(r, account, region)
    role = f"role{r.randint(0, 30)}"
    session = f"sess{r.randint(0, 999)}"
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": f"AROAEXAMPLE{r.randint(0, 99):02d}:{session}",
            "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
            "accountId": account,
            "accessKeyId": f"ASIA{r.randint(10**15, 10**16 - 1)}",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROAEXAMPLE",
                    "arn": f"arn:aws:iam::{account}:role/{role}",
                    "accountId": account,
                    "userName": role,
                },
                "attributes": {"creationDate": "2026-11-20T09:00:00Z", "mfaAuthenticated": "false"},
            },
        },
        "eventTime": f"2026-11-{day:02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:"
        f"{r.randint(0, 59):02d}Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": ".".join(str(r.randint(1, 223)) for _ in range(4)),
        "userAgent": r.choice(AGENTS),
        "requestParameters": params,
        "responseElements": response,
        "requestID": f"{r.getrandbits(128):032x}",
        "eventID": f"{r.getrandbits(128):032x}",
        "readOnly": name.startswith(("Get", "List", "Describe", "Decrypt")),
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{source.split('.')[0]}.{region}.amazonaws.com",
        },
    }


def write_file(job: tuple[str, int, int]) -> int:
    """Write one trail file (and its digest) and return its uncompressed size."""
    out, number, per_file = job
    r = random.Random(number)
    account, region = ACCOUNTS[number % len(ACCOUNTS)], REGIONS[(number // 3) % len(REGIONS)]
    day = 1 + number % 28
    folder = Path(out, "AWSLogs", ORG, account, "CloudTrail", region, "2026", "11", f"{day:02d}")
    folder.mkdir(parents=True, exist_ok=True)
    body = orjson.dumps({"Records": [event(r, account, region, day) for _ in range(per_file)]})
    stamp = f"202611{day:02d}T{number % 24:02d}{number % 60:02d}Z_{number:016x}"
    (folder / f"{account}_CloudTrail_{region}_{stamp}.json.gz").write_bytes(gzip.compress(body, 6))
    digest = Path(
        out, "AWSLogs", ORG, account, "CloudTrail-Digest", region, "2026", "11", f"{day:02d}"
    )
    digest.mkdir(parents=True, exist_ok=True)
    (digest / f"{account}_CloudTrail-Digest_{region}_{stamp}.json.gz").write_bytes(
        gzip.compress(orjson.dumps({"digestEndTime": "2026-11-20T10:00:00Z"}))
    )
    return len(body)


def generate(out: Path, events: int, per_file: int, workers: int | None = None) -> tuple[int, int]:
    """Write `events` records in files of `per_file`; returns (files, uncompressed bytes)."""
    files = max(1, events // per_file)
    jobs = [(str(out), n, per_file) for n in range(files)]
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
        sizes = list(pool.map(write_file, jobs, chunksize=4))
    return files, sum(sizes)


def corpus_parser(doc: str) -> argparse.ArgumentParser:
    """The command line of a benchmark on the corpus (`doc`: its module docstring): the
    corpus folder and how many events it holds when the benchmark generates it."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--events", type=int, default=1_000_000)
    return parser


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--per-file", type=int, default=5_000)
    args = parser.parse_args()
    start = time.perf_counter()
    files, size = generate(args.out, args.events, args.per_file)
    print(
        f"{files} files, {files * args.per_file} events, {size / 1e6:.0f} MB of JSON, "
        f"{time.perf_counter() - start:.1f} s"
    )


if __name__ == "__main__":
    main()
