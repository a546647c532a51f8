"""A boto3 session on an assumed role whose keys renew themselves before they expire.

sts:AssumeRole keys end at their `Expiration` (1 hour after issue unless `DurationSeconds`
says otherwise), and AWS refuses them afterwards (`ExpiredToken`). `refreshing_session` makes
the first AssumeRole at once (its failure is the caller's to report) and gives the keys to
botocore as `RefreshableCredentials`: once they are within 15 minutes of expiry (botocore's
advisory window; 10 minutes is mandatory), the next request made with them first calls
AssumeRole again, under botocore's lock, so one renewal serves every thread using them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import datetime
from typing import Any

import boto3
import botocore.session
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials

from lambda_ir.aws import call


def refreshing_session(
    sts: Any,
    params: dict[str, Any],
    region: str,
    on_refresh: Callable[[], None] | None = None,
    loader: Any = None,
) -> boto3.Session:
    """A session on the role AssumeRole(`params`) gives; renewed through `sts` before expiry.

    `loader` is a botocore data loader to share (the caller's session's): service models are
    then read from disk and parsed once per run, not once per account (a fresh session lists
    every service folder and loads each model again: ~15 ms of CPU per client).
    """

    def fetch() -> dict[str, str]:
        credentials = call(sts, "AssumeRole", params)["Credentials"]
        expiration = credentials["Expiration"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": (
                expiration.isoformat() if isinstance(expiration, datetime) else str(expiration)
            ),
        }

    def refresh() -> dict[str, str]:
        fetched = fetch()
        if on_refresh is not None:
            # botocore puts the keys in place when this returns: a failed log line (a full
            # disk) must not throw working keys away and fail every call after.
            try:
                on_refresh()
            except Exception as exc:
                warnings.warn(
                    f"the role's keys were renewed, but recording it failed: {exc}",
                    RuntimeWarning,
                    stacklevel=2,
                )
        return fetched

    keys = RefreshableCredentials.create_from_metadata(fetch(), refresh, "sts-assume-role")
    core = botocore.session.Session()
    core.register_component("credential_provider", CredentialResolver([_Assumed(keys)]))
    session = boto3.Session(botocore_session=core, region_name=region)
    if loader is not None:  # after boto3's own setup, which appends its path to the loader
        core.register_component("data_loader", loader)
    return session


class _Assumed(CredentialProvider):  # type: ignore[misc]  # botocore ships no type hints
    """botocore's credential chain with one link: the role's refreshable keys."""

    METHOD = "lambda-ir-assume-role"

    def __init__(self, keys: RefreshableCredentials) -> None:
        super().__init__()
        self._keys = keys

    def load(self) -> RefreshableCredentials:
        return self._keys
