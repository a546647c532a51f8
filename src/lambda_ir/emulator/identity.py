"""Who made a call: CloudTrail's `userIdentity`, resolved from the SigV4 access key.

Keys of IAM users resolve to `IAMUser`; keys from `sts:AssumeRole` resolve to `AssumedRole`
with `sessionContext.sessionIssuer`; keys made by `root_credentials` resolve to `Root`.
Unknown keys (boto3's `testing`, anything else) are treated as the emulator's administrator,
the IAM user `emulator-admin` in 123456789012, which `ensure_admin` creates at start and
after every reset. The emulator never rejects a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.iam.models import AccessKey, iam_backends
from moto.sts.models import sts_backends

from lambda_ir.emulator.sts_issue import ISSUED

ADMIN_USER = "emulator-admin"
PARTITION = "aws"


@dataclass(frozen=True)
class Caller:
    """The resolved principal: its account and the CloudTrail userIdentity object."""

    account_id: str
    user_identity: dict[str, Any]
    user_name: str


def ensure_admin(account_id: str = DEFAULT_ACCOUNT_ID) -> Any:
    """Create (once) and return the IAM user that unknown access keys act as."""
    iam = iam_backends[account_id][PARTITION]
    if ADMIN_USER not in iam.users:
        iam.create_user(region_name="us-east-1", user_name=ADMIN_USER)
    return iam.users[ADMIN_USER]


def root_credentials(account_id: str = DEFAULT_ACCOUNT_ID) -> tuple[str, str]:
    """A long-term access key of the account's root user: (access key id, secret).

    moto has no root user; the key is registered in moto IAM without a user, so moto puts
    the calls in `account_id` and CloudTrail shows `userIdentity.type` "Root".
    """
    iam = iam_backends[account_id][PARTITION]
    key = AccessKey(user_name=None, prefix="AKIA", account_id=account_id)  # type: ignore[abstract]
    iam.access_keys[key.access_key_id] = key
    return key.access_key_id, key.secret_access_key


def resolve_caller(access_key_id: str, region: str) -> Caller:
    """The principal behind `access_key_id`; the emulator admin when the key is unknown."""
    for account_id, partitions in list(iam_backends.items()):
        iam = partitions[PARTITION]
        key = iam.access_keys.get(access_key_id)
        if key is None:
            continue
        if key.role_arn:
            return _assumed_role(account_id, access_key_id, key.role_arn)
        if key.user_name and key.user_name in iam.users:
            return _iam_user(account_id, access_key_id, iam.users[key.user_name])
        if key.user_name is None and access_key_id.startswith("AKIA"):
            return _root(account_id, access_key_id)
    admin = ensure_admin()
    return _iam_user(DEFAULT_ACCOUNT_ID, access_key_id, admin)


def _root(account_id: str, access_key_id: str) -> Caller:
    identity = {
        "type": "Root",
        "principalId": account_id,
        "arn": f"arn:{PARTITION}:iam::{account_id}:root",
        "accountId": account_id,
        "accessKeyId": access_key_id,
    }
    return Caller(account_id, identity, "root")


def _iam_user(account_id: str, access_key_id: str, user: Any) -> Caller:
    identity = {
        "type": "IAMUser",
        "principalId": user.id,
        "arn": user.arn,
        "accountId": account_id,
        "accessKeyId": access_key_id,
        "userName": user.name,
    }
    return Caller(account_id, identity, user.name)


def _assumed_role(account_id: str, access_key_id: str, role_arn: str) -> Caller:
    session = sts_backends[account_id][PARTITION].get_assumed_role_from_access_key(access_key_id)
    role_name = role_arn.rsplit("/", 1)[-1]
    iam = iam_backends[account_id][PARTITION]
    role = next((r for r in iam.roles.values() if r.arn == role_arn), None)
    role_id = role.id if role is not None else "AROA" + access_key_id[4:20]
    session_name = session.session_name if session is not None else access_key_id
    issuer = {
        "type": "Role",
        "principalId": role_id,
        "arn": role_arn,
        "accountId": account_id,
        "userName": role_name,
    }
    identity = {
        "type": "AssumedRole",
        "principalId": f"{role_id}:{session_name}",
        "arn": f"arn:{PARTITION}:sts::{account_id}:assumed-role/{role_name}/{session_name}",
        "accountId": account_id,
        "accessKeyId": access_key_id,
        "sessionContext": {
            "sessionIssuer": issuer,
            "webIdFederationData": {},
            "attributes": {
                "creationDate": _creation(session),
                "mfaAuthenticated": "false",
            },
        },
    }
    return Caller(account_id, identity, session_name)


def _creation(session: Any) -> str:
    """The session's issue time as AWS shows it: as the gateway noted it (`sts_issue`), else
    an hour before moto's expiry (its default duration)."""
    if session is None:
        return ""
    issued = getattr(session, ISSUED, None)
    if issued is None:
        issued = session.expiration - timedelta(hours=1)
    return str(issued.strftime("%Y-%m-%dT%H:%M:%SZ"))
