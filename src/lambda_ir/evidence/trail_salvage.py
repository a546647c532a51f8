"""Salvage a CloudTrail document that does not parse whole: keep every good record.

One record holding invalid UTF-8, nested a thousand levels deep or cut short used to cost
its whole file (`{"Records": [...]}` is one JSON document). Here the document's record
array is split into its elements by a byte-level scanner, without recursion and without
decoding text, and each element is parsed alone: a bad one costs that record only, and is
counted and named (its position, and its eventID when one can be read) in the problems.
A record with unbalanced brackets costs that record only too: the scanner resynchronises at
the next `,{` after one close too many, and splits an element with mismatched brackets at
the records it ran over (`elements`, `pieces`); a balanced bad record is never split.

Limits (README, "import-trail"): records nested deeper than `MAX_DEPTH` levels are skipped,
in every shape the reader knows (`nesting_exceeds` measures the fast reader's records from
their bytes; CloudTrail's own records are a dozen deep; the JSON writer refuses ~255); at
most `MAX_NAMED` bad records are named one by one per file, the rest are counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

MAX_DEPTH = 128
MAX_NAMED = 20
# A JSON string (escapes included, any bytes inside), one structural character, or a `"`
# no string closes: matching it stops the scan at once (else each `\"` after it would
# start another scan to the end, quadratic in the string's length).
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{},"]', re.DOTALL)
_RECORDS_KEY = re.compile(rb'^\s*\{\s*"Records"\s*:\s*\[')
_EVENT_ID = re.compile(rb'"eventID"\s*:\s*"([^"\\]{1,128})"')
_OPEN, _CLOSE = frozenset(b"[{"), frozenset(b"]}")
_NOT_BRACKETS = bytes(range(256)).translate(None, b"[]{}")  # for bytes.translate's delete
_PAIR = re.compile(rb"\[\]|\{\}")
_COMMA, _BRACKET_END, _QUOTE = ord(","), ord("]"), ord('"')
# What follows the record array's `]`: the end, or the `}` closing `{"Records": [...]}`.
_ARRAY_END = re.compile(rb"\s*(?:\}\s*)?\Z")
# A record's start after a comma: `{` and a key CloudTrail records hold at their top level.
_RECORD_KEYS = rb"eventVersion|eventID|eventTime|eventName|eventSource|userIdentity"
_RECORD_START = re.compile(rb'\{\s*"(?:' + _RECORD_KEYS + rb')"\s*:')
_BOUNDARY = re.compile(rb',\s*(?=\{\s*"(?:' + _RECORD_KEYS + rb')"\s*:)')
_OBJECT_NEXT = re.compile(rb"\s*\{")
_UNBALANCED = "unbalanced brackets (the records after it are kept)"
_UNBALANCED_LAST = "unbalanced brackets (no record follows it: the document ends inside it)"
_CUT_SHORT = "cut short (the document ends inside it)"


def array_start(document: bytes) -> int | None:
    """Where the record array's elements begin: after `{"Records": [` or a leading `[`."""
    match = _RECORDS_KEY.match(document)
    if match:
        return match.end()
    stripped = document.lstrip()
    if stripped[:1] == b"[":
        return len(document) - len(stripped) + 1
    return None


def elements(document: bytes, start: int) -> Iterator[tuple[bytes, str | None]]:
    """Each element of the array opened just before `start`: (its bytes, why it is bad).

    Iterative: depth is a counter, so a nesting bomb is just a large number. The reason is
    None for an element to parse, or says why it cannot be kept: cut short by the end of the
    document, or holding unbalanced brackets (one more close than opened: the scan goes on
    at the next record's start). One more open than closed makes an element run on over
    the records after it; `pieces` takes such an element apart again.
    """
    for begin, end, reason in _scan(document, start, resync=False):
        yield document[begin:end], reason


def pieces(raw: bytes, reason: str | None) -> Iterator[tuple[bytes, list[bytes], str | None]]:
    """An element as (bytes, record lines, why it is bad); one whose brackets do not match
    and that holds record starts (a `{` after a comma, opening with a key CloudTrail records
    begin with, `_RECORD_START`) is split at each, so the records it ran over are kept.

    Only an element with unbalanced or mismatched brackets is split: a good record, or a
    balanced one too deep or not UTF-8, holding such an object stays whole (its objects are
    not records, and keeping them would invent evidence).
    """
    lines: list[bytes] = []
    unbalanced = reason is not None
    if reason is None:
        lines, reason = parse_element(raw)
    if reason is None or not _BOUNDARY.search(raw) or not (unbalanced or _mismatched(raw)):
        yield raw, lines, reason
        return
    for begin, end, why in _scan(raw, 0, resync=True):
        piece = raw[begin:end]
        yield piece, *(parse_element(piece) if why is None else ([], why))


def _scan(document: bytes, start: int, *, resync: bool) -> Iterator[tuple[int, int, str | None]]:
    """(begin, end, reason) of each element; `resync` splits at record starts inside one.

    A close at depth 0 other than the array's own `]` is one more than its record opened:
    that record is skipped up to the next `,{` at depth 0, whatever key the next record
    begins with, or to the array's end; one the document ends inside is reported cut short.
    """
    depth, begin, previous, comma, skipping = 0, start, 0, start, False
    for token in _TOKEN.finditer(document, start):
        at, char = token.start(), document[token.start()]
        if token.end() - at == 1 and char == _QUOTE:
            break  # a string no quote closes: the document ends inside it
        if char in _OPEN:
            if resync and depth and previous == _COMMA and _RECORD_START.match(document, at):
                yield begin, comma, _UNBALANCED  # one more open than closed: that record only
                begin, depth = at, 0
            depth += 1
        elif char in _CLOSE and depth:
            depth -= 1
        elif char in _CLOSE:
            if char == _BRACKET_END and _ARRAY_END.match(document, token.end()):
                if skipping or document[begin:at].strip():
                    yield begin, at, _UNBALANCED if skipping else None
                return
            skipping = True
        elif char == _COMMA and depth == 0 and not skipping:
            yield begin, at, None
            begin = token.end()
        elif char == _COMMA and depth == 0 and _OBJECT_NEXT.match(document, token.end()):
            yield begin, at, _UNBALANCED
            begin, skipping = token.end(), False
        if char == _COMMA:
            comma = at
        previous = char
    if document[begin:].strip():
        yield begin, len(document), _UNBALANCED_LAST if skipping else _CUT_SHORT


def _mismatched(raw: bytes) -> bool:
    """True when a close in `raw` is not the kind its open was, or has no open (iterative)."""
    opened = bytearray()
    for token in _TOKEN.finditer(raw):
        char = raw[token.start()]
        if char in _OPEN:
            opened.append(char)
        elif char in _CLOSE and (not opened or opened.pop() != char - 2):
            return True  # `]` is `[` + 2 and `}` is `{` + 2 in ASCII
        elif token.end() - token.start() == 1 and char == _QUOTE:
            return True
    return bool(opened)


def salvage(document: bytes, problems: list[str], where: str) -> Iterator[bytes] | None:
    """The good records of a document that did not parse whole, as JSON lines; None when
    it has no record array to split (the caller reports the file as unreadable)."""
    start = array_start(document)
    if start is None:
        return None
    return _records(document, start, problems, where)


def _records(document: bytes, start: int, problems: list[str], where: str) -> Iterator[bytes]:
    bad = number = 0
    for element, first_reason in elements(document, start):
        for raw, lines, reason in pieces(element, first_reason):
            number += 1
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


def nesting_exceeds(data: bytes, start: int = 0, end: int | None = None) -> bool:
    """True when the valid JSON text `data[start:end]` nests deeper than MAX_DEPTH.

    For the fast reader's records (msgspec checked the JSON), from their bytes, in C calls:
    counting brackets first, and a record holding no more than the limit (all CloudTrail's
    we have seen hold under 30) is read no further. Otherwise its strings are dropped
    (escapes first, so quotes alternate) and the innermost `[]` then `{}` pairs removed,
    pass after pass: a pass takes one or two levels, so a record gone in MAX_DEPTH / 2
    passes is within the limit; one still there is counted a level a pass.
    """
    end = len(data) if end is None else end
    if data.count(b"[", start, end) + data.count(b"{", start, end) <= MAX_DEPTH:
        return False
    unescaped = data[start:end].replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = b"".join(unescaped.split(b'"')[0::2]).translate(None, _NOT_BRACKETS)
    left = brackets
    for _ in range(MAX_DEPTH // 2):
        left = left.replace(b"[]", b"").replace(b"{}", b"")
        if not left:
            return False
    # Exact, a level a pass, from the start: the fast passes took one or two levels a branch
    # (`{[{[`… two), so how many `left` has lost is not known.
    for _ in range(MAX_DEPTH):
        brackets, pairs = _PAIR.subn(b"", brackets)
        if not brackets or not pairs:
            return False
    return bool(brackets)


def _reason(raw: bytes, message: str) -> str:
    if "recursion" in message.lower() or "depth limit" in message:
        return f"nested deeper than {MAX_DEPTH} levels"
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
