"""CloudWatch Logs filter patterns, as FilterLogEvents applies them (moto ignores most).

moto 5.2.5 understands one bare or quoted term and answers every other pattern with every
event: a test double that silently ignores a filter hides bugs. This implements the
documented syntax (FilterAndPatternSyntax) and refuses what AWS refuses:

- terms: `ERROR` (case-sensitive; several terms must all appear), `"exact phrase"`,
  `?ERROR ?WARN` (any), `-term` (must not appear); an unquoted term holds only letters,
  digits and `_`;
- regex: `%ERROR|WARN%`, with only AWS's characters (letters, digits, `:_#=@/;,-`, the
  operators `^$?[]{}|\\*+.`; no groups, nothing multi-byte);
- space-delimited: `[ip, user, ..., status = 4*, bytes > 100]`, `...` skipping fields,
  `=`/`!=`/`<`/`<=`/`>`/`>=`, `*` wildcards, `&&`/`||` on one field;
- JSON: `{ $.level = "ERROR" }`, `{ ($.a > 5) && ($.b = %x% ) || $.c IS TRUE }`,
  `IS NULL`, `NOT EXISTS`, `$.list[0].name`.

An invalid pattern raises `InvalidPattern`, answered as InvalidParameterException.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

from lambda_ir.emulator.http import Response, json_error, json_response
from lambda_ir.emulator.logs_filter_json import json_pattern
from lambda_ir.emulator.logs_filter_values import InvalidPattern, regex, value_matches

Matcher = Callable[[str], bool]
MAX_PATTERN = 1024  # FilterLogEvents' documented length limit
_TERM = re.compile(r"[A-Za-z0-9_]+")
_FIELD_CONDITION = re.compile(r"^\s*(\w+)\s*(!=|<=|>=|=|<|>)\s*(.+?)\s*$")
_MESSAGE_FIELD = re.compile(r'\[[^\]]*\]|"[^"]*"|\S+')


def compile_pattern(pattern: str) -> Matcher:
    """The matcher for one filterPattern; `InvalidPattern` when AWS would refuse it."""
    if len(pattern) > MAX_PATTERN:
        raise InvalidPattern(f"filterPattern longer than {MAX_PATTERN} characters")
    text = pattern.strip()
    if not text:
        return lambda _message: True
    if text.startswith("{"):
        return json_pattern(text)
    if text.startswith("["):
        return _delimited_pattern(text)
    if len(text) > 1 and text.startswith("%") and text.endswith("%"):
        return regex(text).search_bool
    return _terms_pattern(text)


def _terms_pattern(text: str) -> Matcher:
    words = re.findall(r'[?-]?"(?:[^"\\]|\\.)*"|\S+', text)
    required: list[str] = []
    optional: list[str] = []
    excluded: list[str] = []
    for word in words:
        prefix = word[0] if word[0] in "?-" and len(word) > 1 else ""
        term = _term(word[len(prefix) :])
        {"?": optional, "-": excluded, "": required}[prefix].append(term)

    def match(message: str) -> bool:
        if any(term in message for term in excluded):
            return False
        if not all(term in message for term in required):
            return False
        return not optional or any(term in message for term in optional)

    return match


def _term(word: str) -> str:
    if len(word) >= 2 and word.startswith('"') and word.endswith('"'):
        return word[1:-1].replace('\\"', '"')
    if not _TERM.fullmatch(word):
        raise InvalidPattern(f"Invalid character(s) in term '{word}'")
    return word


def _delimited_pattern(text: str) -> Matcher:
    if not text.endswith("]"):
        raise InvalidPattern("a space-delimited filter pattern ends with ']'")
    specs = [spec.strip() for spec in text[1:-1].split(",")]
    if not specs or any(not spec for spec in specs):
        raise InvalidPattern("empty field in space-delimited filter pattern")
    fields = [_field_spec(spec) for spec in specs]

    def match(message: str) -> bool:
        values = [v[1:-1] if v[:1] in '["' else v for v in _MESSAGE_FIELD.findall(message)]
        return _fields_match(fields, values)

    return match


def _field_spec(spec: str) -> Matcher | None:
    """None for `...`; else a test on one field (a bare name matches any value)."""
    if spec == "...":
        return None
    alternatives = spec.split("||")
    checks: list[list[tuple[str, str]]] = []
    for alternative in alternatives:
        conjunction = []
        for part in alternative.split("&&"):
            condition = _FIELD_CONDITION.match(part)
            if condition is None:
                if not re.fullmatch(r"\s*\w+\s*", part):
                    raise InvalidPattern(f"invalid field in filter pattern: {spec}")
                continue
            conjunction.append((condition.group(2), condition.group(3)))
        checks.append(conjunction)
    return lambda value: any(all(value_matches(value, o, e) for o, e in c) for c in checks)


def _fields_match(fields: list[Matcher | None], values: list[str]) -> bool:
    """Match field specs against values; `...` (None) absorbs any number of fields."""
    # Positions reachable so far, as a set: iterative, no backtracking recursion.
    reachable = {0}
    for spec in fields:
        if spec is None:
            reachable = set(range(min(reachable), len(values) + 1)) if reachable else set()
        else:
            reachable = {i + 1 for i in reachable if i < len(values) and spec(values[i])}
        if not reachable:
            return False
    return len(values) in reachable


def filter_log_events(params: dict[str, Any], forward: Callable[[bytes], Response]) -> Response:
    """FilterLogEvents with its filterPattern applied by us (moto sees none) or refused.

    Each page moto returns is filtered after the fact: AWS too may return fewer events than
    `limit` on a page (or none) with a nextToken, so paging callers already handle it.
    """
    try:
        matches = compile_pattern(str(params.get("filterPattern") or ""))
    except InvalidPattern as exc:
        return json_error("InvalidParameterException", str(exc))
    unfiltered = {k: v for k, v in params.items() if k != "filterPattern"}
    response = forward(orjson.dumps(unfiltered))
    document = response.json()
    if response.status != 200 or not isinstance(document, dict):
        return response
    events = document.get("events") or []
    document["events"] = [e for e in events if matches(str(e.get("message", "")))]
    return json_response(document, content_type="application/x-amz-json-1.1")
