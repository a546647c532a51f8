"""Entering an organisation's accounts: which ones (organizations:ListAccounts) and how
(sts:AssumeRole of one role name in each, keys refreshed before they expire).

Credentials are never stored or printed; the external id's value is not recorded either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from lambda_ir.acquire.org_session import refreshing_session
from lambda_ir.acquire.paths import account_root
from lambda_ir.aws import ClientFactory, call, pages
from lambda_ir.aws.clock import ClockSkewError, clock_refusal
from lambda_ir.evidence import Case
from lambda_ir.model import Kind

LIST_ACCOUNTS = "organizations:ListAccounts"
ASSUME_ROLE = "sts:AssumeRole"


@dataclass(frozen=True)
class OrgTarget:
    """Which accounts to enter and how: the role's name in each, its external id, the session.

    Empty `accounts` means every ACTIVE account Organizations lists (`--all-accounts`).
    """

    role_name: str
    accounts: tuple[str, ...] = ()
    external_id: str | None = None
    session_name: str = "lambda-ir"
    account_workers: int = 16

    def role_arn(self, account: str) -> str:
        """`arn:aws:iam::<account>:role/<role_name>` (a path in the name is kept)."""
        return f"arn:aws:iam::{account}:role/{self.role_name}"

    def to_json(self) -> dict[str, Any]:
        """What custody records: never the external id's value, only whether one was used."""
        return {
            "role_name": self.role_name,
            "accounts": list(self.accounts) or "all",
            "session_name": self.session_name,
            "external_id": self.external_id is not None,
        }


def member_accounts(case: Case, clients: ClientFactory, region: str) -> list[str]:
    """The organisation's ACTIVE accounts, from organizations:ListAccounts (each page stored
    under `raw/<management account>/global/organizations/`); a resumed case reads them back."""
    try:
        management = str(call(clients.client("sts", region), "GetCallerIdentity", {})["Account"])
    except ClientError as exc:  # no list, no accounts: a clock AWS refuses ends the run here
        refusal = clock_refusal(exc)
        if refusal is not None:
            raise ClockSkewError(refusal) from exc
        raise
    folder = f"{account_root(management, None)}/organizations"
    if not case.was_collected(LIST_ACCOUNTS, {}, management, None):
        client = clients.client("organizations", region)
        for number, page in enumerate(pages(client, "ListAccounts", {}), start=1):
            case.put_json(
                f"{folder}/list-accounts-{number:04d}.json",
                page,
                kind=Kind.ACCOUNT,
                api=LIST_ACCOUNTS,
                params={},
                account=management,
                region=None,
            )
    accounts: list[str] = []
    for entry in case.entries():
        if entry.api == LIST_ACCOUNTS and entry.path and entry.error is None:
            for account in case.read_json(entry.path).get("Accounts") or []:
                if account.get("Status", "ACTIVE") == "ACTIVE" and account["Id"] not in accounts:
                    accounts.append(str(account["Id"]))
    return sorted(accounts)


def assume(
    clients: ClientFactory,
    region: str,
    target: OrgTarget,
    account: str,
    on_refresh: Callable[[], None] | None = None,
) -> boto3.Session:
    """A session in `account` through sts:AssumeRole of `target.role_name` (temporary keys).

    The first AssumeRole happens here (its failure is the caller's: the account is a gap). The
    keys are botocore's `RefreshableCredentials`: when they come within 15 minutes of their
    Expiration (1 hour after issue, STS's default), the next call made with them assumes the
    role again first (`on_refresh` is told), so a collection longer than the session works.
    """
    params: dict[str, Any] = {
        "RoleArn": target.role_arn(account),
        "RoleSessionName": target.session_name,
    }
    if target.external_id is not None:
        params["ExternalId"] = target.external_id
    loader = clients.session._session.get_component("data_loader")  # the models, read once
    return refreshing_session(clients.client("sts", region), params, region, on_refresh, loader)
