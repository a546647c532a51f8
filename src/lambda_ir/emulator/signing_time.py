"""AWS's clock and the signature-time check: a request signed too far from AWS's time is refused.

AWS refuses a Signature Version 4 request whose `X-Amz-Date` is more than 5 minutes from its
own clock ("Signature expired" / "Signature not yet current"), and S3 one more than 15 minutes
off (`RequestTimeTooSkewed`). Each service says so in its own protocol. The emulator keeps
its own idea of AWS's time, the machine's clock plus `clock_offset` (0 unless a test sets it),
so a test can play a responder's laptop whose clock is behind or ahead of AWS's.
Presigned URLs (`X-Amz-Date` in the query) are checked by their expiry elsewhere, not here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response, json_error, json_response

SIGNATURE_WINDOW = timedelta(minutes=5)
S3_WINDOW = timedelta(minutes=15)
_STAMP = "%Y%m%dT%H%M%SZ"


def check_signing_time(call: ApiCall, aws_now: datetime) -> Response | None:
    """The service's refusal when the request's signing time is outside AWS's window."""
    stamp = call.headers.get("x-amz-date", "")
    try:
        signed = datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None  # unsigned by header (presigned, or no date): not this check's business
    if call.service == "s3":
        if abs(signed - aws_now) <= S3_WINDOW:
            return None
        return _s3_too_skewed(signed, aws_now)
    if signed < aws_now - SIGNATURE_WINDOW:
        earliest = aws_now - SIGNATURE_WINDOW
        message = (
            f"Signature expired: {signed:{_STAMP}} is now earlier than {earliest:{_STAMP}} "
            f"({aws_now:{_STAMP}} - 5 min.)"
        )
    elif signed > aws_now + SIGNATURE_WINDOW:
        latest = aws_now + SIGNATURE_WINDOW
        message = (
            f"Signature not yet current: {signed:{_STAMP}} is still later than "
            f"{latest:{_STAMP}} ({aws_now:{_STAMP}} + 5 min.)"
        )
    else:
        return None
    return _refusal(call.service, message)


def _refusal(service: str, message: str) -> Response:
    """InvalidSignatureException (JSON protocols) or SignatureDoesNotMatch (query protocols)."""
    if service == "lambda":  # REST-JSON: HTTP 403, the code in x-amzn-ErrorType
        response = json_response({"message": message}, 403)
        return replace(
            response,
            headers=(*response.headers, ("x-amzn-ErrorType", "InvalidSignatureException")),
        )
    if service in ("iam", "sts", "ec2"):
        body = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>"
            f"<Message>{escape(message)}</Message></Error><RequestId>0</RequestId></ErrorResponse>"
        ).encode()
        return Response(403, (("Content-Type", "text/xml"),), body)
    return json_error("InvalidSignatureException", message)


def _s3_too_skewed(signed: datetime, aws_now: datetime) -> Response:
    body = (
        "<Error><Code>RequestTimeTooSkewed</Code>"
        "<Message>The difference between the request time and the current time is too large."
        f"</Message><RequestTime>{signed:{_STAMP}}</RequestTime>"
        f"<ServerTime>{aws_now:%Y-%m-%dT%H:%M:%SZ}</ServerTime>"
        f"<MaxAllowedSkewMilliseconds>{int(S3_WINDOW.total_seconds() * 1000)}"
        "</MaxAllowedSkewMilliseconds></Error>"
    ).encode()
    return Response(403, (("Content-Type", "application/xml"),), body)
