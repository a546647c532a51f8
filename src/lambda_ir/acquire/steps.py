"""The shape of a collection step and the targets steps run on.

A step is one small function `(ctx, target) -> None` plus the quota class its first call
draws from (which pool runs it). The orchestrator runs explicit tuples of steps, so adding
one (logs, CloudTrail) is one line in `acquire/collect.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.fetch import task_failure
from lambda_ir.aws import QuotaClass

T = TypeVar("T")


@dataclass(frozen=True)
class FunctionTarget:
    """A function in scope: where it is and, when ListFunctions showed it, its configuration.
    `log_group`, when set, is a group one of its versions logs to that its logs step reads
    instead of the one `listed` names (`acquire.logs.version_log_groups`)."""

    account: str
    region: str
    name: str
    listed: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    log_group: str = ""

    @property
    def arn(self) -> str:
        """The unqualified function ARN."""
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"


@dataclass(frozen=True)
class Step(Generic[T]):
    """One unit of collection: `run(ctx, target)`, scheduled on the pool of `klass`."""

    name: str
    klass: QuotaClass
    run: Callable[[CollectContext, T], None]


def region_of(target: object) -> str:
    """The region a target belongs to (a region name is its own region)."""
    return target if isinstance(target, str) else getattr(target, "region", "global")


def schedule(ctx: CollectContext, step: Step[T], target: T) -> None:
    """Queue `step` on `target`; a crash inside it is recorded in the manifest, not raised."""
    region = region_of(target)
    params = {"step": step.name, "target": getattr(target, "name", str(target))}
    on_failure = task_failure(ctx, "other", f"lambda-ir:{step.name}", params, region)
    ctx.work.submit(step.klass, region, lambda: step.run(ctx, target), on_failure, step.name)


def later(
    ctx: CollectContext, klass: QuotaClass, region: str, name: str, task: Callable[[], None]
) -> None:
    """Queue a follow-up call (for example GetFunction for one version) on its quota's pool."""
    on_failure = task_failure(ctx, "other", f"lambda-ir:{name}", {"step": name}, region)
    ctx.work.submit(klass, region, task, on_failure, name)
