"""The baseline's verdict on every successful Lambda call at once, computed in DuckDB.

`baseline.Baseline.judge` decides one event at a time in Python: on a million events building
the baseline and judging each write took minutes. Here the same rules run as a few queries
into the TEMP table `lir_novelty` (one row per successful `lambda.amazonaws.com` call, keyed
by `event_id`), which detectors join to select and group; only the rows that become findings
are turned into `Novelty` values (`novelty_of`). Tool families and networks come from the
same functions as the Python baseline, called once per distinct user agent and per distinct
non-IPv4 address (a dotted IPv4 address's /24 is computed in SQL).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import duckdb
import orjson

from lambda_ir.analyze.baseline import (
    DORMANT_DAYS,
    ESTABLISHED_DAYS,
    HOUR_SLACK,
    MIN_HISTORY_DAYS,
    PINNED_DAYS,
    PINNED_STRAYS,
    ROAMING_DAYS,
    ROAMING_NETWORKS,
    Novelty,
    novelty_from,
    writes_sql,
)
from lambda_ir.analyze.baseline_tools import (
    INTERNAL_NETWORK,
    MACHINE_TOOLS,
    SERVICE_SQL,
    VIA_SERVICE,
    network_of,
    tool_family,
)
from lambda_ir.analyze.trail_rows import (
    COLUMNS,
    DEPLOY_TOOL,
    HUMAN_TYPES,
    PEOPLE_TYPES,
    PRINCIPAL,
    SSO_ROLE,
    TrailRow,
    read_batches,
    row_of,
)
from lambda_ir.evidence.index_values import bulk_insert

if TYPE_CHECKING:
    from lambda_ir.analyze.caseview import CaseView

NOVELTY_TABLE = "lir_novelty"
# The columns of `lir_novelty` that `novelty_of` reads, in its order.
NOVELTY_COLUMNS = (
    "timed, service, history, known, prior, principal, network, address, net_known, tool, "
    "tool_known, hm, hours_known, idle, function, function_seen, roaming, writes, pinned"
)
# One row's verdict as `novelty_of` reads it, as one JSON object (NOVELTY_COLUMNS' values in
# their order, NULL for a call `lir_novelty` lacks): what the verdict does not read is null
# (the address when the network was known, the hour when usual, ...), so like verdicts are
# the same text (equal text is always an equal verdict; two texts may be one verdict), and a
# detector reads one value a call where it read eighteen (`verdict_of`, once a text). A
# value is nulled only where its condition is TRUE: NULL keeps it, and `novelty_of` reads the
# same verdict either way (a hypothesis test over DuckDB holds the two to NULLs and to the
# values each condition turns on).
_OFF_PATH = f"NOT timed OR service OR history < {MIN_HISTORY_DAYS}"  # reads 4 columns only
# Each column, and when `novelty_of` does not read it (besides off the judged path).
_UNREAD = (
    ("timed", ""),
    ("service", ""),
    ("history", ""),
    ("known", "false"),
    ("prior", "known"),
    ("principal", ""),
    ("network", "net_known OR roaming <> 0"),
    ("address", "net_known OR roaming <> 0"),
    ("net_known", "false"),
    ("tool", "tool_known"),
    ("tool_known", "false"),
    ("hm", "hours_known"),
    ("hours_known", "false"),
    ("idle", f"idle < {DORMANT_DAYS}"),
    ("function", "NOT known OR function_seen"),
    ("function_seen", "false"),
    ("roaming", "net_known"),
    ("writes", "known"),
    ("pinned", "net_known OR roaming <> 0"),
)
VERDICT_SQL = (
    "CASE WHEN timed IS NULL THEN NULL ELSE to_json({"
    + ", ".join(
        f"'{name}': "
        + (f"CASE WHEN {_OFF_PATH} OR {unread} THEN NULL ELSE {name} END" if unread else name)
        for name, unread in _UNREAD
    )
    + "}) END"
)
if ", ".join(name for name, _ in _UNREAD) != NOVELTY_COLUMNS:
    raise TypeError("VERDICT_SQL must give NOVELTY_COLUMNS in their order (novelty_of)")
# The network counts as new: not established, and its principal does not roam.
_NEW_NET = "(NOT net_known AND roaming = 0)"
# A verdict that raises severity: judged, not a service, and something strong was new.
# A verdict the baseline could give: timed, not a service, with enough history before it.
JUDGED_SQL = f"timed AND NOT service AND history >= {MIN_HISTORY_DAYS}"
STRONG_SQL = (
    f"{JUDGED_SQL} AND (NOT known OR {_NEW_NET} "
    f"OR NOT tool_known OR NOT hours_known OR coalesce(idle, 0) >= {DORMANT_DAYS})"
)
# `Novelty.established` in SQL (false for a call without a verdict: NULL columns).
ESTABLISHED_SQL = f"coalesce(service OR ({JUDGED_SQL} AND NOT ({STRONG_SQL})), false)"


def done_before(novelty: str, where: str, alike: str = "") -> str:
    """A join giving each call that matches `where` the column `lir_done_before`: whether its
    principal (as the baseline names it) had made a call matching `where` (and alike by the
    expressions `alike`) on an earlier day. An established path vouches only for an act its
    principal did before (`LIR-CT-001`'s grants, `LIR-CT-002`'s public URLs)."""
    by = f", {alike}" if alike else ""
    return f"""LEFT JOIN (
      SELECT event_id, min(CAST(event_time AS DATE)) OVER (PARTITION BY principal, account{by})
          < CAST(event_time AS DATE) AS lir_done_before
      FROM trail_events JOIN {novelty} USING (event_id) WHERE {where}
    ) AS lir_before USING (event_id)"""  # noqa: S608 - our own table and conditions


# What a verdict's severity and wording depend on: group by these to keep one verdict a group.
VERDICT_KIND = (
    f"timed, service, history >= {MIN_HISTORY_DAYS}, known, {_NEW_NET}, tool_known, "
    f"hours_known, coalesce(idle, 0) >= {DORMANT_DAYS}, function_seen, {_NEW_NET} AND pinned"
)
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = f"{_OCTET}(\\.{_OCTET}){{3}}"
# `TrailRow.is_human` and `by_deploy_tool` as columns (`human`, `deploy_tool`) of each row.
_HUMANS = "(" + ", ".join(f"'{kind}'" for kind in sorted(HUMAN_TYPES)) + ")"
_PEOPLE = "(" + ", ".join(f"'{kind}'" for kind in sorted(PEOPLE_TYPES)) + ")"
_MACHINE = "(" + ", ".join(f"'{tool}'" for tool in MACHINE_TOOLS) + ")"
_LAMBDA = "event_source = 'lambda.amazonaws.com' AND error_code IS NULL"
_SERVICE = SERVICE_SQL.replace("actor_type", "e.actor_type").replace(
    "session_issuer_arn", "e.session_issuer_arn"
)

_EVENTS = f"""
CREATE OR REPLACE TEMP TABLE lir_events AS
SELECT e.event_id, e.event_time, CAST(e.event_time AS DATE) AS day, hour(e.event_time) AS hour,
  coalesce(e.account, '') AS account,
  {_SERVICE} AS service,  -- `baseline_tools.is_service`
  (NOT {_SERVICE}  -- `baseline_tools.via_service`
   AND regexp_matches(coalesce(e.source_ip, ''), '{VIA_SERVICE}')) AS via,
  {PRINCIPAL} AS who,
  coalesce(e.source_ip, '') AS source_ip,
  CASE WHEN regexp_full_match(coalesce(e.source_ip, ''), '{_IPV4}')
       THEN regexp_replace(e.source_ip, '\\.[0-9]+$', '.0/24') ELSE n.network END AS network,
  u.tool, u.deploy AS deploy_tool, coalesce(e.function_name, '') AS function,
  (coalesce(e.actor_type, '') IN {_HUMANS}
   OR contains(coalesce(e.actor_arn, ''), '{SSO_ROLE}')) AS human,
  (coalesce(e.actor_type, '') IN {_PEOPLE}  -- `TrailRow.is_person_only`
   OR contains(coalesce(e.actor_arn, ''), '{SSO_ROLE}')) AS person,
  coalesce(e.user_agent, '') ILIKE '%lambda-ir%' AS own,
  {writes_sql("e.operation")} AS writes
FROM trail_events AS e
LEFT JOIN lir_networks AS n ON n.source_ip = coalesce(e.source_ip, '')
LEFT JOIN lir_tools AS u ON u.user_agent = coalesce(e.user_agent, '')
WHERE {_LAMBDA}
"""  # noqa: S608

# What each principal did on each day, once: the facts below are read from it. A table of its
# own, not a CTE: DuckDB planned the CTE's ten readers so that at 3M events (or 1M on ten
# threads) the query ran out of ANALYSIS_MEMORY instead of spilling.
_BASE = """
CREATE OR REPLACE TEMP TABLE lir_base AS
SELECT DISTINCT day, hour, account, service, who, network, tool, function, writes
FROM lir_events WHERE NOT own AND day IS NOT NULL
"""

# Distinct days each (scope, account, principal, label, value) was seen, as `Baseline._days`;
# for a principal's network, also the first day it changed Lambda from it (`written_at`, the
# days of `Baseline`'s ("w", account, principal, "net", network) key: a column of the same
# row, not rows of their own joined back to every call).
_FACTS = """
CREATE OR REPLACE TEMP TABLE lir_facts AS
WITH found AS (
  SELECT 'a' AS scope, account, '' AS who, '' AS label, '' AS value, day, false AS w
  FROM lir_base
  UNION ALL SELECT 'p', account, who, '', '', day, false FROM lir_base WHERE NOT service
  UNION ALL SELECT 'w', account, who, '', '', day, false FROM lir_base
    WHERE NOT service AND writes
  UNION ALL SELECT 'a', account, '', 'net', network, day, false FROM lir_base WHERE NOT service
  UNION ALL SELECT 'a', account, '', 'tool', tool, day, false FROM lir_base WHERE NOT service
  UNION ALL SELECT 'a', account, '', 'hour', CAST(hour AS VARCHAR), day, false FROM lir_base
    WHERE NOT service
  UNION ALL SELECT 'p', account, who, 'net', network, day, bool_or(writes) FROM lir_base
    WHERE NOT service GROUP BY account, who, network, day  -- a day once, however it acted
  UNION ALL SELECT 'p', account, who, 'tool', tool, day, false FROM lir_base WHERE NOT service
  UNION ALL SELECT 'p', account, who, 'hour', CAST(hour AS VARCHAR), day, false FROM lir_base
    WHERE NOT service
  UNION ALL SELECT 'f', account, who, 'function', function, day, false FROM lir_base
    WHERE NOT service AND function <> ''
)
SELECT scope, account, who, label, value, min(day) FILTER (WHERE w) AS written_at,
  -- a labelled value only needs its first days: "known" is seen on ESTABLISHED_DAYS before,
  -- a principal's network PINNED_DAYS (`lir_roam`)
  CASE WHEN label = '' THEN list(day ORDER BY day)
       WHEN label = 'net' THEN list(day ORDER BY day)[1:{pinned}]
       ELSE list(day ORDER BY day)[1:{keep}] END AS days
FROM (SELECT DISTINCT * FROM found) GROUP BY scope, account, who, label, value
""".replace("{keep}", str(ESTABLISHED_DAYS)).replace("{pinned}", str(PINNED_DAYS))


# Per principal and day it acted, how many IP networks it had used before that day, and on
# how many distinct first days (`Baseline._roaming`): the latest step of the principal's
# networks before the day (an ASOF join of its few thousand days, not of every event), which
# `_NOVELTY` joins by equality.
# Also, per principal and day, of the IP networks it had changed Lambda from before the day,
# how many, how many were established (seen on ESTABLISHED_DAYS days) and how many seen on
# PINNED_DAYS days: one of each is one established network alone, seen on PINNED_DAYS days
# (`Baseline._pinned`); a network counts from its first change on. Each count is its latest
# step before the day, by an ASOF join.
_ROAM = """
CREATE OR REPLACE TEMP TABLE lir_roam AS
WITH nets AS (
  SELECT account, who, days[1] AS first_at
  FROM lir_facts WHERE scope = 'p' AND label = 'net' AND contains(value, '/')
), written AS (
  SELECT account, who, written_at AS first_at,
    -- (DuckDB's greatest skips a NULL: a network not seen on that many days stays NULL)
    CASE WHEN days[{known}] IS NOT NULL THEN greatest(days[{known}], written_at) END
      AS known_at,
    CASE WHEN days[{pinned}] IS NOT NULL THEN greatest(days[{pinned}], written_at) END
      AS pinned_at
  FROM lir_facts
  WHERE scope = 'p' AND label = 'net' AND contains(value, '/') AND written_at IS NOT NULL
), steps AS (
  SELECT account, who, first_at AS at,
    -- a BIGINT, not sum's HUGEINT (a count of networks): DuckDB converts a HUGEINT to Python
    -- six times slower, and `CaseView.verdict` reads the column itself
    CAST(sum(count(*)) OVER (PARTITION BY account, who ORDER BY first_at) AS BIGINT) AS networks,
    row_number() OVER (PARTITION BY account, who ORDER BY first_at) AS days
  FROM nets GROUP BY account, who, first_at
), changed AS (
  SELECT account, who, first_at AS at,
    CAST(sum(count(*)) OVER (PARTITION BY account, who ORDER BY first_at) AS BIGINT) AS n
  FROM written GROUP BY account, who, first_at
), known AS (
  SELECT account, who, known_at AS at,
    CAST(sum(count(*)) OVER (PARTITION BY account, who ORDER BY known_at) AS BIGINT) AS n
  FROM written WHERE known_at IS NOT NULL GROUP BY account, who, known_at
), pinned AS (
  SELECT account, who, pinned_at AS at,
    CAST(sum(count(*)) OVER (PARTITION BY account, who ORDER BY pinned_at) AS BIGINT) AS n
  FROM written WHERE pinned_at IS NOT NULL GROUP BY account, who, pinned_at
), acted AS (SELECT DISTINCT account, who, day FROM lir_events WHERE day IS NOT NULL)
SELECT a.account, a.who, a.day, s.networks, s.days, coalesce(c.n, 0) AS changed_nets,
  coalesce(k.n, 0) AS known_nets, coalesce(p.n, 0) AS pinned_nets
FROM acted AS a
ASOF LEFT JOIN steps AS s ON s.account = a.account AND s.who = a.who AND a.day > s.at
ASOF LEFT JOIN changed AS c ON c.account = a.account AND c.who = a.who AND a.day > c.at
ASOF LEFT JOIN known AS k ON k.account = a.account AND k.who = a.who AND a.day > k.at
ASOF LEFT JOIN pinned AS p ON p.account = a.account AND p.who = a.who AND a.day > p.at
""".replace("{known}", str(ESTABLISHED_DAYS)).replace("{pinned}", str(PINNED_DAYS))


def _known(alias: str) -> str:
    """The joined fact was seen on ESTABLISHED_DAYS days before the event's: its days are
    sorted and distinct, so that many are before it when that one is."""
    return f"coalesce({alias}.days[{ESTABLISHED_DAYS}] < k.day, false)"


def _fact(alias: str, label: str, value: str) -> str:
    return (
        f"LEFT JOIN lir_facts AS {alias} ON {alias}.scope = k.scope AND {alias}.account = "
        f"k.account AND {alias}.who = k.scope_who AND {alias}.label = '{label}' "
        f"AND {alias}.value = {value}"
    )


# Usual hours are a window (`baseline.HOUR_SLACK`): the distinct days on which anything
# happened within the slack of an hour, per scope and hour of the day, from each hour's first
# ESTABLISHED_DAYS days (which still decides "on that many days"), its first few kept.
_NEAR = f"""
CREATE OR REPLACE TEMP TABLE lir_near AS
SELECT scope, account, who, hour, list(DISTINCT day ORDER BY day)[1:{ESTABLISHED_DAYS}] AS days
FROM (
  SELECT scope, account, who, (CAST(value AS INTEGER) + 24 - slack) % 24 AS hour,
    unnest(days) AS day
  FROM lir_facts, (SELECT unnest(range({-HOUR_SLACK}, {HOUR_SLACK + 1})) AS slack)
  WHERE label = 'hour'
)
GROUP BY scope, account, who, hour
"""  # noqa: S608

_NOVELTY = f"""
CREATE OR REPLACE TEMP TABLE {NOVELTY_TABLE} AS
WITH h AS (
  SELECT ev.*,
    len(list_filter(coalesce(a.days, []), lambda d: d < ev.day)) AS history,
    -- a change is vouched for by the days the principal changed Lambda, a read by any day
    list_filter(coalesce(p.days, []), lambda d: d < ev.day) AS prior_days
  FROM lir_events AS ev
  LEFT JOIN lir_facts AS a ON a.scope = 'a' AND a.label = '' AND a.account = ev.account
  LEFT JOIN lir_facts AS p ON p.scope = CASE WHEN ev.writes THEN 'w' ELSE 'p' END
    AND p.label = '' AND p.account = ev.account AND p.who = ev.who
), k AS (
  SELECT *, len(prior_days) >= {ESTABLISHED_DAYS} AS known,
    CASE WHEN len(prior_days) >= {ESTABLISHED_DAYS} THEN 'p' ELSE 'a' END AS scope,
    CASE WHEN len(prior_days) >= {ESTABLISHED_DAYS} THEN who ELSE '' END AS scope_who
  FROM h
)
SELECT k.event_id, k.day IS NOT NULL AS timed, k.service, k.history, k.known,
  len(k.prior_days) AS prior, k.who AS principal, k.network, k.source_ip AS address,
  -- a new principal through a service: its name is no network or tool (`Baseline.judge`)
  -- an established principal's change only from a network it changed Lambda from before
  ((k.via AND NOT k.known) OR ({_known("net")}
    AND (NOT (k.writes AND k.known) OR coalesce(net.written_at < k.day, false)))) AS net_known,
  k.tool,
  ((k.via AND NOT k.known) OR {_known("tool")}) AS tool_known,
  strftime(k.event_time, '%H:%M') AS hm,
  {_known("near")} AS hours_known,
  CASE WHEN len(k.prior_days) > 0 THEN k.day - k.prior_days[-1] END AS idle,
  k.function, coalesce(f.days[1] < k.day, false) AS function_seen,
  CASE WHEN k.known AND r.networks >= {ROAMING_NETWORKS} AND r.days >= {ROAMING_DAYS}
    THEN r.networks ELSE 0 END AS roaming, k.writes,
  -- a change with its usual machine tool, from a public IP network, by a principal that had
  -- changed Lambda from one established IP network alone before, seen on PINNED_DAYS days,
  -- and from at most PINNED_STRAYS others (`Baseline._pinned`)
  coalesce(k.known AND k.writes AND NOT k.person AND k.tool IN {_MACHINE} AND {_known("tool")}
    AND contains(k.network, '/') AND NOT regexp_matches(k.network, '{INTERNAL_NETWORK}', 'i')
    AND r.known_nets = 1 AND r.pinned_nets = 1 AND r.changed_nets <= {1 + PINNED_STRAYS}, false)
    AS pinned,
  k.deploy_tool, k.human
FROM k
LEFT JOIN lir_roam AS r ON r.account = k.account AND r.who = k.who AND r.day = k.day
{_fact("net", "net", "k.network")}
{_fact("tool", "tool", "k.tool")}
LEFT JOIN lir_near AS near ON near.scope = k.scope AND near.account = k.account
  AND near.who = k.scope_who AND near.hour = k.hour
LEFT JOIN lir_facts AS f ON f.scope = 'f' AND f.account = k.account AND f.who = k.who
  AND f.label = 'function' AND f.value = k.function
"""  # noqa: S608


def build_novelty(con: duckdb.DuckDBPyConnection) -> str:
    """Fill TEMP `lir_novelty` with the baseline's verdict on every successful Lambda call
    of `trail_events`; returns the table's name."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lir_tools (user_agent VARCHAR, tool VARCHAR, deploy BOOLEAN)"
    )
    agents = con.execute(
        f"SELECT DISTINCT coalesce(user_agent, '') FROM trail_events WHERE {_LAMBDA}"  # noqa: S608
    ).fetchall()
    rows = [(agent, tool_family(agent), bool(DEPLOY_TOOL.search(agent))) for (agent,) in agents]
    bulk_insert(con, "lir_tools", rows)
    con.execute("CREATE OR REPLACE TEMP TABLE lir_networks (source_ip VARCHAR, network VARCHAR)")
    others = con.execute(
        f"SELECT DISTINCT coalesce(source_ip, '') AS ip FROM trail_events WHERE {_LAMBDA} "  # noqa: S608
        f"AND NOT regexp_full_match(ip, '{_IPV4}')"
    ).fetchall()
    bulk_insert(con, "lir_networks", [(ip, network_of(ip)) for (ip,) in others])
    for statement in (_EVENTS, _BASE, _FACTS, _ROAM, _NEAR, _NOVELTY):
        con.execute(statement)
    for table in (
        "lir_events",
        "lir_base",
        "lir_roam",
        "lir_near",
        "lir_facts",
        "lir_tools",
        "lir_networks",
    ):
        con.execute(f"DROP TABLE {table}")  # only the verdicts stay
    return NOVELTY_TABLE


def novelty_of(values: tuple[Any, ...]) -> Novelty:
    """The `Novelty` of one `lir_novelty` row (its NOVELTY_COLUMNS, in order)."""
    (timed, service, history, known, prior, principal, network, source_ip) = values[:8]
    (net_known, tool, tool_known, hm, hours_known, idle, function, function_seen) = values[8:16]
    roaming, writes, pinned = values[16:19]
    if not timed:  # NULL: a call lir_novelty lacks (LEFT JOIN); false: one without a time
        return _UNJUDGED if timed is None else _UNTIMED
    if service:
        return Novelty(True, True, history_days=int(history), principal=str(principal))
    if history < MIN_HISTORY_DAYS:
        return Novelty(False, history_days=int(history), principal=str(principal))
    return novelty_from(
        principal=str(principal),
        history=int(history),
        known=bool(known),
        prior=int(prior or 0),  # null in VERDICT_SQL when known (it is not read then)
        network=(str(network), str(source_ip), bool(net_known)),
        roaming=int(roaming or 0),
        pinned=bool(pinned),
        tool=(str(tool), bool(tool_known)),
        hours=(str(hm), bool(hours_known)),
        idle=None if idle is None else int(idle),
        function=(str(function), bool(function_seen)),
        write=bool(writes),
    )


_UNJUDGED = Novelty(judged=False)
_UNTIMED = Novelty(judged=False, untimed=True)


def verdict_of(text: str | None) -> Novelty:
    """The `Novelty` of a row's VERDICT_SQL (None: a call `lir_novelty` lacks, unjudged):
    made once for each distinct text and shared, with its words and JSON (`Novelty`), by the
    findings it judges (166k findings, 7,432 texts at 1M events)."""
    return _UNJUDGED if text is None else _verdict_text(text)


@functools.lru_cache(maxsize=65536)
def _verdict_text(text: str) -> Novelty:
    return novelty_of(tuple(orjson.loads(text).values()))


def select_judged(
    view: CaseView, where: str, params: Sequence[Any] = ()
) -> list[tuple[TrailRow, Novelty]]:
    """Like `trail_rows.select_events`, each event with the baseline's verdict, joined in
    the same query (the Python baseline judges an event `lir_novelty` lacks: a failed or
    non-Lambda call)."""
    return list(iter_judged(view, where, params))


JUDGED_BATCH = 2000  # rows fetched from DuckDB at once
_JUDGED = "lir_judged"  # `iter_judged`'s events with their verdicts, while they are read


def iter_judged(
    view: CaseView, where: str, params: Sequence[Any] = ()
) -> Iterator[tuple[TrailRow, Novelty]]:
    """`select_judged` a batch at a time, oldest first: the rows are never all held at once,
    so a detector that keeps only what it needs of each stays small. Nothing may query the
    index while the rows are read (that would end the result early: counted, so an error)."""
    # The selected calls' ids and verdicts are a table first, then read in order with their
    # rows: one query doing both kept the join's side of selected events, requests and
    # responses, in memory for the sort above it and ran out of ANALYSIS_MEMORY (200k calls
    # at 3M events), and so did a table of whole rows made by the join (10,000 calls of 12
    # KB at 160 MB): the narrow table is the side held, the rows stream past it into a sort
    # that spills. Dropped once read (an abandoned read leaves it to the next, or to
    # `close_index`).
    index = view.index
    index.execute(
        f"CREATE OR REPLACE TEMP TABLE {_JUDGED} AS SELECT event_id, {VERDICT_SQL} AS verdict "  # noqa: S608
        f"FROM trail_events LEFT JOIN {view.novelty} USING (event_id) WHERE {where}",
        list(params),
    )
    found = index.execute(
        f"SELECT count(*), count(*) FILTER (WHERE verdict IS NULL) FROM {_JUDGED}"  # noqa: S608
    ).fetchone()
    total, unjudged = found if found else (0, 0)
    baseline = view.baseline if unjudged else None  # built before the rows are read
    result = index.execute(
        f"SELECT {COLUMNS}, verdict FROM {_JUDGED} JOIN trail_events USING (event_id) "  # noqa: S608
        "ORDER BY event_time, event_id"
    )
    width, read = len(COLUMNS.split(",")), 0
    for batch in read_batches(result, JUDGED_BATCH, "judged rows"):
        read += len(batch)
        for values in batch:
            row, verdict = row_of(values[:width]), values[width]
            if verdict is None and baseline is not None:
                yield row, baseline.judge_row(row)
            else:
                yield row, verdict_of(verdict)
    if read < total:
        raise RuntimeError(f"the index was queried while judged rows were read: {read} of {total}")
    index.execute(f"DROP TABLE {_JUDGED}")
