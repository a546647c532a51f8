"""sts:GetCallerIdentity answered from the same identity CloudTrail records.

moto answers unknown keys (boto3's `testing`) with a made-up `user/moto`, while the
emulator's CloudTrail attributes them to `emulator-admin`; the collector records
GetCallerIdentity in case.json, so both must name the same principal.
"""

from __future__ import annotations

import uuid
from xml.sax.saxutils import escape

from lambda_ir.emulator.http import Response
from lambda_ir.emulator.identity import Caller


def caller_identity(caller: Caller) -> Response:
    """The GetCallerIdentity response (query protocol, XML) for `caller`."""
    identity = caller.user_identity
    body = (
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        "<GetCallerIdentityResult>"
        f"<Arn>{escape(str(identity['arn']))}</Arn>"
        f"<UserId>{escape(str(identity['principalId']))}</UserId>"
        f"<Account>{escape(caller.account_id)}</Account>"
        "</GetCallerIdentityResult>"
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>"
    ).encode()
    return Response(200, (("Content-Type", "text/xml"), ("Content-Length", str(len(body)))), body)
