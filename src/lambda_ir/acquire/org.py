"""Fan-out over an AWS Organization: every member account × region in one case, in parallel.

`collect_org()` lists the organisation's accounts (organizations:ListAccounts, stored as
evidence) or takes the given ones, assumes `role_name` in each (sts:AssumeRole, optionally
with an external id; the session name is recorded in custody) and runs `collect()` for each
account at once. Lambda's quotas are per account and region, so every account gets its own
quota buckets and pools: the organisation is as fast as its busiest account-region. An
account whose role cannot be assumed is a failed sts:AssumeRole entry in the manifest (the
gap detector reports it) and custody's `org-gap`, never the end of the run; so is one whose
calls AWS refuses for this machine's clock (`clock 2 h 0 min behind AWS`). Only when the
organisation's own account list cannot be read for the clock does the run stop, with one line.
Each account's keys are refreshed (another AssumeRole, custody's `org-reassumed`) before
they expire, so a collection may outlast the role session. Credentials are never stored or
printed; the external id's value is not recorded either.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import boto3

from lambda_ir.acquire.collect import collect
from lambda_ir.acquire.context import CollectOptions, ProgressSink, Scope
from lambda_ir.acquire.org_accounts import (
    ASSUME_ROLE,
    OrgTarget,
    assume,
    member_accounts,
)
from lambda_ir.acquire.summary import CollectSummary
from lambda_ir.aws import ClientFactory, RetryPolicy, classify
from lambda_ir.aws.clock import clock_gap
from lambda_ir.evidence import Case
from lambda_ir.model import Kind
from lambda_ir.redact import redact_text

COLLECT_ACCOUNT = "lambda-ir:CollectAccount"  # not an AWS call: the account's whole collection


@dataclass(frozen=True)
class AccountRun:
    """One account's part of the run: its collection summary, or why it could not be entered."""

    account: str
    role_arn: str
    summary: CollectSummary | None = None
    gap: str | None = None
    crashed: bool = False  # the collection raised: a failure of the run, not only a gap

    def to_json(self) -> dict[str, Any]:
        """The account's line in `--json` and custody."""
        document: dict[str, Any] = {"account": self.account, "role_arn": self.role_arn}
        if self.summary is not None:
            document["summary"] = self.summary.to_json()
        if self.gap is not None:
            document["gap"] = self.gap
        if self.crashed:
            document["crashed"] = True
        return document


@dataclass(frozen=True)
class OrgSummary:
    """The whole organisation's run: one `AccountRun` per account, in account order."""

    runs: tuple[AccountRun, ...]
    seconds: float
    stopped: bool = False  # Ctrl-C: accounts not started are left out of `runs`

    @property
    def collected(self) -> tuple[CollectSummary, ...]:
        """The summaries of the accounts that could be entered."""
        return tuple(r.summary for r in self.runs if r.summary is not None)

    @property
    def gaps(self) -> tuple[AccountRun, ...]:
        """The accounts whose role could not be assumed, or whose collection raised."""
        return tuple(r for r in self.runs if r.gap is not None)

    @property
    def crashed(self) -> tuple[AccountRun, ...]:
        """The accounts whose collection raised (each is also a gap)."""
        return tuple(r for r in self.runs if r.crashed)

    @property
    def ok(self) -> bool:
        """True when anything was collected in any account."""
        return any(s.ok for s in self.collected)

    @property
    def interrupted(self) -> bool:
        """True when Ctrl-C cut the run (or any account's collection) short."""
        return self.stopped or any(s.interrupted for s in self.collected)

    def line(self) -> str:
        """One sentence for the person: accounts, functions, artifacts, gaps."""
        done = self.collected
        functions = sum(s.functions for s in done)
        artifacts = sum(s.artifacts for s in done)
        regions = {(s.account, r) for s in done for r in s.regions}
        text = (
            f"collected {artifacts:,} artifacts from {functions:,} functions in "
            f"{len(done)} account(s), {len(regions)} account-region(s) in {self.seconds:.1f} s"
        )
        if self.gaps:
            text += f"; {len(self.gaps)} account(s) could not be entered: " + ", ".join(
                f"{r.account} ({r.gap})" for r in self.gaps[:5]
            )
        return text + (" (interrupted: run it again to resume)" if self.interrupted else "")

    def to_json(self) -> dict[str, Any]:
        """Every account's result, the gaps and the wall time."""
        return {
            "accounts": [r.to_json() for r in self.runs],
            "gaps": [r.account for r in self.gaps],
            "seconds": round(self.seconds, 3),
        }


class AccountProgress:
    """Passes each account's progress on as `<account>/<region>`, so bars never collide."""

    def __init__(self, sink: ProgressSink, account: str) -> None:
        self._sink = sink
        self._account = account

    def update(self, region: str, done: int, total: int) -> None:
        """Called by the account's worker threads."""
        self._sink.update(f"{self._account}/{region}", done, total)


def collect_org(
    case: Case,
    session: boto3.Session,
    target: OrgTarget,
    scope: Scope,
    options: CollectOptions | None = None,
    progress: ProgressSink | None = None,
) -> OrgSummary:
    """Collect `scope` in every target account at once, into one case.

    Read-only like `collect()`; the only extra calls are organizations:ListAccounts (without
    `target.accounts`) and sts:AssumeRole per account, both from `session`'s principal.
    """
    options = options or CollectOptions()
    started = time.monotonic()
    home = scope.regions[0] if scope.regions else "us-east-1"
    clients = ClientFactory(
        session, RetryPolicy(max_attempts=options.max_attempts), options.endpoint_url
    )
    accounts = list(target.accounts) or member_accounts(case, clients, home)
    case.log("org-started", {**target.to_json(), "targets": accounts, "scope": scope.to_json()})
    lock = threading.Lock()
    runs: dict[str, AccountRun] = {}
    stop = threading.Event()  # Ctrl-C in this thread: every account's collection stops
    options = dataclasses.replace(options, stop=stop, in_org=True)

    def one(account: str) -> None:
        if stop.is_set():
            return  # not started: a resumed run collects it
        run = AccountRun(account, target.role_arn(account), gap="error: crashed", crashed=True)
        try:
            run = _collect_account(case, clients, target, account, scope, options, progress)
        except Exception as exc:  # one account's crash is its gap; the others go on
            run = _crashed(case, target, account, exc)
        finally:
            with lock:
                runs[account] = run

    pool = ThreadPoolExecutor(max(1, min(target.account_workers, len(accounts) or 1)))
    try:
        pending = {pool.submit(one, account) for account in accounts}
        while pending:  # short waits: Ctrl-C reaches this thread between them
            _, pending = wait(pending, timeout=0.5)
    except KeyboardInterrupt:
        stop.set()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # running calls finish writing
    seconds = time.monotonic() - started
    summary = OrgSummary(tuple(runs[a] for a in accounts if a in runs), seconds, stop.is_set())
    case.log(
        "org-interrupted" if summary.stopped else "org-collected",
        {
            "gaps": [r.account for r in summary.gaps],
            "not_started": [a for a in accounts if a not in runs],
            "seconds": round(summary.seconds, 3),
        },
    )
    return summary


def _crashed(case: Case, target: OrgTarget, account: str, exc: Exception) -> AccountRun:
    """Record an account whose collection raised as a failed call (LIR-GAP-001) and `org-gap`.

    The error text goes through `redact_text`: an exception may quote what it was handed.
    """
    error = classify(exc)
    text = redact_text(f"error: {error.code}: {' '.join(error.message.split())[:300]}")
    role_arn = target.role_arn(account)
    run = AccountRun(account, role_arn, gap=f"error: {error.code}", crashed=True)
    case.record_error(
        kind=Kind.ACCOUNT,
        api=COLLECT_ACCOUNT,
        params={"RoleArn": role_arn},
        error=text,
        account=account,
        region=None,
    )
    case.log("org-gap", {"account": account, "role_arn": role_arn, "error": text})
    return run


def _collect_account(
    case: Case,
    clients: ClientFactory,
    target: OrgTarget,
    account: str,
    scope: Scope,
    options: CollectOptions,
    progress: ProgressSink | None,
) -> AccountRun:
    role_arn = target.role_arn(account)
    home = scope.regions[0] if scope.regions else "us-east-1"

    def refreshed() -> None:
        case.log(
            "org-reassumed",
            {"account": account, "role_arn": role_arn, "session_name": target.session_name},
        )

    try:
        member = assume(clients, home, target, account, refreshed)
    except Exception as exc:  # an account we cannot enter is a gap, not the end of the run
        error = classify(exc)
        case.record_error(
            kind=Kind.ACCOUNT,
            api=ASSUME_ROLE,
            params={"RoleArn": role_arn, "RoleSessionName": target.session_name},
            error=error.text,
            account=account,
            region=None,
        )
        case.log("org-gap", {"account": account, "role_arn": role_arn, "error": error.text})
        gap = clock_gap(exc) or f"{error.error_class.value}: {error.code}"
        return AccountRun(account, role_arn, gap=gap)
    case.log(
        "org-assumed",
        {"account": account, "role_arn": role_arn, "session_name": target.session_name},
    )
    sink: ProgressSink | None = AccountProgress(progress, account) if progress else None
    summary = collect(case, member, scope, options, sink)
    return AccountRun(account, role_arn, summary=summary)
