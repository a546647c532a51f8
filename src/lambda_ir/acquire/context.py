"""What one collection run knows: its scope, options, clients, case and shared bookkeeping.

`CollectContext` is built once per run by `collect()` and passed to every step; nothing in
`acquire` keeps state anywhere else.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

import urllib3

from lambda_ir.acquire.packages import PackagePlan
from lambda_ir.acquire.resume import ResumeIndex
from lambda_ir.acquire.work import DEFAULT_MAX_THREADS, Work
from lambda_ir.aws import ClientFactory, ErrorClass
from lambda_ir.evidence import Case

# The logs/CloudTrail window `collect` and `investigate` take when given no --since/--until:
# two weeks reach back past a typical detection delay while keeping FilterLogEvents (billed
# per GB scanned) and LookupEvents (2 calls/s per region) short; LookupEvents keeps 90 days.
DEFAULT_SINCE = "14d"


@dataclass(frozen=True)
class Scope:
    """Which regions and functions to collect; empty `functions` means every function.

    `functions` holds names or ARNs; an ARN also names its region. `since`/`until` (ISO-8601)
    bound the logs and CloudTrail window for the steps that read them; `baseline`, when set,
    is an earlier start from which the Lambda CloudTrail history alone is read (for the
    baselines analysis learns), up to `since`. `logs=False` leaves the function logs out of
    the window; `since_default` records that `since` is the CLI's default, not the user's.
    `resolved_at` is the one reading of the clock the CLI resolved relative times (`7d`,
    `90d`) from: LookupEvents' 90 days of history are counted back from it too, so
    `--baseline 90d` is all the history, not a second more.
    """

    regions: tuple[str, ...]
    functions: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    baseline: str | None = None  # earlier start for the Lambda trail only (collect --baseline)
    logs: bool = True  # False: the window's CloudTrail only, no function logs (--no-logs)
    since_default: str | None = None  # the default window taken (e.g. "14d") when no --since
    resolved_at: str | None = None  # when `7d`/`90d` were read as times (None: not by the CLI)

    @property
    def has_window(self) -> bool:
        """True when logs and CloudTrail are in scope (a --since or --until was given)."""
        return self.since is not None or self.until is not None

    def to_json(self) -> dict[str, Any]:
        """The scope as case.json and custody record it."""
        return {
            "regions": list(self.regions),
            "functions": list(self.functions),
            "since": self.since,
            "until": self.until,
            "baseline": self.baseline,
            "logs": self.logs,
            "since_default": self.since_default,
            **({"resolved_at": self.resolved_at} if self.resolved_at else {}),
        }


@dataclass(frozen=True)
class CollectOptions:
    """How to collect: concurrency, package size cap, and whether to pace at Lambda's quotas.

    `workers` bounds concurrent calls per region and quota class; `max_threads` bounds the
    run's threads over all regions and classes (`workers=1`: one call at a time in all).
    """

    workers: int = 16
    # All regions and quota classes together never run more threads than this (--all-regions).
    max_threads: int = DEFAULT_MAX_THREADS
    max_package_mb: float = 512.0
    quotas: bool = True
    download_retries: int = 2
    max_attempts: int = 8  # per API call, first try included (botocore standard retries)
    endpoint_url: str | None = None  # embedding only; the CLI leaves endpoints to boto3's chain
    trail_bucket: str | None = None  # s3://bucket[/prefix] of the CloudTrail trail, if any
    log_export_bucket: str | None = None  # s3://bucket[/prefix]: export logs instead of reading
    runtime_bucket: str | None = None  # s3://bucket[/prefix] the runtime collector uploads to
    # A LookupEvents query this many pages long (5 min at 2/s) earns the trail-bucket advice.
    bucket_advice_pages: int = 600
    with_images: bool = False  # pull container images' config and layer blobs (ECR)
    # Set from another thread: the run stops as on Ctrl-C (an organisation run's accounts).
    stop: threading.Event | None = field(default=None, compare=False)
    in_org: bool = False  # one account's run of a `collect --org-role` run (custody says so)

    @property
    def max_package_bytes(self) -> int:
        """`max_package_mb` in bytes."""
        return int(self.max_package_mb * 1024 * 1024)


@dataclass(frozen=True)
class RecordedError:
    """One failed call as the summary lists it."""

    error_class: ErrorClass
    api: str
    target: str
    region: str | None
    message: str


class ProgressSink(Protocol):
    """Where a run reports progress: per region, tasks done of tasks known so far."""

    def update(self, region: str, done: int, total: int) -> None:
        """Called from worker threads whenever a call in `region` finishes."""


@dataclass
class Tally:
    """Counters a run accumulates across threads (guarded by its own lock)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    artifacts: int = 0
    resumed: int = 0
    downloaded_bytes: int = 0
    functions: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)  # `name (region)`: listed, then gone
    errors: list[RecordedError] = field(default_factory=list)
    claimed: set[tuple[str, str]] = field(default_factory=set)
    by_kind: Counter[str] = field(default_factory=Counter)
    advice: list[str] = field(default_factory=list)


@dataclass
class CollectContext:
    """Everything a collection step needs; one per run, shared by its worker threads."""

    case: Case
    clients: ClientFactory
    options: CollectOptions
    scope: Scope
    account: str
    work: Work
    resume: ResumeIndex
    http: urllib3.PoolManager
    tally: Tally = field(default_factory=Tally)
    packages: PackagePlan = field(default_factory=PackagePlan)
    function_steps: tuple[Any, ...] = ()  # the `Step`s each function gets, chosen once per run

    def claim(self, what: str, key: str) -> bool:
        """True the first time `(what, key)` is claimed in this run (dedup across threads)."""
        with self.tally.lock:
            if (what, key) in self.tally.claimed:
                return False
            self.tally.claimed.add((what, key))
            return True

    @property
    def home_region(self) -> str:
        """The region global services (IAM, STS) are called in: the first region in scope."""
        return self.scope.regions[0] if self.scope.regions else "us-east-1"

    def client(self, service: str, region: str) -> Any:
        """A paced, counted client for `service` in `region`."""
        return self.clients.client(service, region)
