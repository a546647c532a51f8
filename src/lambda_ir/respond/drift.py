"""What an undo would overwrite that changed since its run left the function.

An undo makes its saved calls as they are (a whole environment, an alias's version and
weights, a reservation, a policy): a later change to the same thing (a responder's rotated
secret, an attacker's new alias version) would be silently overwritten, a leaked secret put
back. So before an undo, what each of its steps writes is read again and compared with the
reads the run made right after its changes (`after.json`): the reservation for a throttle's
undo, the variables and layers of `$LATEST` for an `UpdateFunctionConfiguration`, that alias
for `UpdateAlias`, that policy for `AddPermission`, that URL, that trigger, that inline
policy, that access key. A change elsewhere (new code, another alias, another function's
trigger) is no reason to refuse, and neither is a change that already set what the undo
would (`undo_target`): that step is in place, and the undo makes no call for it.

Left out as AWS's own motion: botocore's metadata, a function's `State`, `LastUpdateStatus`
and managed runtime version, and a trigger's `Disabling` before `Disabled`, the time that
settled and its last poll's result. A read that fails, then or now, for any reason but "not
found" cannot tell: its step is unchecked, not changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from botocore.exceptions import BotoCoreError, ClientError

from lambda_ir.aws import ClientFactory, classify, pages
from lambda_ir.model import FunctionRef
from lambda_ir.respond.plan import AwsCall, Change
from lambda_ir.respond.undo_target import in_place

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
# A trigger's state on its way to where a call put it, as that place.
_SETTLING = {"Disabling": "Disabled", "Enabling": "Enabled", "Creating": "Enabled"}
# What a page says when more pages follow (Lambda's, IAM's, the rest's).
_MORE = ("NextMarker", "IsTruncated", "NextToken")
_NOT_FOUND = "error not-found"


@dataclass(frozen=True)
class Watch:
    """The read that shows what an undo call writes, which of the run's reads is it, and
    the part of its answer (all its pages) the call would overwrite."""

    api: str
    matches: Callable[[dict[str, Any]], bool]
    part: Callable[[list[Any]], Any]


def watch(undo: AwsCall) -> Watch | None:
    """What `undo` overwrites, as the reads `contain` and `runtime attach` make show it."""
    p = undo.params

    def same(*keys: str) -> Callable[[dict[str, Any]], bool]:
        others = [k for k in keys if k not in ("FunctionName", "Qualifier")]
        return lambda params: (
            _address(params) == _address(p) and all(params.get(k) == p.get(k) for k in others)
        )

    if undo.api in ("lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency"):
        return Watch("lambda:GetFunctionConcurrency", same("FunctionName"), _whole)
    if undo.api == "lambda:UpdateFunctionConfiguration":  # the settings it sets back
        keys = [k for k in p if k != "FunctionName"]
        return Watch("lambda:GetFunction", same("FunctionName", "Qualifier"), _settings(keys))
    if undo.api == "lambda:UpdateAlias":
        return Watch("lambda:ListAliases", same("FunctionName"), _items("Aliases", "Name", p))
    if undo.api == "lambda:AddPermission":
        return Watch("lambda:GetPolicy", same("FunctionName", "Qualifier"), _whole)
    if undo.api == "lambda:CreateFunctionUrlConfig":
        qualifier = p.get("Qualifier")
        return Watch(
            "lambda:ListFunctionUrlConfigs",
            same("FunctionName"),
            _listed("FunctionUrlConfigs", lambda i: _qualifier(i) == qualifier),
        )
    if undo.api == "lambda:UpdateEventSourceMapping":  # that trigger, not the region's
        return Watch(
            "lambda:ListEventSourceMappings", _any, _items("EventSourceMappings", "UUID", p)
        )
    if undo.api in ("iam:PutRolePolicy", "iam:DeleteRolePolicy"):
        return Watch("iam:GetRolePolicy", same("RoleName", "PolicyName"), _whole)
    if undo.api == "iam:UpdateAccessKey":
        return Watch(
            "iam:ListAccessKeys",
            same("UserName"),
            _items("AccessKeyMetadata", "AccessKeyId", p),
        )
    return None


@dataclass(frozen=True)
class Drift:
    """What the undo would overwrite that changed, what could not be compared, and which
    steps (by their place in the plan) find what they would set already there."""

    changed: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()
    in_place: tuple[int, ...] = ()


def drift_of(
    clients: ClientFactory, region: str, reads: Iterable[dict[str, Any]], steps: Sequence[Change]
) -> Drift:
    """Each undo step's part of the run's reads after its changes (`after.json`, as
    `Read.to_json` saved them) against the same read now; each read is made once. A step
    whose reads now show what its call would set is in place, not changed: the change since
    the run (a `runtime detach`, a reservation removed by hand) already did what the undo
    would, and nothing would be overwritten."""
    saved: dict[str, tuple[str, dict[str, Any], list[Any]]] = {}
    for read in reads:
        api, params = str(read.get("api", "")), dict(read.get("params") or {})
        answer = _error_kind(read["error"]) if read.get("error") else read.get("response")
        saved.setdefault(_key(api, params), (api, params, []))[2].append(answer)
    now: dict[str, list[Any]] = {}
    changed: list[str] = []
    unchecked: list[str] = []
    settled: list[int] = []
    for n, step in enumerate(steps):
        found = watch(step.undo) if step.undo is not None else None
        hits = [
            key
            for key, (api, params, _) in saved.items()
            if found is not None and api == found.api and found.matches(params)
        ]
        if found is None or step.undo is None or not hits:
            unchecked.append(f"{step.action}: no read after the run shows it")
            continue
        for key in hits:
            if key not in now:
                now[key] = _plain(_read_now(clients, region, *saved[key][:2]))
        if _already_set(step.undo, found, [now[key] for key in hits]):
            settled.append(n)
            continue
        for key in hits:
            before, after = found.part(_plain(_last_listing(saved[key][2]))), found.part(now[key])
            where = f"{step.action} ({key})"
            if _unknown(before) or _unknown(after):
                unchecked.append(f"{where}: {_unknown(before) or _unknown(after)}")
            elif before != after:
                changed.append(where)
    return Drift(tuple(dict.fromkeys(changed)), tuple(dict.fromkeys(unchecked)), tuple(settled))


def _already_set(undo: AwsCall, found: Watch, reads: list[list[Any]]) -> bool:
    """Whether every read that shows what `undo` writes (its answer now) holds what it
    would set; a read that cannot tell now (denied, throttled) says no."""
    if any(_unknown(found.part(answers)) for answers in reads):
        return False
    return in_place(undo.api, undo.params, [answer for answers in reads for answer in answers])


def _key(api: str, params: dict[str, Any]) -> str:
    return f"{api} {orjson.dumps(params, option=orjson.OPT_SORT_KEYS).decode()}"


def _address(params: Mapping[str, Any]) -> tuple[Any, Any]:
    """The function and qualifier a call or read names, however it names them: a name, a
    partial or full ARN, with the qualifier in it or as `Qualifier` (a run reads the function
    as the responder named it, `fn:live` or its ARN; its changes name it by name). `$LATEST`
    is the unqualified function, the only one UpdateFunctionConfiguration changes."""
    name, qualifier = params.get("FunctionName"), params.get("Qualifier")
    if isinstance(name, str):
        if name.startswith("arn:"):
            parts = name.split(":")[6:]
        elif ":function:" in name:
            parts = name.split(":function:", 1)[1].split(":")
        else:
            parts = name.split(":")
        name = parts[0] if parts else name
        qualifier = qualifier or (parts[1] if len(parts) > 1 else None)
    return name, None if qualifier == "$LATEST" else qualifier


def _any(_params: dict[str, Any]) -> bool:
    return True


def _whole(answers: list[Any]) -> Any:
    return answers


def _settings(keys: list[str]) -> Callable[[list[Any]], Any]:
    def part(answers: list[Any]) -> Any:
        return [
            {k: (a.get("Configuration") or {}).get(k) for k in keys} if isinstance(a, dict) else a
            for a in answers
        ]

    return part


def _listed(key: str, wanted: Callable[[dict[str, Any]], bool]) -> Callable[[list[Any]], Any]:
    def part(answers: list[Any]) -> Any:
        errors = [a for a in answers if not isinstance(a, dict)]
        items = [i for a in answers if isinstance(a, dict) for i in a.get(key) or []]
        return errors or [i for i in items if isinstance(i, dict) and wanted(i)]

    return part


def _items(key: str, field: str, params: Mapping[str, Any]) -> Callable[[list[Any]], Any]:
    return _listed(key, lambda item: item.get(field) == params.get(field))


def _qualifier(item: dict[str, Any]) -> str | None:
    try:
        return FunctionRef.from_arn(str(item.get("FunctionArn", ""))).qualifier
    except ValueError:
        return None


def _unknown(part: Any) -> str:
    """The error (other than not-found) that leaves a part unknown, or ""."""
    for answer in part if isinstance(part, list) else [part]:
        if isinstance(answer, str) and answer.startswith("error ") and answer != _NOT_FOUND:
            return answer.removeprefix("error ")
    return ""


def _read_now(clients: ClientFactory, region: str, api: str, params: dict[str, Any]) -> list[Any]:
    """The read's answer now, as the run saved it: its pages, or its error's kind."""
    service, _, operation = api.partition(":")
    found: list[Any] = []
    try:
        found.extend(pages(clients.client(service, region), operation, params))
    except (ClientError, BotoCoreError) as exc:
        found = [_error_kind(classify(exc).text)]
    return found


def _error_kind(text: str) -> str:
    """`error not-found` of an error's text `not-found: Code: message`: its class only (the
    code names the same class in other words; the message holds request ids)."""
    return "error " + text.split(": ")[0]


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
