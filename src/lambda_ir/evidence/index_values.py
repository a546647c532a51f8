"""Small conversions shared by the index loaders: JSON text, UTC timestamps, code hashes."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

import orjson


def json_text(value: Any) -> str | None:
    """A value as JSON text for a DuckDB JSON column (None stays NULL); keys sorted."""
    return None if value is None else orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def utc_timestamp(text: Any) -> datetime | None:
    """AWS's `2024-05-01T10:00:00.000+0000` (or ISO-8601 with Z) as a naive UTC datetime."""
    if not isinstance(text, str) or not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def code_sha256_hex(code_sha256: Any) -> str | None:
    """AWS's base64 `CodeSha256` as the hex digest the blob store uses.

    Container-image functions report the image digest in hex instead; that is kept as is.
    """
    if not isinstance(code_sha256, str) or not code_sha256:
        return None
    if len(code_sha256) == 64 and all(c in "0123456789abcdefABCDEF" for c in code_sha256):
        return code_sha256.lower()
    try:
        digest = base64.b64decode(code_sha256, validate=True)
    except (binascii.Error, ValueError):
        return None
    return digest.hex() if len(digest) == 32 else None
