"""What a containment plan is made of: AWS calls, changes (a call and its undo), actions.

A `Change` is one write to AWS together with the call that puts things back. An `Action`
(`throttle`, `block-public`, …) is a declared function that reads the live state of one
function and returns the changes still needed; when the state is already contained it
returns none, which is what makes every action idempotent and lets `apply` check the result
by planning again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lambda_ir.respond.target import Target


@dataclass(frozen=True)
class AwsCall:
    """One AWS API call: service (boto3's name), operation (PascalCase) and parameters.

    `settled_by` lists error codes that mean the wanted state is already there (an undo
    re-adding a statement that exists answers ResourceConflictException): not a failure.
    """

    service: str
    operation: str
    params: Mapping[str, Any]
    settled_by: tuple[str, ...] = ()

    @property
    def api(self) -> str:
        """`service:Operation`, as IAM and the manifest name it."""
        return f"{self.service}:{self.operation}"

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"api": self.api, "params": dict(self.params)}
        if self.settled_by:
            document["settled_by"] = list(self.settled_by)
        return document

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> AwsCall:
        """Parse `to_json`'s shape; raises ValueError on anything else."""
        api, params = document.get("api"), document.get("params")
        settled = document.get("settled_by", [])
        if not isinstance(api, str) or ":" not in api or not isinstance(params, dict):
            raise ValueError(f"not an AWS call: {document!r:.200}")
        if not isinstance(settled, list) or not all(isinstance(s, str) for s in settled):
            raise ValueError(f"bad settled_by in {api}")
        service, _, operation = api.partition(":")
        return cls(service, operation, params, tuple(settled))


@dataclass(frozen=True)
class Change:
    """One change an action makes, the call that reverts it, and what the undo cannot do."""

    action: str
    summary: str
    call: AwsCall
    undo: AwsCall | None
    undo_note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "summary": self.summary,
            "call": self.call.to_json(),
            "undo": self.undo.to_json() if self.undo else None,
            "undo_note": self.undo_note,
        }


@dataclass(frozen=True)
class ActionInfo:
    """An action's metadata: its name, what it does, and every IAM action it needs.

    `value` names the argument it takes (`--action pin-alias=VERSION`); `explicit` actions
    change the function's configuration and run only with `--allow-config-change`;
    `repeatable` ones may be chosen more than once with different values (several keys).
    """

    name: str
    summary: str
    permissions: tuple[str, ...]
    value: str | None = None
    explicit: bool = False
    repeatable: bool = False


Planner = Callable[["Target", "str | None"], list[Change]]


@dataclass(frozen=True)
class Action:
    """A containment action: metadata and the planner that reads live state."""

    info: ActionInfo
    plan: Planner


@dataclass(frozen=True)
class Chosen:
    """An action picked for a run, with its value (`pin-alias=3` → value "3")."""

    action: Action
    value: str | None = None

    @property
    def label(self) -> str:
        name = self.action.info.name
        return f"{name}={self.value}" if self.value is not None else name


@dataclass(frozen=True)
class ActionPlan:
    """What one chosen action would change, or why it could not be planned."""

    chosen: Chosen
    changes: tuple[Change, ...] = ()
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.chosen.label,
            "changes": [change.to_json() for change in self.changes],
            "error": self.error,
        }


@dataclass(frozen=True)
class Plan:
    """Every chosen action's changes for one function."""

    function_arn: str
    region: str
    actions: tuple[ActionPlan, ...] = field(default_factory=tuple)

    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(change for action in self.actions for change in action.changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "function": self.function_arn,
            "region": self.region,
            "actions": [action.to_json() for action in self.actions],
        }
