"""Refuse bad input before a case exists: regions, the time window, credentials, the endpoint.

Without these checks `--region mars-1` collected nothing and exited 0, `--since 99999999999d`
ended in OverflowError, an inverted window became 30 recorded API errors, and missing
credentials or a refused connection surfaced 14-21 s later as failed calls in a case folder
that held nothing else, and `--since 2030-01-01` (or `0d`) exited 0 with every LookupEvents
recorded as InvalidTimeRangeException. Each is now one line saying what to fix, before
anything is written.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import boto3
import click
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from lambda_ir.acquire.window import parse_when
from lambda_ir.aws.clock import clock_refusal
from lambda_ir.cli.ui import CommandError

# AWS region names: partition prefix, area, direction, number (us-east-1, us-gov-west-1,
# eu-central-2, cn-north-1, us-isob-east-1). Botocore's own list lags new regions, so the
# shape is checked, not membership.
_REGION = re.compile(r"^[a-z]{2}(-(gov|iso[a-z]?))?-[a-z]+-\d{1,2}$")
_REFUSED_CREDENTIALS = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "AuthFailure",
    }
)
_NO_CREDENTIALS = (
    "no AWS credentials found: set AWS_PROFILE (after `aws sso login`), or "
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role is attached"
)
_QUICK = Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=3, read_timeout=10)


def check_regions(regions: tuple[str, ...]) -> tuple[str, ...]:
    """Each `--region` must look like an AWS region (us-east-1); '' or mars-1 is refused."""
    for region in regions:
        if not _REGION.fullmatch(region):
            raise click.BadParameter(
                f"{region!r} is not an AWS region name (like us-east-1 or eu-west-2)",
                param_hint="--region",
            )
    return regions


def window(
    since: str | None, until: str | None, now: datetime | None = None
) -> tuple[str | None, str | None]:
    """`--since`/`--until` as UTC ISO-8601; an unreadable, impossible or empty window is
    refused: --since must be before --until, or before now when --until is not given (a
    future --since, or `0d`, is a window that cannot hold an event)."""
    now = now or datetime.now(UTC)
    # One reading of the clock for both ends and "now": `--since 0d` is now itself, never a
    # second earlier because the clock ticked between two readings.
    start, end = _when(since, "--since", now), _when(until, "--until", now)
    if start is None:
        return start, end
    if end is not None and _moment(end) <= _moment(start):
        raise click.BadParameter(
            f"{until!r} ({end}) is not after --since {since!r} ({start}): "
            "pass a later --until, or none (it defaults to now)",
            param_hint="--until",
        )
    present = parse_when("0s", now)
    if end is None and _moment(present) <= _moment(start):
        raise click.BadParameter(
            f"{since!r} ({start}) is not before now ({present}), so the window holds nothing: "
            "pass a time in the past, like 7d, 36h or a past date",
            param_hint="--since",
        )
    return start, end


def closed_window(since: str, until: str | None) -> tuple[datetime, datetime]:
    """`hunt`'s window, refused as `window` refuses, with both ends as times (no --until: now)."""
    now = datetime.now(UTC)
    window(since, until, now)
    return _moment(parse_when(since, now)), _moment(parse_when(until or "0s", now))


def check_access(session: boto3.Session, region: str) -> None:
    """One quick sts:GetCallerIdentity: missing or refused credentials and an unreachable
    endpoint become one line saying what to fix (no retries, a 3 s connect timeout)."""
    if session.get_credentials() is None:
        raise CommandError(_NO_CREDENTIALS)
    try:
        session.client("sts", region_name=region, config=_QUICK).get_caller_identity()
    except NoCredentialsError as exc:
        raise CommandError(_NO_CREDENTIALS) from exc
    except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError) as exc:
        raise CommandError(
            f"cannot reach AWS STS ({_endpoint(exc)}): check the network, the proxy, "
            "and AWS_ENDPOINT_URL if you set one"
        ) from exc
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _REFUSED_CREDENTIALS and clock_refusal(exc) is None:
            raise CommandError(
                f"AWS refused these credentials ({code}): renew them (`aws sso login`, "
                "`aws configure`) or choose another AWS_PROFILE"
            ) from exc
        # Anything else (a clock refusal, a denied call) the collector reports in its terms.
    except BotoCoreError as exc:
        raise CommandError(f"cannot use these AWS settings: {exc}") from exc


def when(text: str | None, option: str, now: datetime | None = None) -> str | None:
    """Another time option (`--baseline`) as UTC ISO-8601; an unreadable time is refused.
    Pass the `now` the window was read with, so `90d` and `1d` are counted from one moment."""
    return _when(text, option, now)


def _when(text: str | None, option: str, now: datetime | None = None) -> str | None:
    if text is None:
        return None
    try:
        return parse_when(text, now)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from exc
    except OverflowError as exc:
        raise click.BadParameter(
            f"{text!r} is too far from now to be a time (use 7d, 90d or a date)",
            param_hint=option,
        ) from exc


def _moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _endpoint(exc: BotoCoreError) -> str:
    kwargs = getattr(exc, "kwargs", {})
    return str(kwargs.get("endpoint_url") or kwargs.get("error") or exc)
