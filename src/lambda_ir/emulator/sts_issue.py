"""When an assumed-role session was issued, as CloudTrail shows it
(`userIdentity.sessionContext.attributes.creationDate`, and `aws:TokenIssueTime`).

moto keeps only a session's expiry, and the emulator took the issue time as an hour before it:
right for the default duration only, and from this machine's clock, so a session a scenario
assumed last week (its `x-lambda-ir-event-time`) showed a creationDate after its own calls,
and a 15-minute session one 45 minutes before it was issued. The gateway notes the AssumeRole
call's event time on moto's session when moto answers; `identity` reads it back. The session
stays usable until moto's expiry (scenarios act with backdated sessions right away).
"""

from __future__ import annotations

import re
from datetime import datetime

from moto.sts.models import sts_backends

from lambda_ir.emulator.http import Response
from lambda_ir.emulator.iam_managed import get_account_id_from

PARTITION = "aws"
ISSUED = "lambda_ir_issued"  # the attribute on moto's AssumedRole that holds the issue time
_KEY = re.compile(rb"<AccessKeyId>(ASIA[A-Z0-9]+)</AccessKeyId>")


def note_issued(response: Response, issued: datetime) -> None:
    """Put the issue time on the session an AssumeRole `response` handed out."""
    if response.status != 200:
        return
    match = _KEY.search(response.body)
    if match is None:
        return
    key = match.group(1).decode()
    account_id = get_account_id_from(key)
    session = sts_backends[account_id][PARTITION].get_assumed_role_from_access_key(key)
    if session is not None:
        setattr(session, ISSUED, issued)
