"""The one kind of IAM `Condition` enforcement evaluates: dates against `aws:TokenIssueTime`.

That is the condition of the IAM console's "Revoke active sessions" policy (Deny `*` when
`aws:TokenIssueTime` is before a cutoff), which is how stolen role credentials are killed, so
enforcement must honour it to show containment working. The key exists only for temporary
credentials (an assumed role's session, issued at its creation time); for long-term keys it
is absent, and a condition on an absent key does not match (AWS: only `…IfExists` operators
match a missing key). Any other condition is still not evaluated (`None`: skip the statement).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

ISSUE_TIME_KEY = "aws:tokenissuetime"
_DATE_OPERATORS: dict[str, Callable[[datetime, datetime], bool]] = {
    "DateEquals": operator.eq,
    "DateNotEquals": operator.ne,
    "DateLessThan": operator.lt,
    "DateLessThanEquals": operator.le,
    "DateGreaterThan": operator.gt,
    "DateGreaterThanEquals": operator.ge,
}


def condition_matches(condition: Any, context: Mapping[str, str]) -> bool | None:
    """Whether `condition` holds for the request `context` (lower-cased keys); None if unknown."""
    if not isinstance(condition, dict) or not condition:
        return None
    for name, members in condition.items():
        compare = _DATE_OPERATORS.get(str(name))
        if compare is None or not isinstance(members, dict):
            return None
        for key, wanted in members.items():
            if str(key).lower() != ISSUE_TIME_KEY:
                return None
            actual = context.get(ISSUE_TIME_KEY)
            if not actual:
                return False
            values = wanted if isinstance(wanted, list) else [wanted]
            when = _parse(actual)
            # Several values for one key are ORed, as IAM does.
            if when is None or not any(_holds(compare, when, value) for value in values):
                return False
    return True


def _holds(compare: Callable[[datetime, datetime], bool], when: datetime, value: Any) -> bool:
    limit = _parse(str(value))
    return limit is not None and compare(when, limit)


def _parse(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
