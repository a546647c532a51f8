"""The function being contained, as read live, and every read a plan made (pre-change state).

`resolve_target` calls lambda:GetFunction for `$LATEST` (and, for a function named with a
version or alias, for that qualifier too); planners read the rest through `Target.read`,
which keeps each response (or its error) so `apply` can store the state it changed from in
the case before making a change. Changes name the function by name, in the credentials'
account: a function ARN of another account is refused (its changes would land on this
account's function of the same name).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambda_ir.aws import ClientFactory, ErrorClass, call, classify, pages
from lambda_ir.model import FunctionRef
from lambda_ir.respond.plan import AwsCall


class PlanError(Exception):
    """A read a plan needs failed (denied, throttled, missing): the action cannot be planned."""


@dataclass(frozen=True)
class Read:
    """One read made while planning: the call, and its response or error text."""

    api: str
    params: dict[str, Any]
    response: Any = None
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "api": self.api,
            "params": self.params,
            "response": self.response,
            "error": self.error,
        }


@dataclass(frozen=True)
class Target:
    """One function in one region, `$LATEST`'s GetFunction response, and the run's settings.

    `function` is the whole function (no qualifier): every action acts on it. `qualifier` is
    the version or alias the responder named (`fn:live`), with its own GetFunction in
    `named`; None when the function was named alone (or as `$LATEST`). `allowed_accounts`
    are the accounts `block-public` leaves in resource policies (the function's own account
    always); `now` is when the plan is made, the cutoff `revoke-sessions` writes. Reads are
    kept in `reads`, in order, across threads. `dry_run`: the plan is only shown, so nothing
    waits for AWS to settle (what is on its way is read once, and re-checked at --apply).
    """

    function: FunctionRef
    get_function: dict[str, Any]
    clients: ClientFactory
    now: datetime
    allowed_accounts: frozenset[str] = frozenset()
    qualifier: str | None = None
    named: dict[str, Any] = field(default_factory=dict)
    reads: list[Read] = field(default_factory=list)
    dry_run: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.function.name

    @property
    def configuration(self) -> dict[str, Any]:
        """`$LATEST`'s configuration: the only one UpdateFunctionConfiguration changes,
        whichever qualifier the responder named (published versions are immutable)."""
        return _configuration(self.get_function)

    @property
    def role_name(self) -> str | None:
        """The execution role's name (the last segment of its ARN, after any path): the role
        the named version or alias runs with, else `$LATEST`'s."""
        role = str(_configuration(self.named or self.get_function).get("Role", ""))
        return role.rsplit("/", 1)[-1] if ":role/" in role else None

    def latest_only(self, kept: str) -> str:
        """What a change to `$LATEST` leaves as it was when a version or alias was named:
        "" when none was, else e.g. ` (alias live runs version 1, which keeps its variables
        until a new version is published from $LATEST and the alias points at it)`."""
        if self.qualifier is None:
            return ""
        version = str(_configuration(self.named).get("Version", self.qualifier))
        if version == self.qualifier:
            return f" (version {version} keeps {kept}: published versions never change)"
        return (
            f" (alias {self.qualifier} runs version {version}, which keeps {kept} until "
            f"a new version is published from $LATEST and the alias points at it)"
        )

    def update_latest(self, settings: dict[str, Any], *, as_read: bool) -> AwsCall:
        """lambda:UpdateFunctionConfiguration of `$LATEST` with `settings`. `as_read`: only
        if `$LATEST` is still as this Target read it (its RevisionId; AWS answers
        PreconditionFailedException otherwise): a change made since the read, a secret
        rotated meanwhile, is never overwritten by a plan made before it. An undo is sent
        without (`drift` compares what it would overwrite first)."""
        params = dict(settings, FunctionName=self.name)
        revision = self.configuration.get("RevisionId")
        if as_read and revision:
            params["RevisionId"] = str(revision)
        return AwsCall("lambda", "UpdateFunctionConfiguration", params)

    def client(self, service: str) -> Any:
        return self.clients.client(service, self.function.region)

    def read(
        self, service: str, operation: str, params: dict[str, Any], *, missing: Any = ...
    ) -> Any:
        """One read, kept; with `missing` given, a not-found answer returns it instead."""
        try:
            response = call(self.client(service), operation, params)
        except (ClientError, BotoCoreError) as exc:
            error = classify(exc)
            self._keep(Read(f"{service}:{operation}", params, error=error.text))
            if missing is not ... and error.error_class is ErrorClass.NOT_FOUND:
                return missing
            raise PlanError(f"{service}:{operation}: {error.text}") from exc
        self._keep(Read(f"{service}:{operation}", params, response))
        return response

    def read_all(self, service: str, operation: str, params: dict[str, Any], key: str) -> list[Any]:
        """Every item under `key` across the pages of a listing, each page kept."""
        items: list[Any] = []
        try:
            for page in pages(self.client(service), operation, params):
                self._keep(Read(f"{service}:{operation}", params, page))
                items.extend(page.get(key, []))
        except (ClientError, BotoCoreError) as exc:
            error = classify(exc)
            self._keep(Read(f"{service}:{operation}", params, error=error.text))
            raise PlanError(f"{service}:{operation}: {error.text}") from exc
        return items

    def _keep(self, read: Read) -> None:
        with self._lock:
            self.reads.append(read)


def resolve_target(
    clients: ClientFactory,
    function: str,
    region: str,
    now: datetime,
    allowed_accounts: frozenset[str] = frozenset(),
) -> Target:
    """Read the function (lambda:GetFunction, and again unqualified for a function named with
    a version or alias) and build its Target; PlanError if unreadable, or in another account
    than the credentials' (sts:GetCallerIdentity): an ARN naming another account is refused
    before any call on the function, the account GetFunction answers from after it."""
    mine = str(caller_identity(clients, region).get("Account") or "")
    _same_account(function, _account_named(function), mine)
    lam = clients.client("lambda", region)
    params = {"FunctionName": function}
    named = _get_function(lam, params)
    ref = FunctionRef.from_arn(str(named["Configuration"]["FunctionArn"]))
    whole = FunctionRef(ref.account, ref.region, ref.name)  # contain the whole function
    if mine:
        _same_account(function, whole.account, mine)
    else:  # who the caller is went unread: the account GetFunction answered from is theirs
        _same_account(function, _account_named(function), whole.account)
    reads = [Read("lambda:GetFunction", params, named)]
    latest = named
    if ref.qualifier is not None:  # a version, an alias or `$LATEST` named: read $LATEST
        latest_params = {"FunctionName": whole.arn}
        latest = _get_function(lam, latest_params)
        reads.append(Read("lambda:GetFunction", latest_params, latest))
    qualifier = ref.qualifier if ref.qualifier not in (None, "$LATEST") else None
    return Target(
        whole,
        latest,
        clients,
        now,
        allowed_accounts | {whole.account},
        qualifier,
        named if qualifier else {},
        reads,
    )


def _get_function(lam: Any, params: dict[str, Any]) -> dict[str, Any]:
    try:
        return dict(call(lam, "GetFunction", params))
    except (ClientError, BotoCoreError) as exc:
        raise PlanError(
            f"lambda:GetFunction {params['FunctionName']}: {classify(exc).text}"
        ) from exc


def _same_account(given: str, account: str, mine: str) -> None:
    """Refuse a function outside the credentials' account `mine`: the one its ARN names
    (AWS answers another account's ARN as not found, or reads it with a policy sharing it;
    a misrouted call may answer with this account's namesake), or the one GetFunction
    answered from (AWS reads another account's function its policy shares). Either way a
    change made by name would land on this account's function of the same name."""
    if account and mine and account != mine:
        raise PlanError(
            f"{given} is a function of account {account}, not of the account these "
            f"credentials act in ({mine}): lambda-ir changes a function by its name, "
            "which would change this account's function of the same name. Run it with "
            f"credentials of account {account}"
        )


def _account_named(function: str) -> str:
    """The account a function ARN (or partial ARN `ACCOUNT:function:NAME`) names, or ""."""
    if function.startswith("arn:"):
        parts = function.split(":")
        return parts[4] if len(parts) > 4 else ""
    account, sep, _ = function.partition(":function:")
    return account if sep else ""


def caller_identity(clients: ClientFactory, region: str) -> dict[str, Any]:
    """Who the credentials are (sts:GetCallerIdentity: `Account`, `Arn`), {} when it cannot
    be read."""
    try:
        return dict(call(clients.client("sts", region), "GetCallerIdentity", {}))
    except (ClientError, BotoCoreError):
        return {}


def _configuration(get_function: dict[str, Any]) -> dict[str, Any]:
    found = get_function.get("Configuration", {})
    return found if isinstance(found, dict) else {}
