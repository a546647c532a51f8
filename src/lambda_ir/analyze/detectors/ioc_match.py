"""LIR-IOC-001: known-bad hashes, domains and IPs in code, logs and CloudTrail.

Bundled: Denonia's hashes, domains and IPs (Cado Security); add lists with `--ioc FILE`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.code_files import iter_files, member_ref, owner_location
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.iocs import IocMatcher, IocOccurrence, IocSet, load_iocs
from lambda_ir.analyze.trail_rows import event_finding, select_records
from lambda_ir.analyze.unknowns import UNKNOWN_ADDRESS, UNNAMED_CALL
from lambda_ir.analyze.values import LogEvent
from lambda_ir.evidence.trail_read import open_artifact
from lambda_ir.model import EvidenceRef, Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-IOC-001",
    title="Known indicator of compromise",
    severity=Severity.HIGH,
    attack=("T1071", "T1496"),
    evidence=(Kind.CODE, Kind.LAYER_CODE, Kind.LOGS, Kind.TRAIL),
    references=(
        "https://www.cadosecurity.com/cado-discovers-denonia-the-first-malware-specifically-targeting-lambda/",
    ),
    false_positives="Threat-intelligence or test data that quotes indicators.",
)


def _code(case: CaseView, iocs: IocSet, matcher: IocMatcher | None) -> Iterator[Finding]:
    for package, member, _ in iter_files(case):
        digest = hashlib.sha256(member.data).hexdigest()
        hits = [f"sha256 {digest}"] if digest in iocs.hashes else []
        if matcher is not None:
            hits.extend(sorted(matcher.find(member.data)))
        if not hits:
            continue
        account, region = owner_location(package.owner)
        yield make_finding(
            INFO,
            resource=package.owner,
            account=account,
            region=region,
            severity=Severity.CRITICAL if digest in iocs.hashes else Severity.HIGH,
            key=f"{package.key}|{member.name}|{','.join(hits)}",
            evidence=(member_ref(package, member),),
            summary=(
                f"{member.name} in {package.owner} matches known indicators: "
                f"{', '.join(hits)}; the function ran known-malicious code or contacts "
                "attacker infrastructure."
            ),
            details={"indicators": hits, "used_by": list(package.owners)},
        )


# Matching lines of one indicator in one stream of one artifact: (account, region, group,
# stream, artifact, the function the artifact was read for, indicator).
_StreamIndicator = tuple[str, str, str, str, EvidenceRef, str, str]


def _logs(case: CaseView, matcher: IocMatcher) -> Iterator[Finding]:
    # Collections over overlapping windows store the same events in two artifacts: each
    # event is counted once, for the function of the copy the index keeps, and every
    # artifact holding one is cited, the one collected first leading (the finding's id is
    # keyed on it, as it was on the only artifact).
    events: dict[_StreamIndicator, dict[bytes, int]] = {}  # each line's time, by its identity
    for event in case.log_events():
        for match in matcher.find(event.message.encode()):
            place = (event.account, event.region, event.group, event.stream)
            lines = events.setdefault((*place, event.evidence, event.function, match), {})
            identity = _identity(event)
            lines[identity] = min(lines.get(identity, event.timestamp), event.timestamp)
    if not events:
        return
    owners = _stream_functions(case, {key[2] for key in events})
    kept = _kept_copies(case, events)
    # One finding per indicator and function: the streams of a group several functions log
    # to are each their own function's (the index's attribution).
    found: dict[tuple[str, str, str, str, str], dict[bytes, int]] = {}
    cited: dict[tuple[str, str, str, str, str], dict[EvidenceRef, None]] = {}
    for key, lines in events.items():  # artifacts in the order collected
        account, region, group, _, ref, _, indicator = key
        for identity in lines:
            copy = kept[(account, region, group, indicator, identity)]
            _, _, _, stream, held, reader, _ = copy
            fn = owners.function(account, region, group, stream, held.path)
            where = (account, region, group, fn or _unindexed(group, reader), indicator)
            found.setdefault(where, {})[identity] = events[copy][identity]
            cited.setdefault(where, {})[ref] = None
    for (account, region, group, fn, indicator), lines in found.items():
        evidence = list(cited[(account, region, group, fn, indicator)])
        whose = "" if not fn or group == f"/aws/lambda/{fn}" else f" ({fn}'s streams)"
        yield make_finding(
            INFO,
            resource=f"arn:aws:lambda:{region}:{account}:function:{fn}"
            if fn
            else f"arn:aws:logs:{region}:{account}:log-group:{group}",
            account=account,
            region=region,
            key=f"{evidence[0].path}|{indicator}",
            time=_ms(min(lines.values())),
            evidence=evidence,
            summary=(
                f"{len(lines)} log line(s) of {group}{whose} mention {indicator}, a known "
                "indicator; the function contacted or resolved attacker infrastructure."
            ),
            details={"indicator": indicator, "lines": len(lines), "log_group": group},
        )


def _kept_copies(
    case: CaseView, events: dict[_StreamIndicator, dict[bytes, int]]
) -> dict[tuple[str, str, str, str, bytes], _StreamIndicator]:
    """For each matching line (group, indicator, identity), the copy the index keeps when
    several artifacts hold it (`index_logs`: a complete listing's before a partial one's,
    then the first path), so the line is counted once, for that copy's function."""
    partial = {e.path: e.meta.get("complete") is False for e in case.entries(Kind.LOGS)}

    def rank(key: _StreamIndicator) -> tuple[bool, str]:
        return partial.get(key[4].path, False), key[4].path

    kept: dict[tuple[str, str, str, str, bytes], _StreamIndicator] = {}
    for key, lines in events.items():
        account, region, group, _, _, _, indicator = key
        for identity in lines:
            line = (account, region, group, indicator, identity)
            held = kept.get(line)
            if held is None or rank(key) < rank(held):
                kept[line] = key
    return kept


def _unindexed(group: str, reader: str) -> str:
    """The function of lines the index holds none of (an artifact damaged past them): the
    one the artifact was read for, else `<name>` of `/aws/lambda/<name>`, else none."""
    default = group.removeprefix("/aws/lambda/") if group.startswith("/aws/lambda/") else ""
    return reader or default


@dataclass(frozen=True)
class _Owners:
    """The function the index files each stream's events under, by the artifact that held
    them (a group read in two collections, each for another function, is each artifact's
    reader's) and by stream alone (an event whose copy the index kept from another artifact:
    the first artifact's)."""

    by_artifact: dict[tuple[str, str, str, str, str], str]
    by_stream: dict[tuple[str, str, str, str], str]

    def function(self, account: str, region: str, group: str, stream: str, path: str) -> str:
        place = (account, region, group, stream)
        return self.by_artifact.get((*place, path)) or self.by_stream.get(place, "")


def _stream_functions(case: CaseView, groups: set[str]) -> _Owners:
    """Whose each stream of `groups` is, as the index says ("" for events without a stream):
    a custom group's stream is the function Lambda named it after (when that function's
    configuration sends its logs there), a shared group's unnamed stream the function that
    read it (`evidence.index_logs`). The logs' other detectors read the index; the group's
    name alone (`/app/shared`) named no function, or the wrong one."""
    found = case.index.execute(
        "SELECT account, region, log_group, coalesce(log_stream, ''), evidence_path, "
        "any_value(function_name) FROM log_events "
        "WHERE list_contains(?, log_group) AND function_name IS NOT NULL GROUP BY ALL "
        "ORDER BY evidence_path DESC",
        [sorted(groups)],
    ).fetchall()
    by_artifact = {(a, r, g, s, path): fn for a, r, g, s, path, fn in found}
    by_stream = {(a, r, g, s): fn for a, r, g, s, _, fn in found}  # the first path's: last
    return _Owners(by_artifact, by_stream)


def _identity(event: LogEvent) -> bytes:
    """Which event a log line is, as the index tells copies apart (`evidence.index_logs`):
    its eventId, else its stream, time and message. A digest, so that a million matching
    lines are a million small keys rather than a million messages."""
    if event.event_id:
        text = f"id\0{event.event_id}"
    else:
        text = f"line\0{event.stream}\0{event.timestamp}\0{event.message}"
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _text_pattern(iocs: IocSet) -> str:
    """One RE2 pattern for every domain and IP, on label boundaries (values are [a-z0-9.:-])."""
    body = "|".join(re.escape(v) for v in sorted(iocs.strings(), key=len, reverse=True))
    return f"(^|[^a-z0-9.-])({body})([^a-z0-9-]|$)" if body else ""


SCAN_THREADS = 4  # trail artifacts tested at once (decompressing and scanning free the GIL)


def _mentioning(case: CaseView, occurrence: IocOccurrence) -> list[str]:
    """The trail artifacts in which some indicator occurs at all (one pass of each file, a
    few files at a time: the 200 files of a million events took 0.9 s one after another,
    0.4 s four at a time on two cores). A file that cannot be read fails the scan."""
    found = case.index.execute("SELECT DISTINCT evidence_path FROM trail_events ORDER BY 1")
    paths = [str(path) for (path,) in found.fetchall()]

    def mentions(path: str) -> bool:
        with open_artifact(case.case.path(path)) as stream:
            return occurrence.in_stream(stream)

    workers = max(1, min(SCAN_THREADS, os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        return [path for path, hit in zip(paths, pool.map(mentions, paths), strict=True) if hit]


def _trail(case: CaseView, iocs: IocSet) -> Iterator[Finding]:
    pattern, occurrence = _text_pattern(iocs), iocs.occurrence()
    if not pattern or occurrence is None:
        return
    # The regex below over every raw record took 23 s per million events; a file in which no
    # indicator occurs, in any case, cannot match it (a source IP is in the text too).
    paths = _mentioning(case, occurrence)
    if not paths:
        return
    rows = select_records(
        case,
        "list_contains(?, record->>'$.sourceIPAddress') "
        "OR regexp_matches(CAST(record AS VARCHAR), ?, 'i')",
        [sorted(iocs.ips), pattern],
        paths=paths,
    )
    finder = re.compile(pattern, re.IGNORECASE)
    for row in rows:
        text = f"{dict(row.request)} {dict(row.response)} {row.actor.user_agent}"
        found = finder.search(text)
        indicator = (
            row.actor.source_ip
            if row.actor.source_ip in iocs.ips
            else (found.group(2).lower() if found else "the record")
        )
        yield event_finding(
            INFO,
            row,
            resource=None
            if row.function_name
            else f"arn:aws:cloudtrail:{row.region}:{row.account}:event/{row.event_id}",
            summary=(
                f"{row.event_name or UNNAMED_CALL} by {row.actor.name} from "
                f"{row.actor.source_ip or UNKNOWN_ADDRESS} involves "
                f"{indicator}, a known indicator; treat the caller's credentials and the "
                "resources named in the call as compromised."
            ),
            details={"indicator": indicator},
        )


def _ms(stamp: int) -> str:
    return datetime.fromtimestamp(stamp / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def detect(case: CaseView) -> Iterator[Finding]:
    """Indicators in packaged files (hash or text), log lines, and trail source IPs."""
    iocs = load_iocs(case.options.ioc_files)
    matcher = iocs.matcher()
    yield from _code(case, iocs, matcher)
    if matcher is not None:
        yield from _logs(case, matcher)
    yield from _trail(case, iocs)


DETECTOR = Detector(INFO, detect)
