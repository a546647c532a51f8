"""Blast radius: the Allow statements and attached policies of an execution role."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import orjson

from lambda_ir.evidence import Case
from lambda_ir.report.blast import broad_managed_policy, read_roles, role_arn

ACCOUNT = "111122223333"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
MANAGED = f"arn:aws:iam::{ACCOUNT}:policy/orders-data"


def _put(case: Case, path: str, body: object, api: str, params: dict[str, str]) -> None:
    case.put_json(path, body, kind="role-policy", api=api, params=params, account=ACCOUNT)


def test_roles_join_inline_attached_and_managed_documents(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "case")
    case.put_json(
        "raw/r/role.json",
        {"Role": {"RoleName": "exec", "Arn": "arn:exec"}},
        kind="role",
        api="iam:GetRole",
        params={"RoleName": "exec"},
        account=ACCOUNT,
    )
    encoded = urllib.parse.quote(
        orjson.dumps(
            {"Statement": {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}}
        )
    )
    _put(
        case,
        "raw/r/inline.json",
        {"RoleName": "exec", "PolicyName": "logs", "PolicyDocument": encoded},
        "iam:GetRolePolicy",
        {"RoleName": "exec", "PolicyName": "logs"},
    )
    _put(
        case,
        "raw/r/attached.json",
        {"AttachedPolicies": [{"PolicyArn": MANAGED}, {"PolicyArn": ADMIN}]},
        "iam:ListAttachedRolePolicies",
        {"RoleName": "exec"},
    )
    _put(
        case,
        "raw/r/managed.json",
        {
            "PolicyVersion": {
                "Document": {
                    "Statement": [
                        {"Effect": "Deny", "Action": "*", "Resource": "*"},
                        {
                            "Effect": "Allow",
                            "Action": ["dynamodb:*"],
                            "Resource": "arn:table",
                            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
                        },
                    ]
                }
            }
        },
        "iam:GetPolicyVersion",
        {"PolicyArn": MANAGED, "VersionId": "v1"},
    )
    role = read_roles(case)[role_arn(ACCOUNT, "exec")]
    assert role.arn == "arn:exec"
    assert role.attached == (MANAGED, ADMIN)
    assert [(g.policy, g.actions, g.dangerous, g.conditional) for g in role.grants] == [
        ("inline logs", ("logs:PutLogEvents",), False, False),
        ("orders-data", ("dynamodb:*",), True, True),
    ]
    assert broad_managed_policy(ADMIN) and not broad_managed_policy(MANAGED)
