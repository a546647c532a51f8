"""The function being contained, as read live, and every read a plan made (pre-change state).

`resolve_target` calls lambda:GetFunction once; planners read the rest through
`Target.read`, which keeps each response (or its error) so `apply` can store the state it
changed from in the case before making a change.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambda_ir.aws import ClientFactory, ErrorClass, call, classify, pages
from lambda_ir.model import FunctionRef


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
    """One function in one region, its GetFunction response, and the run's settings.

    `allowed_accounts` are the accounts `block-public` leaves in resource policies (the
    function's own account always); `now` is when the plan is made, the cutoff
    `revoke-sessions` writes. Reads are kept in `reads`, in order, across threads.
    """

    function: FunctionRef
    get_function: dict[str, Any]
    clients: ClientFactory
    now: datetime
    allowed_accounts: frozenset[str] = frozenset()
    reads: list[Read] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.function.name

    @property
    def configuration(self) -> dict[str, Any]:
        found = self.get_function.get("Configuration", {})
        return found if isinstance(found, dict) else {}

    @property
    def role_name(self) -> str | None:
        """The execution role's name (the last segment of its ARN, after any path)."""
        role = str(self.configuration.get("Role", ""))
        return role.rsplit("/", 1)[-1] if ":role/" in role else None

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
    """Read the function (lambda:GetFunction) and build its Target; PlanError if unreadable."""
    lam = clients.client("lambda", region)
    params = {"FunctionName": function}
    try:
        response = call(lam, "GetFunction", params)
    except (ClientError, BotoCoreError) as exc:
        raise PlanError(f"lambda:GetFunction {function}: {classify(exc).text}") from exc
    arn = str(response["Configuration"]["FunctionArn"])
    ref = FunctionRef.from_arn(arn)
    ref = FunctionRef(ref.account, ref.region, ref.name)  # contain the whole function
    target = Target(ref, response, clients, now, allowed_accounts | {ref.account})
    target.reads.append(Read("lambda:GetFunction", params, response))
    return target
