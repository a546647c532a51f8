"""Salvage a CloudTrail document that does not parse whole: keep every good record.

One record holding invalid UTF-8, nested a thousand levels deep or cut short used to cost
its whole file (`{"Records": [...]}` is one JSON document). Here the document's record
array is split into its elements by a byte-level scanner, without recursion and without
decoding text, and each element is parsed alone: a bad one costs that record only, and is
counted and named (its position, and its eventID when one can be read) in the problems.

Limits (README, "import-trail"): records nested deeper than `MAX_DEPTH` levels are skipped
(CloudTrail's own records are a dozen deep; the JSON writer refuses ~255); at most
`MAX_NAMED` bad records are named one by one per file, the rest are counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

MAX_DEPTH = 128
MAX_NAMED = 20
# A JSON string (escapes included, any bytes inside) or one structural character.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{},]', re.DOTALL)
_RECORDS_KEY = re.compile(rb'^\s*\{\s*"Records"\s*:\s*\[')
_EVENT_ID = re.compile(rb'"eventID"\s*:\s*"([^"\\]{1,128})"')
_OPEN, _CLOSE = frozenset(b"[{"), frozenset(b"]}")


def array_start(document: bytes) -> int | None:
    """Where the record array's elements begin: after `{"Records": [` or a leading `[`."""
    match = _RECORDS_KEY.match(document)
    if match:
        return match.end()
    stripped = document.lstrip()
    if stripped[:1] == b"[":
        return len(document) - len(stripped) + 1
    return None


def elements(document: bytes, start: int) -> Iterator[tuple[bytes, bool]]:
    """Each element of the array opened just before `start`: (its bytes, complete?).

    Iterative: depth is a counter, so a nesting bomb is just a large number. An element
    cut short by the end of the document comes back with `complete` False.
    """
    depth = 0
    begin = start
    for token in _TOKEN.finditer(document, start):
        char = token.group()[0]
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            if depth == 0:  # the array's own closing bracket
                if document[begin : token.start()].strip():
                    yield document[begin : token.start()], True
                return
            depth -= 1
        elif char == ord(",") and depth == 0:
            yield document[begin : token.start()], True
            begin = token.end()
    if document[begin:].strip():
        yield document[begin:], False


def salvage(document: bytes, problems: list[str], where: str) -> Iterator[bytes] | None:
    """The good records of a document that did not parse whole, as JSON lines; None when
    it has no record array to split (the caller reports the file as unreadable)."""
    start = array_start(document)
    if start is None:
        return None
    return _records(document, start, problems, where)


def _records(document: bytes, start: int, problems: list[str], where: str) -> Iterator[bytes]:
    bad = 0
    for number, (raw, complete) in enumerate(elements(document, start), start=1):
        reason = "cut short (the document ends inside it)" if not complete else None
        lines: list[bytes] = []
        if reason is None:
            lines, reason = parse_element(raw)
        if reason is None:
            yield from lines
            continue
        bad += 1
        if bad <= MAX_NAMED:
            problems.append(f"record {number}{where}{_named(raw)} skipped: {reason}")
    if bad > MAX_NAMED:
        problems.append(f"{bad - MAX_NAMED} more bad record(s){where} skipped")


def parse_element(raw: bytes) -> tuple[list[bytes], str | None]:
    """One array element as record lines, or the reason it cannot be kept."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return [], _reason(raw, str(exc))
    if depth_exceeds(value, MAX_DEPTH):
        return [], f"nested deeper than {MAX_DEPTH} levels"
    if not isinstance(value, dict):
        return [], "not a JSON object"
    try:
        return [orjson.dumps(value) + b"\n"], None
    except orjson.JSONEncodeError as exc:
        return [], f"cannot be written back as JSON: {exc}"


def depth_exceeds(value: Any, limit: int) -> bool:
    """True when `value` nests lists/objects deeper than `limit` (iterative, no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _reason(raw: bytes, message: str) -> str:
    if "recursion" in message.lower() or "depth limit" in message:
        return "nested too deep for the JSON reader"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 (byte {exc.start} of the record)"
    return "invalid JSON"


def _named(raw: bytes) -> str:
    match = _EVENT_ID.search(raw[: 1 << 20])
    if not match:
        return ""
    name = match.group(1).decode("utf-8", "backslashreplace")
    return f" (eventID {name})"
