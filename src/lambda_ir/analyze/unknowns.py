"""What a finding's sentence says where the evidence gives no value: never Python's `None`.

A CloudTrail record without a readable eventTime (`event_time` NULL in the index), a log
line without a timestamp, a call without a source address or an eventName: the finding (or
timeline event) keeps the field empty or null, and its sentence says so in words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

# An event without a time (`event_time` NULL: its eventTime missing or not a time the index
# takes; a log line without a timestamp): "at …", "before …", "after …".
UNKNOWN_TIME = "an unknown time (the event gives none the index could read)"
# Several like events (calls, log lines) of which none has such a time: after a count, as its
# own clause.
NO_TIMES = "none at a time the index could read"
# A call whose record gives no sourceIPAddress: "from …".
UNKNOWN_ADDRESS = "an unrecorded address"
# A record without eventName, where a sentence names the call.
UNNAMED_CALL = "a call without an eventName"
# A runtime snapshot's file whose entry gives no size, where "N bytes" would stand.
UNKNOWN_SIZE = "size not recorded"


def time_span(first: str | None, last: str | None) -> str:
    """Where like events fall, to follow their count in a sentence: " from FIRST to LAST",
    or ", none at a time the index could read" when neither is known (never "from None to
    None"); an unknown end alone is `UNKNOWN_TIME`."""
    if not first and not last:
        return f", {NO_TIMES}"
    return f" from {first or UNKNOWN_TIME} to {last or UNKNOWN_TIME}"


def the_function(name: str, *, running: bool = False) -> str:
    """A snapshot's function in a sentence: "the (running) function NAME", or when the
    snapshot names none "a (running) function the snapshot does not name"."""
    kind = "running function" if running else "function"
    return f"the {kind} {name}" if name else f"a {kind} the snapshot does not name"


def said(record: Mapping[str, Any], key: str, missing: str) -> str:
    """A record's value for `key` as text for a sentence, `missing` where the record gives
    none: absent, JSON null or empty (`record.get(key, "?")` gave "None" for a null). A
    value that is not text (a list, an object, a number where a name belongs) is written
    as the JSON it was, not as Python's repr."""
    value = record.get(key)
    return missing if value is None or value == "" else as_text(value)


def as_text(value: Any) -> str:
    """A record's value for a sentence: text as it is, anything else as its JSON."""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def member(record: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A record's object under `key`, or {} where it gives none or something else (text, a
    list, a number): a malformed or tampered record is read as saying nothing there rather
    than stopping the detector that reads it."""
    value = record.get(key)
    return value if isinstance(value, Mapping) else {}


def members(record: Mapping[str, Any], key: str) -> list[Any]:
    """A record's list under `key`, or [] where it gives none or something else."""
    value = record.get(key)
    return value if isinstance(value, list) else []
