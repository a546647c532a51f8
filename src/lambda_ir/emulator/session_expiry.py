"""Temporary credentials end at their Expiration: a request signed with them after it is refused.

moto issues sts:AssumeRole sessions with an `Expiration` (`DurationSeconds`, 1 hour by
default) but accepts their keys forever. AWS does not: a request whose session token has
expired is refused before anything happens (and is not in CloudTrail), each service in its
own protocol: `ExpiredToken` for the query protocols (IAM, STS, EC2; HTTP 403) and for S3
(HTTP 400), `ExpiredTokenException` for Lambda (HTTP 403) and the JSON services (HTTP 400).
The time compared is the emulator's idea of AWS's (`Gateway.aws_now`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from moto.sts.models import sts_backends

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response, json_error, json_response
from lambda_ir.emulator.identity import PARTITION

MESSAGE = "The security token included in the request is expired"


def expiry_of(account_id: str, access_key_id: str) -> datetime | None:
    """When the assumed-role session of `access_key_id` ends; None for long-term keys."""
    if not access_key_id.startswith("ASIA"):
        return None
    session = sts_backends[account_id][PARTITION].get_assumed_role_from_access_key(access_key_id)
    if session is None:
        return None
    expiration: datetime = session.expiration
    return expiration.replace(tzinfo=UTC) if expiration.tzinfo is None else expiration


def check_session_expiry(call: ApiCall, account_id: str, aws_now: datetime) -> Response | None:
    """The service's refusal when the call's temporary credentials have expired, else None."""
    expires = expiry_of(account_id, call.access_key_id or "")
    if expires is None or aws_now < expires:
        return None
    if call.service == "lambda":
        response = json_response({"message": MESSAGE}, 403)
        return replace(
            response, headers=(*response.headers, ("x-amzn-ErrorType", "ExpiredTokenException"))
        )
    if call.service in ("iam", "sts", "ec2", "s3"):
        message = "The provided token has expired." if call.service == "s3" else MESSAGE
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code>"
            f"<Message>{message}</Message></Error><RequestId>0</RequestId></ErrorResponse>"
        )
        if call.service == "s3":
            body = f"<Error><Code>ExpiredToken</Code><Message>{message}</Message></Error>"
        status = 400 if call.service == "s3" else 403
        return Response(status, (("Content-Type", "text/xml"),), body.encode())
    return json_error("ExpiredTokenException", MESSAGE)
