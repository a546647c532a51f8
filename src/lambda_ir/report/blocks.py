"""Exports written a block of rows at a time, the same bytes as rendering them whole.

On a million-event case the findings exports run to hundreds of megabytes (OCSF ~450 MB,
SARIF ~275 MB); built whole, each was one bytes object beside a dict per finding, and
`report` peaked at 2.1 GB, the OCSF render alone adding 1 GB. Streamed through
`Case.write_derived_stream`, which hashes as it writes, only one block is held at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

import orjson

from lambda_ir import sanitize

BLOCK = 2000  # rows rendered at once: a few MB of dicts and bytes, whatever the case's size
# What orjson writes after an indented document's last value: closing brackets only.
_CLOSERS = b" \n]}"

Row = TypeVar("Row")


def batches(rows: Iterable[Row], size: int) -> Iterator[Sequence[Row]]:
    """`rows` in lists of `size` (the last may be shorter); nothing for no rows."""
    if size < 1:
        raise ValueError(f"block size must be at least 1, not {size}")
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def indented_chunks(
    document: dict[str, Any], key: str, items: Iterable[Any], block: int = BLOCK
) -> Iterator[bytes]:
    """`sanitize.json_bytes(orjson.dumps(whole, option=OPT_INDENT_2) + b"\\n")`, where `whole`
    is `document` with `items` as the list under `key`, a block of items at a time.

    `document` holds `key: []` as its last value (at any depth), so the text before the list
    is fixed and the text after it is only closing brackets. Each block is dumped as a list
    on its own, its brackets cut off and its lines indented to the list's depth: orjson
    escapes every newline inside a string, so each newline it writes is between values.
    """
    head, tail = _split(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n", key)
    # The key's indent: a block dumped alone has its items at two spaces, and they belong
    # two deeper than the key.
    pad = b" " * (len(head) - head.rfind(b"\n") - 1 - len(_marker(key)))
    first = True
    for batch in batches(items, block):
        body = orjson.dumps(batch, option=orjson.OPT_INDENT_2)[2:-2]  # "[\n" ... "\n]"
        indented = pad + body.replace(b"\n", b"\n" + pad)
        yield sanitize.json_bytes((head + b"[\n" if first else b",\n") + indented)
        first = False
    if first:  # no items: the list stays `[]`, as orjson writes an empty one
        yield sanitize.json_bytes(head + b"[]" + tail)
    else:
        yield b"\n" + pad + b"]" + sanitize.json_bytes(tail)


def _marker(key: str) -> bytes:
    return orjson.dumps(key) + b": "


def _split(text: bytes, key: str) -> tuple[bytes, bytes]:
    """The text up to `"key": ` (included) and after its `[]`; a ValueError when that empty
    list is not the document's last value, the one place the streamed list can go."""
    marker = _marker(key) + b"[]"
    before, found, after = text.rpartition(marker)
    if not found or after.strip(_CLOSERS):
        raise ValueError(f"{key!r} is not the document's last value, an empty list")
    return before + marker[:-2], after
