"""Values in CloudWatch Logs filter patterns: `%regex%` as AWS allows it, comparisons with
`*` wildcards and numbers, shared by the space-delimited and JSON syntaxes (`logs_filter`)."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

_REGEX_OK = re.compile(r"[A-Za-z0-9:_#=@/;,\-^$?\[\]{}|\\*+. ]*")


class InvalidPattern(ValueError):
    """A filter pattern FilterLogEvents refuses (InvalidParameterException)."""


class Regex:
    """A compiled `%regex%` term: matches anywhere in the message."""

    def __init__(self, compiled: re.Pattern[str]) -> None:
        self.compiled = compiled

    def search_bool(self, message: str) -> bool:
        return self.compiled.search(message) is not None


def regex(text: str) -> Regex:
    """`%...%` compiled, or `InvalidPattern` for what AWS's regex syntax does not allow."""
    body = text[1:-1]
    if not body or not body.isascii() or not _REGEX_OK.fullmatch(body):
        raise InvalidPattern(f"invalid regex in filter pattern: {text}")
    try:
        return Regex(re.compile(body))
    except re.error as exc:
        raise InvalidPattern(f"invalid regex in filter pattern: {text}: {exc}") from exc


def value_matches(actual: Any, operator: str, expected: str) -> bool:
    """One comparison as the delimited and JSON syntaxes define it."""
    if expected.startswith("%") and expected.endswith("%") and len(expected) > 1:
        found = actual is not None and regex(expected).search_bool(str(actual))
        return found if operator == "=" else not found
    number = _number(expected)
    if operator in ("<", "<=", ">", ">="):
        value = _number(actual)
        if number is None:
            raise InvalidPattern(f"'{operator}' needs a number, not {expected}")
        if value is None:
            return False
        return {"<": value < number, "<=": value <= number, ">": value > number}.get(
            operator, value >= number
        )
    if number is not None and _number(actual) is not None and not expected.startswith('"'):
        equal = _number(actual) == number
    else:
        wanted = expected[1:-1] if expected.startswith('"') else expected
        text = "" if actual is None else _text(actual)
        equal = fnmatch.fnmatchcase(text, wanted) if "*" in wanted else text == wanted
    return equal if operator == "=" else not equal


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
