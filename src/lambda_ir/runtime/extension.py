"""A Lambda external extension that snapshots every N invocations (`LAMBDA_IR_EVERY`).

Lambda starts every executable in `/opt/extensions/` at cold start. This one registers with
the Extensions API for INVOKE and SHUTDOWN events; each INVOKE event names the request id
and the invoked function ARN, so those snapshots carry the invocation context. A failed
snapshot is one line on stderr (the function's log), never a failed invocation.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from .settings import Settings
from .upload import failure_line

NAME = "lambda-ir"
API = "2020-01-01/extension"

Snapshotter = Callable[[Mapping[str, Any]], None]


def run_extension(env: Mapping[str, str], settings: Settings, snap: Snapshotter) -> int:
    """Register, then serve events until SHUTDOWN; returns how many snapshots were taken."""
    base = f"http://{env['AWS_LAMBDA_RUNTIME_API']}/{API}"
    request = urllib.request.Request(  # noqa: S310 - the Lambda runtime API (http)
        f"{base}/register",
        data=json.dumps({"events": ["INVOKE", "SHUTDOWN"]}).encode(),
        method="POST",
        headers={"Lambda-Extension-Name": NAME},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the runtime API
        identifier = response.headers["Lambda-Extension-Identifier"]
        response.read()
    invocations = taken = 0
    while True:
        event = _next_event(base, identifier)
        if event.get("eventType") != "INVOKE":
            return taken
        invocations += 1
        if settings.every and invocations % settings.every == 0:
            try:
                snap(event)
                taken += 1
            except Exception as exc:  # the customer's function must never fail because of us
                print(failure_line(exc), file=sys.stderr)


def _next_event(base: str, identifier: str) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - the Lambda runtime API (http)
        f"{base}/event/next", headers={"Lambda-Extension-Identifier": identifier}
    )
    # Long poll: the next event comes when the next invocation does.
    with urllib.request.urlopen(request, timeout=None) as response:  # noqa: S310 - the runtime API
        event = json.loads(response.read() or b"{}")
    return event if isinstance(event, dict) else {}
