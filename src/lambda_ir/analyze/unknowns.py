"""What a finding's sentence says where the evidence gives no value: never Python's `None`.

A CloudTrail record without a readable eventTime (`event_time` NULL in the index), a log
line without a timestamp, a call without a source address or an eventName: the finding (or
timeline event) keeps the field empty or null, and its sentence says so in words.
"""

from __future__ import annotations

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
