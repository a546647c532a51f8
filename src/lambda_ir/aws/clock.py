"""This machine's clock against AWS's: measured once per run, and AWS's refusals explained.

A responder's laptop may keep the wrong time. AWS refuses a request signed more than 5
minutes from its own clock (15 for S3), so a large skew stops everything: we then say so in
one line, with the skew, instead of recording hundreds of failed calls. A small skew is
accepted by AWS but moves the open end of the window: with the machine's clock behind, the
newest events look "from the future" and a window ending at the machine's `now` would leave
them out. So a run measures AWS's time from the `Date` header of its first response and ends
an open window at AWS's time, not the machine's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

SKEW_WORTH_SAYING = timedelta(seconds=30)
_REFUSAL_CODES = frozenset(
    {"InvalidSignatureException", "SignatureDoesNotMatch", "RequestTimeTooSkewed", "AuthFailure"}
)
_STAMP = re.compile(r"\d{8}T\d{6}Z")
# The check is one call: no retries, short timeouts (an unreachable endpoint is the command's
# to report, not this check's to wait on).
_QUICK = Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=3, read_timeout=10)


class ClockSkewError(RuntimeError):
    """AWS refused a request because this machine's clock is too far from AWS's."""


@dataclass(frozen=True)
class ClockReading:
    """AWS's clock minus this machine's, as one response's `Date` header showed it (±1 s)."""

    skew: timedelta

    def aws_now(self, local_now: datetime | None = None) -> datetime:
        """AWS's time now, by this machine's clock corrected for the skew."""
        return (local_now or datetime.now(UTC)) + self.skew

    @property
    def worth_saying(self) -> bool:
        """True when the skew is larger than the Date header's own one-second resolution."""
        return abs(self.skew) >= SKEW_WORTH_SAYING

    def describe(self) -> str:
        """`2 h 0 min behind AWS` / `45 s ahead of AWS`."""
        return (
            f"{_duration(abs(self.skew))} {'behind' if self.skew > timedelta() else 'ahead of'} AWS"
        )


def reading_from_response(
    response: dict[str, Any], sent: datetime, received: datetime
) -> ClockReading | None:
    """The skew a boto3 response shows: its `Date` header against the request's midpoint."""
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    date = headers.get("date") if isinstance(headers, dict) else None
    if not date:
        return None
    try:
        aws_time = parsedate_to_datetime(str(date))
    except (TypeError, ValueError):
        return None
    if aws_time.tzinfo is None:
        aws_time = aws_time.replace(tzinfo=UTC)
    # The header has whole seconds, truncated: half a second is its expected error.
    midpoint = sent + (received - sent) / 2 - timedelta(milliseconds=500)
    return ClockReading(aws_time - midpoint)


def clock_refusal(exc: BaseException) -> str | None:
    """One line for a refusal caused by this machine's clock, or None for any other error."""
    how_far = _how_far(exc)
    if how_far is None:
        return None
    return (
        f"AWS refused the request's time: this machine's clock is {how_far} "
        "(AWS accepts 5 minutes). Set the clock right, for example `sudo timedatectl set-ntp "
        "true`, and run again."
    )


def clock_gap(exc: BaseException) -> str | None:
    """A short reason (`clock 2 h 0 min behind AWS`) for a clock refusal, else None: where
    one account's refusal is a gap in a larger run, not its end."""
    how_far = _how_far(exc)
    return None if how_far is None else f"clock {how_far}"


def check_clock(session: Any, region: str, endpoint_url: str | None = None) -> ClockReading | None:
    """One sts:GetCallerIdentity before a command changes or reads anything: AWS's clock
    against this machine's, from the answer's `Date` header.

    Raises ClockSkewError (one line: how far off, what to do) when AWS refuses the call for
    this machine's clock; every later call would be refused too. Any other failure returns
    None and is left to the command, which reports it in its own terms.
    """
    kwargs: dict[str, Any] = {"region_name": region, "config": _QUICK}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    sent = datetime.now(UTC)
    try:
        response = session.client("sts", **kwargs).get_caller_identity()
    except (ClientError, BotoCoreError) as exc:
        refusal = clock_refusal(exc)
        if refusal is not None:
            raise ClockSkewError(refusal) from exc
        return None
    return reading_from_response(response, sent, datetime.now(UTC))


def _how_far(exc: BaseException) -> str | None:
    if not isinstance(exc, ClientError):
        return None
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    if code not in _REFUSAL_CODES:
        return None
    if "Signature expired" in message or "not yet current" in message:
        stamps = _STAMP.findall(message)  # signed, limit, AWS's time
        skew = _skew(stamps[0], stamps[-1]) if len(stamps) == 3 else None
    elif code == "RequestTimeTooSkewed":
        skew = _skew(str(error.get("RequestTime", "")), str(error.get("ServerTime", "")))
    else:
        return None
    return ClockReading(skew).describe() if skew is not None else "too far from AWS's time"


def _skew(signed: str, aws_time: str) -> timedelta | None:
    moments = []
    for text in (signed, aws_time):
        for shape in ("%Y%m%dT%H%M%SZ", "%Y-%m-%dT%H:%M:%SZ"):
            try:
                moments.append(datetime.strptime(text, shape))
                break
            except ValueError:
                continue
    return moments[1] - moments[0] if len(moments) == 2 else None


def _duration(span: timedelta) -> str:
    seconds = round(span.total_seconds())
    if seconds >= 3600:  # the stamps have whole seconds: 1 h 59 min 59 s reads as 2 h 0 min
        seconds = round(seconds / 60) * 60
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
