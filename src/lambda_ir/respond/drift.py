"""What changed since a containment run left a function as it was: before `--undo` puts back
what the run changed, the reads the run made right after its changes (`after.json`) are made
again and compared. An undo makes its saved calls as they are (a whole environment, an
alias's version and weights, a reservation): a later change, a responder's rotated secret or
an attacker's new alias, would be silently overwritten, a leaked secret put back.

Only what says something about the function's own state is compared: botocore's metadata,
the code's download URL (signed anew for each read) and what AWS moves on its own (a
function's `State`, `LastUpdateStatus` and managed runtime version; a trigger's `Disabling`
before `Disabled`, the time that settled and its last poll's result) are left out. A read
that failed is compared by its error class and code, not its message.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from botocore.exceptions import BotoCoreError, ClientError

from lambda_ir.aws import ClientFactory, classify, pages

# Keys of a Lambda function's configuration that AWS changes by itself, read after read (a
# managed runtime's version too, in the `Auto` update mode).
_OWN_MOTION = frozenset(
    {
        "State",
        "StateReason",
        "StateReasonCode",
        "LastUpdateStatus",
        "LastUpdateStatusReason",
        "LastUpdateStatusReasonCode",
        "RuntimeVersionConfig",
    }
)
# An event-source mapping's: its last poll's result, and when its state last settled.
_MAPPING_MOTION = frozenset({"LastProcessingResult", "LastModified", "StateTransitionReason"})
# What a page says when more pages follow (Lambda's, IAM's, the rest's).
_MORE = ("NextMarker", "IsTruncated", "NextToken")
# A trigger's state on its way to where a call put it, as that place.
_SETTLING = {"Disabling": "Disabled", "Enabling": "Enabled", "Creating": "Enabled"}


def changed_since(
    clients: ClientFactory, region: str, reads: Iterable[dict[str, Any]]
) -> list[str]:
    """The reads (`after.json`'s, as `Read.to_json` saved them) whose answer is not the same
    now, each as `service:Operation {params}`; each distinct read is made again once (all
    pages of a listing)."""
    recorded: dict[str, tuple[str, dict[str, Any], list[Any]]] = {}
    for read in reads:
        api, params = str(read.get("api", "")), dict(read.get("params") or {})
        key = f"{api} {orjson.dumps(params, option=orjson.OPT_SORT_KEYS).decode()}"
        answer = _error_kind(read["error"]) if read.get("error") else read.get("response")
        recorded.setdefault(key, (api, params, []))[2].append(answer)
    changed = []
    for key, (api, params, answers) in recorded.items():
        service, _, operation = api.partition(":")
        if not operation.startswith(("Get", "List")):
            continue  # only reads were saved; anything else is not made again
        now = _read_now(clients, region, service, operation, params)
        if _plain(_last_listing(answers)) != _plain(now):
            changed.append(key)
    return changed


def _last_listing(answers: list[Any]) -> list[Any]:
    """The last whole answer of a read made several times (by several actions' planning):
    a listing's pages run until one without a marker for more."""
    listings: list[list[Any]] = [[]]
    for answer in answers:
        listings[-1].append(answer)
        more = isinstance(answer, dict) and any(answer.get(k) for k in _MORE)
        if not more:
            listings.append([])
    return [listing for listing in listings if listing][-1]


def _read_now(
    clients: ClientFactory, region: str, service: str, operation: str, params: dict[str, Any]
) -> list[Any]:
    """The read's answer now, as the run saved it: its pages, or its error's kind."""
    found: list[Any] = []
    try:
        found.extend(pages(clients.client(service, region), operation, params))
    except (ClientError, BotoCoreError) as exc:
        found.append(_error_kind(classify(exc).text))
    return found


def _error_kind(text: str) -> str:
    """`not-found: ResourceNotFoundException` of an error's text (its message left out)."""
    return "error " + ": ".join(text.split(": ")[:2])


def _plain(value: Any) -> Any:
    """The answer as JSON saved it (times as the case writes them), less what AWS moves."""
    return _still(orjson.loads(orjson.dumps(value, default=str)))


def _still(value: Any) -> Any:
    if isinstance(value, list):
        return [_still(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key == "ResponseMetadata":
            continue
        if key == "Location" and "RepositoryType" in value:  # the code's URL, signed per read
            continue
        if key in _OWN_MOTION and "FunctionArn" in value:  # a function's configuration
            continue
        if "UUID" in value and key in _MAPPING_MOTION:  # an event-source mapping's
            continue
        if key == "State" and "UUID" in value:
            out[key] = _SETTLING.get(str(item), item)
            continue
        out[key] = _still(item)
    return out
