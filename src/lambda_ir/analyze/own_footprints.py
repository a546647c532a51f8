"""lambda-ir's own footprints in a case: the collector's calls and the runtime collector layer.

Collecting a case makes hundreds of read calls, some of them carrying what the incident is
about (a `logs:FilterLogEvents` searching for an indicator); `runtime attach` adds a layer, a
wrapper and an extension. Neither is the attacker. The case records both: who collected it
(`sts:GetCallerIdentity`, kind account), when (custody `collect-started` … `collected`), and
which layer version and CodeSha256 `runtime attach` put on a function (custody
`runtime-attach-done`).

A CloudTrail event is the collector's own only when ALL of these hold, so an attacker who
merely sets lambda-ir's user agent is still seen:
- its caller ARN is an identity that collected this case (GetCallerIdentity's `Arn`);
- it is a read call (Get/List/Describe/BatchGet/Filter/Lookup/Head/Search…), as every
  collector call is; a write by that identity is never hidden;
- its time lies within a collection run of this case (custody, ± `SLACK` for CloudTrail's
  one-second precision and clock skew);
- its user agent names `lambda-ir/` (boto3's `user_agent_extra`, `aws/session.py`).
A layer is lambda-ir's own only when its exact version ARN was attached by `runtime attach`
in this case AND the collected layer's CodeSha256 equals the one recorded then; a layer
merely named `lambda-ir-collector`, or with another hash, is a look-alike of our own tool.
`runtime attach`'s own UpdateFunctionConfiguration is the one call nearest its custody record
made by a collecting identity with lambda-ir's user agent (`attach_calls`); it is reported
as ours (INFO), never left out with `contain`'s changes.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lambda_ir.evidence import Case
from lambda_ir.evidence.custody import CustodyEntry, read_entries
from lambda_ir.evidence.layout import CUSTODY
from lambda_ir.model import Finding, Kind

if TYPE_CHECKING:
    from lambda_ir.analyze.caseview import CaseView
    from lambda_ir.analyze.values import Package

SLACK = timedelta(seconds=30)
USER_AGENT = "lambda-ir/"
READ_CALL = r"^(Get|List|Describe|BatchGet|Filter|Lookup|Head|Search|Scan|Query)[A-Z]"
LAYER_NAME = "lambda-ir-collector"  # respond.runtime_attach.LAYER_NAME (analyze may not import it)
WRAPPER = "/opt/lambda-ir/wrapper"  # runtime.layer.WRAPPER_PATH
_ENDS = ("collected", "collect-interrupted")


@dataclass(frozen=True)
class CollectionRun:
    """One `collect` run of the case: when it started and ended (custody times, UTC)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class OwnLayer:
    """A collector layer version `runtime attach` put on a function in this case."""

    arn: str
    code_sha256: str
    who: str  # the local user and host custody recorded
    when: str  # custody time of the attach
    files: tuple[str, ...] = ()  # `/opt/<file>|<sha256>` of its files, when custody has them

    def describe(self) -> str:
        return f"lambda-ir runtime collector attached by {self.who} at {self.when}"


def _custody(view: CaseView, *, others: bool = False) -> list[CustodyEntry]:
    """This case's custody entries; with `others`, those of `--attached-in` cases too."""
    roots = [view.case.root, *(view.options.attached_in if others else ())]
    return [
        entry for root in roots for _, _, entry in read_entries(root / CUSTODY) if entry is not None
    ]


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _runs(entries: list[CustodyEntry]) -> tuple[CollectionRun, ...]:
    """Each collect run: from `collect-started` to its `collected` (or the next custody entry)."""
    runs = []
    for n, entry in enumerate(entries):
        if entry.action != "collect-started":
            continue
        later = entries[n + 1 :]
        end = next((e for e in later if e.action in _ENDS), later[0] if later else entry)
        runs.append(CollectionRun(_when(entry.time), _when(end.time)))
    return tuple(runs)


def collector_arns(view: CaseView) -> tuple[str, ...]:
    """The ARNs the collector ran as (sts:GetCallerIdentity in the case)."""
    return _arns(doc for doc, _ in view.documents(Kind.ACCOUNT, "sts:GetCallerIdentity"))


def _arns(documents: Iterable[Any]) -> tuple[str, ...]:
    found = {str(doc["Arn"]) for doc in documents if isinstance(doc, dict) and doc.get("Arn")}
    return tuple(sorted(found))


@dataclass(frozen=True)
class OwnCalls:
    """The rule above for one case: who collected it and when. `where` is the rule as a
    condition on `trail_events`, with its parameters, for those who count or leave out the
    collector's calls in DuckDB (the report's timeline); None when the case has no collect
    run of its own (nothing is the collector's)."""

    arns: tuple[str, ...]
    runs: tuple[CollectionRun, ...]

    def where(self) -> tuple[str, list[Any]] | None:
        if not self.arns or not self.runs:
            return None
        spans = " OR ".join("event_time BETWEEN ? AND ?" for _ in self.runs)
        bounds = [
            t.replace(tzinfo=None)
            for run in self.runs
            for t in (run.start - SLACK, run.end + SLACK)
        ]
        sql = (
            "(list_contains(?, actor_arn) AND regexp_matches(coalesce(event_name, ''), ?) "
            f"AND contains(coalesce(user_agent, ''), ?) AND ({spans}))"
        )
        return sql, [list(self.arns), READ_CALL, USER_AGENT, *bounds]


def own_calls(case: Case) -> OwnCalls:
    """This case's collector calls' rule, read from its manifest and custody."""
    documents = (
        case.read_json(entry.path)
        for entry in case.entries()
        if entry.kind == Kind.ACCOUNT.value
        and entry.api == "sts:GetCallerIdentity"
        and entry.error is None
        and entry.path
    )
    entries = [e for _, _, e in read_entries(case.root / CUSTODY) if e is not None]
    return OwnCalls(_arns(documents), _runs(entries))


def own_event_ids(view: CaseView) -> frozenset[str]:
    """CloudTrail event ids that are this case's own calls: the collector's (the rule above)
    and the changes `contain` made and undid here (`own_change_ids`)."""
    rule = own_calls(view.case).where()
    found: set[str] = set(own_change_ids(view))
    if rule is not None:
        sql, params = rule
        rows = view.index.execute(f"SELECT event_id FROM trail_events WHERE {sql}", params)  # noqa: S608
        found.update(str(row[0]) for row in rows.fetchall())
    return frozenset(found)


# Custody's records of the calls `contain` made (and its undo), each naming its API.
_CHANGES = ("contain-call", "contain-undo-call")


def own_change_ids(view: CaseView) -> frozenset[str]:
    """CloudTrail event ids of the changes `contain` (or its undo) made in this case: a
    collection after containing brings them in, and they are the responder's, not an
    intruder's. A CloudTrail call is one when ALL of these hold: a custody `contain-call`
    or `contain-undo-call` names its operation, its caller's ARN and its region (records
    made before they named a caller match nothing), and the resource it acted on (the
    function, role, key or mapping its parameters name); it was made between the record's
    `called_at` and the record (each widened by `SLACK`: a configuration update waits for
    Lambda up to a minute before it is recorded); it succeeded; and its user agent names
    `lambda-ir/`. Another identity's change, even one sending our user agent at that very
    minute, or a change of another resource, is still reported."""
    found: set[str] = set()
    for entry in _custody(view):
        details = entry.details
        caller, region = details.get("caller"), details.get("region")
        if entry.action not in _CHANGES or not (isinstance(caller, str) and caller):
            continue
        operation = str(details.get("api", "")).partition(":")[2]
        raw = details.get("params")
        params: dict[str, Any] = raw if isinstance(raw, dict) else {}
        sent = details.get("called_at")
        start = _when(sent if isinstance(sent, str) else entry.time) - SLACK
        end = _when(entry.time) + SLACK
        sql = _CHANGE_SQL
        values: list[Any] = [operation, caller, USER_AGENT]
        # IAM is global: CloudTrail logs its calls in us-east-1, whatever the function's region
        if not str(details.get("api", "")).startswith("iam:"):
            sql += " AND aws_region = ?"
            values.append(str(region or ""))
        sql += " AND event_time BETWEEN ? AND ?"
        values += [start.replace(tzinfo=None), end.replace(tzinfo=None)]
        for key, value in params.items():  # what it acted on and the values it sent
            if key == "FunctionName":
                sql += " AND coalesce(function_name, '') = ?"
                values.append(str(value).rsplit(":function:", 1)[-1].split(":")[0])
            elif _PARAM.fullmatch(key) and (
                key in _RESOURCE_PARAMS or isinstance(value, bool | int)
            ):
                # as CloudTrail names and writes it: `roleName`, `uUID`; `0`, `false`
                sql += f" AND request_parameters->>'$.{key[0].lower()}{key[1:]}' = ?"
                values.append(str(value).lower() if isinstance(value, bool) else str(value))
        # one record, one call: the nearest such event to when it was sent, not every like
        # call of that minute (one by the responder's stolen keys would hide behind it)
        sql += " ORDER BY abs(epoch(event_time) - epoch(?::TIMESTAMP)), event_id LIMIT 1"
        values.append(_when(sent if isinstance(sent, str) else entry.time).replace(tzinfo=None))
        found.update(str(row[0]) for row in view.index.execute(sql, values).fetchall())
    return frozenset(found)


_CHANGE_SQL = (
    "SELECT event_id FROM trail_events WHERE operation = ? AND actor_arn = ? "
    "AND error_code IS NULL AND contains(coalesce(user_agent, ''), ?)"
)
# Parameters that name what a `contain` call acted on besides a function (CloudTrail logs
# each with its first letter lowered: `roleName`, `accessKeyId`, `uUID`).
_RESOURCE_PARAMS = ("RoleName", "UserName", "AccessKeyId", "UUID", "PolicyName")
_PARAM = re.compile(r"[A-Za-z][A-Za-z0-9]*")  # a key read from custody, before it is in SQL


def _event_ids(finding: Finding) -> list[str]:
    ids = finding.details.get("event_ids") or [finding.details.get("event_id")]
    return [str(i) for i in ids if i]


# Detectors whose findings report a version's state and cite the call it is credited to,
# not the call as such: never left out for the call being ours (our call may be the one
# nearest a change someone else made).
_ATTRIBUTED = ("LIR-CHG-",)


def is_own(finding: Finding, own: frozenset[str]) -> bool:
    """True when every CloudTrail event a finding reports is one of the collector's own.
    A finding that names lambda-ir's `runtime attach` as the call's maker (`LIR-CT-003`,
    `details.runtime_attach`) stays, though custody's `contain-call` makes the call ours:
    the collector layer stays on the function, and the responder sees that change on the
    timeline and in the report as theirs, not as nobody's."""
    if finding.detector.startswith(_ATTRIBUTED) or finding.details.get("runtime_attach"):
        return False
    ids = _event_ids(finding)
    return finding.actor is not None and bool(ids) and all(i in own for i in ids)


def without_own(view: CaseView, findings: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(findings kept, findings that only report the collector's own calls)."""
    if not any(_event_ids(f) for f in findings):
        return list(findings), []
    own = own_event_ids(view)
    if not own:  # no collect run of this case's own: nothing to leave out
        return list(findings), []
    kept = [f for f in findings if not is_own(f, own)]
    dropped = [f for f in findings if is_own(f, own)]
    return kept, dropped


def attached_layers(view: CaseView) -> dict[str, OwnLayer]:
    """Collector layer versions `runtime attach --apply` attached in this case (or in a case
    named with `analyze --attached-in`), by ARN."""
    out: dict[str, OwnLayer] = {}
    for entry in _custody(view, others=True):
        layer, sha = entry.details.get("layer"), entry.details.get("code_sha256")
        if entry.action == "runtime-attach-done" and layer and sha:
            files = entry.details.get("files") or []
            out[str(layer)] = OwnLayer(
                str(layer),
                str(sha),
                f"{entry.user}@{entry.host}",
                entry.time,
                tuple(str(f) for f in files if isinstance(f, str)),
            )
    return out


def own_layer(view: CaseView, arns: Iterable[str], *, uncollected: bool = False) -> OwnLayer | None:
    """The first of `arns` that is really lambda-ir's layer: attached here, same CodeSha256.
    With `uncollected`, a recorded layer version the case holds no copy of counts too: the
    case that attached never collects it (`runtime attach` collects the function before it
    publishes, and `collect` does not fetch a call again), yet custody recorded the version
    and its hash. A copy collected with another CodeSha256 is never ours."""
    attached = attached_layers(view)
    if not attached:
        return None
    collected = {layer.arn: layer.code_sha256 for layer in view.layers}
    for arn in arns:
        own = attached.get(arn)
        if own is None:
            continue
        sha = collected.get(arn)
        if sha == own.code_sha256 or (uncollected and sha is None):
            return own
    return None


def _b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def own_layer_code(view: CaseView, arns: Iterable[str]) -> OwnLayer | None:
    """`own_layer`, and the package collected for it is those very bytes: the stored blob's
    SHA-256 is the CodeSha256 `runtime attach` recorded. Code read from any other blob (a
    rebuilt look-alike, a layer never attached here) is not ours, whatever it contains."""
    own = own_layer(view, arns)
    if own is None:
        return None
    blob = next((layer.blob for layer in view.layers if layer.arn == own.arn), None)
    return own if blob is not None and _b64(blob.sha256) == own.code_sha256 else None


def own_package(view: CaseView, package: Package) -> OwnLayer | None:
    """The collector layer a package is, when its layer version is one `own_layer_code`
    proves is lambda-ir's; None for function code and every other layer. A byte-identical
    copy of our layer published under another ARN (with its own LAMBDA_IR_BUCKET,
    exfiltrating) is a package of its own (`CaseView.packages`), judged by its own ARN."""
    if package.kind != "layer" or not package.layer or not attached_layers(view):
        return None
    return own_layer_code(view, [package.layer])


@dataclass(frozen=True)
class LayerCall:
    """A CloudTrail call that set a function's layers, as `attach_calls` judges it."""

    event_id: str
    function_name: str
    layers: tuple[str, ...]
    time: str | None
    caller: str  # the caller's ARN
    user_agent: str


def _attach_entries(view: CaseView) -> list[CustodyEntry]:
    """Custody's applied `runtime-attach` calls (this case or `--attached-in`)."""
    return [
        entry
        for entry in _custody(view, others=True)
        if entry.action == "contain-call"
        and entry.details.get("action") == "runtime-attach"
        and entry.details.get("status") == "applied"
        and isinstance(entry.details.get("params"), dict)
    ]


def attach_calls(view: CaseView, calls: Sequence[LayerCall]) -> dict[str, OwnLayer]:
    """The collector layer, by event id, for the CloudTrail calls that are `runtime attach`'s
    own UpdateFunctionConfiguration: made by an identity that collected this case
    (`collector_arns`) with lambda-ir's user agent, and matching an applied `runtime-attach`
    custody entry (same function, exactly these layers, within `SLACK`) that lists one of
    lambda-ir's own layers (`own_layer`). Each custody entry excuses only its single nearest
    matching event: anyone else, or a repeat of our call, is not this call. The layer need
    not be collected (the attaching case never holds it); one collected must be ours."""
    arns = set(collector_arns(view))
    ours = [
        c for c in calls if c.time and c.layers and c.caller in arns and USER_AGENT in c.user_agent
    ]
    out: dict[str, OwnLayer] = {}
    for entry in _attach_entries(view) if ours else ():
        params, at = entry.details["params"], _when(entry.time)
        near = [
            c
            for c in ours
            if c.event_id not in out
            and params.get("FunctionName") == c.function_name
            and list(params.get("Layers") or []) == list(c.layers)
            and abs(_when(str(c.time)) - at) <= SLACK
        ]
        best = min(near, key=lambda c: abs(_when(str(c.time)) - at), default=None)
        own = own_layer(view, best.layers, uncollected=True) if best is not None else None
        if best is not None and own is not None:
            out[best.event_id] = own
    return out


def named_like_ours(arn: str) -> bool:
    """A layer named like lambda-ir's collector (a look-alike unless `own_layer` says ours)."""
    parts = arn.split(":")
    return len(parts) >= 7 and parts[5] == "layer" and bool(re.fullmatch(r"lambda-?ir.*", parts[6]))
