"""CloudTrail events as typed rows for detectors, selected from `trail_events` with SQL.

Detectors pass a constant WHERE clause and bind every value as a parameter; nothing from the
trail is ever pasted into SQL text.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from lambda_ir.analyze.baseline_tools import principal_of
from lambda_ir.analyze.detector import DetectorInfo, make_finding
from lambda_ir.analyze.unknowns import time_span
from lambda_ir.evidence.index_schema import FOREIGN_CALLER_SQL
from lambda_ir.evidence.index_trail import literal_path, record_files, records_query
from lambda_ir.model import Actor, EvidenceRef, Finding, FunctionRef, Severity, foreign_caller

if TYPE_CHECKING:
    import duckdb

    from lambda_ir.analyze.caseview import CaseView

COLUMNS = (
    "event_id, event_time, operation, event_name, account, aws_region, actor_arn, actor_type, "
    "actor_name, access_key_id, session_issuer_arn, source_ip, user_agent, function_name, "
    "qualifier, request_parameters, response_elements, evidence_path, evidence_sha256"
)

# Who acted, at the level findings are grouped and baselines learn (`principal_of`): the role
# for a role session, the user, the service, or the access key.
PRINCIPAL = (
    "CASE WHEN coalesce(actor_type, '') = 'AWSService' "
    "THEN 'service:' || coalesce(nullif(actor_name, ''), 'unknown') "
    "WHEN coalesce(session_issuer_arn, '') <> '' THEN session_issuer_arn "
    "WHEN coalesce(actor_arn, '') <> '' THEN actor_arn "
    f"WHEN {FOREIGN_CALLER_SQL} IS NOT NULL THEN {FOREIGN_CALLER_SQL} "
    "WHEN coalesce(access_key_id, '') <> '' THEN 'key:' || access_key_id ELSE 'unknown' END"
)
HUMAN_TYPES = frozenset({"IAMUser", "Root", "FederatedUser"})
PEOPLE_TYPES = frozenset({"Root", "FederatedUser"})  # never a pipeline's (`is_person_only`)
SSO_ROLE = "AWSReservedSSO_"  # an IAM Identity Center session's role name
# Deployment tools: changes they make are releases, whoever's keys they run with.
DEPLOY_TOOLS = (
    r"terraform|pulumi|cloudformation|aws-sam-cli|serverless|aws-cdk|\bcdk\b|ansible|"
    r"copilot|chalice|zappa|sst/|crossplane"
)
DEPLOY_TOOL = re.compile(DEPLOY_TOOLS, re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def is_deploy_tool(user_agent: str) -> bool:
    """The user agent is an infrastructure-as-code tool's: asked once per distinct agent (the
    search costs 10 µs; a trail holds few agents and hundreds of thousands of calls)."""
    return bool(DEPLOY_TOOL.search(user_agent))


class TrailRow(NamedTuple):
    """One CloudTrail event, as much of it as detectors read. A typed named tuple, not a
    frozen dataclass: made for every selected call, and a frozen dataclass's `__init__`
    (one `object.__setattr__` a field) took twice as long. Not JSON (orjson refuses a named
    tuple): a finding's details take the fields they report, never the row."""

    event_id: str
    time: str | None
    operation: str
    event_name: str
    account: str
    region: str
    actor: Actor
    actor_type: str
    actor_name: str
    function_name: str
    qualifier: str
    request: Mapping[str, Any]
    response: Mapping[str, Any]
    evidence: EvidenceRef

    @property
    def function_arn(self) -> str:
        """The function the call was about (qualified when the call was); `lambda_resource`."""
        return lambda_resource(self.account, self.region, self.function_name, self.qualifier)

    @property
    def function_label(self) -> str:
        """The function for a sentence: its name, or that the record names none (a record
        without functionName, or with one that is not text)."""
        return self.function_name or "a function the record does not name"

    @property
    def by_deploy_tool(self) -> bool:
        """The call came from an infrastructure-as-code tool (Terraform, CDK, SAM, …)."""
        return is_deploy_tool(self.actor.user_agent)

    @property
    def principal(self) -> str:
        """Who acted, as baselines learn and findings group it (`principal_of`): the role for a
        role session, else the user, the service or the access key."""
        actor = self.actor
        return principal_of(
            self.actor_type, actor.arn, actor.session_issuer, self.actor_name, actor.access_key_id
        )

    @property
    def is_human(self) -> bool:
        """A person rather than a pipeline: IAM user, root, federated, or an SSO session."""
        return self.actor_type in HUMAN_TYPES or SSO_ROLE in self.actor.arn

    @property
    def is_person_only(self) -> bool:
        """An identity only people hold: root, a federation token, an SSO session (an IAM
        user's keys may sit in a pipeline)."""
        return self.actor_type in PEOPLE_TYPES or SSO_ROLE in self.actor.arn


@functools.lru_cache(maxsize=65536)
def lambda_resource(account: str, region: str, function: str, qualifier: str = "") -> str:
    """What a Lambda call was about: the function's ARN (qualified when given), or for a call
    on no function (PublishLayerVersion) the account's Lambda in the region,
    `arn:aws:lambda:REGION:ACCOUNT`: never a nameless function for incidents and `contain`.
    Memoised: a few thousand functions, asked for each of hundreds of thousands of findings,
    which then share one string each."""
    if not function:
        return f"arn:aws:lambda:{region}:{account}"
    return FunctionRef(account, region, function, qualifier or None).arn


def iso(value: Any) -> str | None:
    """A trail timestamp as ISO-8601 UTC with a trailing Z."""
    if isinstance(value, datetime):
        if value.tzinfo is None:  # DuckDB's TIMESTAMP (UTC): isoformat is C, strftime parses
            return value.isoformat(timespec="seconds") + "Z"
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value) if value else None


def _json(value: Any) -> Mapping[str, Any]:
    if not value:
        return {}
    parsed = orjson.loads(value) if isinstance(value, str | bytes) else value
    # a JSON object is a dict: the exact type first (the Mapping check is an ABC's, slower)
    return parsed if type(parsed) is dict or isinstance(parsed, Mapping) else {}


def select_events(
    view: CaseView, where: str, params: Sequence[Any] = (), *, limit: int | None = None
) -> list[TrailRow]:
    """Events of `trail_events` matching a constant `where` clause with bound `params`,
    oldest first (only the first `limit`, when given)."""
    sql = f"SELECT {COLUMNS} FROM trail_events WHERE {where} ORDER BY event_time, event_id"  # noqa: S608
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    rows = view.index.execute(sql, list(params)).fetchall()
    return [row_of(values) for values in rows]


def select_records(
    view: CaseView, where: str, params: Sequence[Any] = (), *, paths: Sequence[str] | None = None
) -> list[TrailRow]:
    """Like `select_events`, but `where` reads the raw `record` only (one scan of the trail
    artifacts, so use it only for what the columns cannot answer); only the artifacts at
    `paths` (case paths, as `evidence_path`) when given."""
    if paths is None:
        files = record_files(view.index, view.case.root)
    else:
        files = [literal_path(str(view.case.path(path))) for path in paths]
    if not files:
        return []
    sql = f"SELECT {COLUMNS} FROM ({records_query(where)}) ORDER BY event_time, event_id"  # noqa: S608
    with view.raw_scan() as index:
        rows = index.execute(sql, [files, *params]).fetchall()
    # An event its file holds twice comes back twice, side by side: keep one.
    return [
        row_of(values) for n, values in enumerate(rows) if n == 0 or values[0] != rows[n - 1][0]
    ]


GROUP_BATCH = 1000  # groups fetched from DuckDB at once
_HITS = "lir_hits"  # `select_groups`' selected events, while their groups are read
_LISTED = "evidence_path, evidence_sha256, operation, source_ip, access_key_id"  # by a group


class EventGroup(NamedTuple):
    """Events that one finding reports: the earliest as a row, and what the others add. A
    typed named tuple, made for every group, like `TrailRow`."""

    first: TrailRow
    extra: tuple[Any, ...]  # the earliest event's `extra` columns, in their order
    event_ids: tuple[str, ...]  # every event of the group, oldest first
    evidence: tuple[EvidenceRef, ...]  # each event's trail file, in the same order
    operations: tuple[str, ...]  # the distinct operations, sorted
    last: str | None  # the time of the latest event
    addresses: tuple[str, ...] = ()  # every distinct source address of the group, sorted
    access_keys: tuple[str, ...] = ()  # every distinct access key id of the group, sorted

    @property
    def size(self) -> int:
        """How many events the group holds."""
        return len(self.event_ids)


def select_groups(
    view: CaseView,
    where: str,
    params: Sequence[Any] = (),
    *,
    by: str,
    join: str = "",
    extra: str = "",
    bodies: bool = True,
    gap_hours: int | None = None,
) -> Iterator[EventGroup]:
    """Events of `trail_events` (optionally `join`ed to a table such as `lir_novelty`) that
    match `where`, grouped in DuckDB by the constant expressions `by`; one `EventGroup` per
    group, ordered by its earliest event. Only the groups reach Python, never each event.
    `extra` names further columns (of the join) to return for each group's earliest event;
    without `bodies` the rows' request and response are left empty (not read nor parsed).
    With `gap_hours` a group is also one session: like events no more than that apart (a
    window function numbers the sessions), so a day-20 call is not merged into day 12's.
    Each group carries every distinct source address and access key of its events.
    `params` are bound in the order of the query's text: `extra`'s, `by`'s, `join`'s, then
    `where`'s (`LIR-CT-004` binds its join's values before its where's)."""
    more = f", {extra}" if extra else ""
    # The selected events are kept without their requests and responses: only the groups'
    # earliest rows read them, from `trail_events` at the end. Selected with them, they were
    # the side of `join` DuckDB holds in memory (10,000 calls of 12 KB ran out at 160 MB).
    columns = COLUMNS.replace("request_parameters,", "NULL AS request_parameters,").replace(
        "response_elements,", "NULL AS response_elements,"
    )
    with_bodies, body_join = "", ""
    if bodies:  # the earliest rows' own, read by event id: the selected calls stay narrow
        with_bodies = (
            "REPLACE (body.request_parameters AS request_parameters, "
            "body.response_elements AS response_elements)"
        )
        body_join = "JOIN trail_events AS body ON body.event_id = firsts.lir_first"
    order = "ORDER BY event_time, event_id"
    # What the groups are made of: the events' group key (`by` as one struct) and what each
    # group lists of them, not their requests and responses, which only the earliest's row
    # reads (joined at the end): carried through the window functions, they ran out of
    # ANALYSIS_MEMORY with large requests.
    narrow = f"event_id, event_time, {_LISTED}, lir_key"
    sessions = f"SELECT {narrow}, 0 AS lir_session FROM {_HITS}"  # noqa: S608
    if gap_hours is not None:  # a new session where the last like event is over the gap ago
        sessions = f"""
      SELECT *, sum(lir_break) OVER (PARTITION BY lir_key {order}) AS lir_session FROM (
        SELECT {narrow}, CASE WHEN event_time - lag(event_time) OVER (PARTITION BY lir_key
          {order}) > INTERVAL '{int(gap_hours)} hours' THEN 1 ELSE 0 END AS lir_break
        FROM {_HITS})"""  # noqa: S608
    # A group's events as one list of structs sorted once (by time, then id: the struct's
    # field order), not three lists each aggregated in order; the distinct values as lists
    # made distinct afterwards (`list_distinct`), not DISTINCT aggregates: DuckDB plans each
    # of those as two more groupings and a join of the hits, which made the query spill. A
    # group of one event (most of them) is neither aggregated nor sorted: `lir_n` counts a
    # group's events, and a group of one has no lists (the query took 0.47 s for 52,645
    # groups of 71,206 calls, 0.30 s this way). The row after the groups, `lir_end`, tells a
    # complete result from one another query ended early. The selected events are a table
    # first, dropped once read (an abandoned read leaves it to the next, or to
    # `close_index`): a CTE of them, materialized or not, ran out of ANALYSIS_MEMORY at 3M
    # events, where a table spills.
    sql = f"""
    WITH sessions AS (
      SELECT *, count(*) OVER (PARTITION BY lir_key, lir_session) AS lir_n FROM ({sessions})
    ),
    groups AS (
      SELECT list_sort(list({{'time': event_time, 'id': event_id, 'path': evidence_path,
          'sha': evidence_sha256}})) AS lir_events,
        -- a NULL operation as '' (sorted first, where list(DISTINCT) put NULL last): every
        -- caller's `where` names its operations, so none reaches a group
        list_sort(list_distinct(list(coalesce(operation, '')))) AS lir_ops,
        max(event_time) AS lir_last,
        list_sort(list_distinct(list(source_ip) FILTER (WHERE coalesce(source_ip, '') <> '')))
          AS lir_ips,
        list_sort(list_distinct(
          list(access_key_id) FILTER (WHERE coalesce(access_key_id, '') <> ''))) AS lir_keys
      FROM sessions WHERE lir_n > 1 GROUP BY lir_key, lir_session
    ),
    firsts AS (
      SELECT lir_events[1].id AS lir_first, [e.id FOR e IN lir_events] AS lir_ids,
        [e.path FOR e IN lir_events] AS lir_paths, [e.sha FOR e IN lir_events] AS lir_shas,
        lir_ops, lir_last, lir_ips, lir_keys
      FROM groups
      UNION ALL
      -- a group of one: no lists (`_group` makes them of its row: Python converted six)
      SELECT event_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM sessions WHERE lir_n = 1
    )
    SELECT * FROM (
      SELECT false AS lir_end, hits.* EXCLUDE (lir_key) {with_bodies}, lir_ids, lir_paths,
        lir_shas, lir_ops, lir_last, lir_ips, lir_keys
      FROM firsts JOIN {_HITS} AS hits ON hits.event_id = firsts.lir_first {body_join}
      UNION ALL BY NAME SELECT true AS lir_end
    )
    ORDER BY lir_end, event_time, event_id
    """  # noqa: S608
    width = len(COLUMNS.split(","))
    # Groups reach Python a batch at a time and become values one at a time, as the detector
    # turns each into a finding. A query on the index meanwhile would end this result early
    # without a word: a result without its end row is an error instead.
    index = view.index
    index.execute(
        f"CREATE OR REPLACE TEMP TABLE {_HITS} AS SELECT {columns}{more}, "  # noqa: S608
        f"row({by}) AS lir_key FROM trail_events {join} WHERE {where}",
        list(params),
    )
    result = index.execute(sql)
    read, ended = 0, False
    for batch in read_batches(result, GROUP_BATCH, "groups"):
        ended = batch[-1][0]
        groups = batch[:-1] if ended else batch
        read += len(groups)
        yield from (_group(values[1:], width) for values in groups)
    if not ended:
        raise RuntimeError(
            f"the index was queried while groups were read: the result ended after {read}"
        )
    index.execute(f"DROP TABLE {_HITS}")


def read_batches(
    result: duckdb.DuckDBPyConnection, size: int, what: str
) -> Iterator[list[tuple[Any, ...]]]:
    """A query's rows `size` at a time. A batch with other columns is another query's rows
    (the index was queried meanwhile, which ends this result): an error naming `what`."""
    width = len(result.description or ())
    while batch := result.fetchmany(size):
        if len(batch[0]) != width:
            raise RuntimeError(f"the index was queried while {what} were read")
        yield batch


def _group(values: tuple[Any, ...], width: int) -> EventGroup:
    """One row of `select_groups`' query as an `EventGroup` (DuckDB gives str or None: no
    conversions beyond that, as 100k groups pay for each). A group of one event comes
    without lists: they are its row's."""
    ids, paths, shas, ops, last, ips, keys = values[-7:]
    first = row_of(values[:width])
    if ids is None:
        actor = first.actor
        return EventGroup(
            first,
            values[width:-7],
            (first.event_id,),
            (first.evidence,),
            (first.operation,),
            first.time,
            (actor.source_ip,) if actor.source_ip else (),
            (actor.access_key_id,) if actor.access_key_id else (),
        )
    return EventGroup(
        first,
        values[width:-7],
        tuple(ids),
        tuple(map(_evidence, paths, shas)),
        tuple(ops),
        iso(last),
        tuple(ips or ()),
        tuple(keys or ()),
    )


def row_of(values: tuple[Any, ...]) -> TrailRow:
    """A `TrailRow` from the COLUMNS of a `trail_events` row, in their order (VARCHAR columns:
    DuckDB gives str or None). The row is made by position (`_make`, in TrailRow's field
    order): by keywords it took a fifth longer, for every selected call."""
    (event_id, event_time, operation, event_name, account, region, actor_arn, actor_type) = values[
        :8
    ]
    (actor_name, key_id, issuer, source_ip, user_agent, function_name, qualifier) = values[8:15]
    request, response, path, sha256 = values[15:]
    kind, arn, name = actor_type or "", actor_arn or "", actor_name or ""
    intern = sys.intern
    actor = Actor(
        arn=arn,
        type=kind,
        access_key_id=key_id or "",
        session_issuer=intern(issuer or ""),
        source_ip=source_ip or "",
        user_agent=intern(user_agent or ""),
        caller=foreign_caller(kind, arn, name),
    )
    return TrailRow._make(
        (
            event_id or "",
            iso(event_time),
            operation or "",
            event_name or "",
            intern(account or ""),
            intern(region or ""),
            actor,
            kind,
            name,
            function_name or "",
            qualifier or "",
            _json(request),
            _json(response),
            _evidence(path, sha256),
        )
    )


def _shared(value: Any) -> str:
    """A value of few distinct values that findings keep (account, region, role, user agent,
    trail file) as one shared string: 100k findings kept 100k copies of each."""
    return sys.intern(str(value or ""))


@functools.lru_cache(maxsize=65536)
def _evidence(path: Any, sha256: Any) -> EvidenceRef:
    """A trail file as evidence: a few hundred files, one shared `EvidenceRef` each for the
    hundreds of thousands of events and findings citing them."""
    return EvidenceRef(_shared(path), _shared(sha256))


def event_finding(
    info: DetectorInfo,
    row: TrailRow,
    *,
    summary: str,
    severity: Severity | None = None,
    resource: str | None = None,
    details: dict[str, Any] | None = None,
    extra_evidence: tuple[EvidenceRef, ...] = (),
) -> Finding:
    """A finding about one CloudTrail event: its function (unless `resource` says otherwise),
    account, region, time, actor and trail file; the event id is the finding's key."""
    return make_finding(
        info,
        resource=resource or row.function_arn,
        account=row.account,
        region=row.region,
        severity=severity,
        key=row.event_id,
        time=row.time,
        actor=row.actor,
        evidence=(row.evidence, *extra_evidence),
        summary=summary,
        details={"event_id": row.event_id, **(details or {})},
    )


def group_finding(
    info: DetectorInfo,
    group: EventGroup,
    *,
    summary: str,
    severity: Severity | None = None,
    resource: str | None = None,
    details: dict[str, Any] | None = None,
) -> Finding:
    """A finding about like events (same detector, actor, function, kind of change): the
    earliest event's finding, citing every event's trail file; with more than one event the
    summary says how many and over what span, and `details` lists them (`events`, `last`,
    `event_ids`) and every distinct address and access key of them (`source_ips`,
    `access_keys`, which incidents and `contain` read), so a thousand identical calls are
    one finding, not a thousand."""
    first = group.first
    if group.size > 1:
        summary += f" Seen {group.size} times{time_span(first.time, group.last)}."
        details = {
            **(details or {}),
            "events": group.size,
            "last": group.last,
            "event_ids": list(group.event_ids),
            "source_ips": list(group.addresses),
            "access_keys": list(group.access_keys),
        }
    return event_finding(
        info,
        first,
        summary=summary,
        severity=severity,
        resource=resource,
        details=details,
        extra_evidence=group.evidence[1:],
    )
