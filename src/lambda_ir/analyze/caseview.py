"""Typed, offline, read-only access to a case for detectors.

Everything is found through the manifest (docs/EVIDENCE.md) by kind and api, parsed once
into the values in `analyze.values`, and cached on this instance only (a `CaseView` lives for
one analysis run). Nothing here writes to the case or talks to AWS.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import orjson

from lambda_ir.analyze import values as v
from lambda_ir.analyze.baseline import Baseline, Novelty, build_baseline
from lambda_ir.analyze.baseline_sql import NOVELTY_COLUMNS, build_novelty, novelty_of
from lambda_ir.analyze.roles import Role, parse_roles
from lambda_ir.analyze.vendors import VendorCatalogue, load_catalogue
from lambda_ir.evidence import Case, IntegrityError, ManifestEntry
from lambda_ir.evidence.deleted import deleted_functions
from lambda_ir.evidence.index import open_index
from lambda_ir.evidence.index_logs import FIRST_MS, LAST_MS
from lambda_ir.evidence.layout import blob_path
from lambda_ir.evidence.manifest import standing_errors
from lambda_ir.evidence.store import scratch_path
from lambda_ir.model import EvidenceRef, Kind

if TYPE_CHECKING:
    from lambda_ir.analyze.trail_rows import TrailRow


# DuckDB's share of an analysis; the findings themselves live in Python beside it. Building
# the baseline's verdicts needs the most (it runs out at 256 MB on 1M events). The detectors'
# queries ran within 320 MB, but DuckDB then spilled their groups to disk and chose slower
# plans (`LIR-CT-013` took 0.71 s against 0.37 s unbounded): at 1M events 512 MB made the
# analysis 0.6 s faster, and the findings' shared verdicts (`baseline.Novelty.to_json`) pay
# for the memory (peak about 920 MiB against 898 MiB).
ANALYSIS_MEMORY = "512MB"
# A scan of the raw trail records (`records_query`) buffers up to the 16 MB largest record
# per thread: it runs within ANALYSIS_MEMORY on at most this many threads (it ran out of
# memory at 320 MB on 4 threads, and at 512 MB on 8).
RAW_SCAN_THREADS = 4


@dataclass(frozen=True)
class AnalyzeOptions:
    """What the responder adds to an analysis: rule folders, IOC files, allow-list."""

    yara_dirs: tuple[Path, ...] = ()
    sigma_dirs: tuple[Path, ...] = ()
    ioc_files: tuple[Path, ...] = ()
    allow_file: Path | None = None
    allowed_accounts: frozenset[str] = field(default_factory=frozenset)
    allowed_names: frozenset[str] = field(default_factory=frozenset)
    # other cases of the responder's whose `runtime attach` records count as lambda-ir's own
    attached_in: tuple[Path, ...] = ()


class CaseView:
    """A case as detectors see it: typed functions, policies, code, trail and logs."""

    def __init__(self, case: Case, options: AnalyzeOptions | None = None) -> None:
        self.case = case
        self.options = options or AnalyzeOptions()

    # -- the manifest ------------------------------------------------------------------

    @cached_property
    def manifest(self) -> tuple[ManifestEntry, ...]:
        """Every manifest entry (artifacts and failed calls), in order."""
        return tuple(self.case.entries())

    def entries(self, kind: Kind | str, api: str | None = None) -> Iterator[ManifestEntry]:
        """Stored artifacts of one kind (failed calls left out), optionally of one api."""
        for entry in self.manifest:
            if entry.kind == kind and entry.path and (api is None or entry.api == api):
                yield entry

    def has(self, kind: Kind | str) -> bool:
        """True when the case holds at least one artifact of this kind."""
        return any(True for _ in self.entries(kind))

    def errors(self) -> Iterator[ManifestEntry]:
        """Failed calls during collection (denied, throttled, not found) that no later run
        answered (`manifest.standing_errors`)."""
        return standing_errors(self.manifest)

    def read_json(self, entry: ManifestEntry) -> Any:
        """The stored JSON document of an entry."""
        assert entry.path is not None
        return orjson.loads(self.case.path(entry.path).read_bytes())

    def read_bytes(self, ref: EvidenceRef, limit: int) -> bytes:
        """An artifact's bytes, refusing files larger than `limit` (a zip bomb guard) and
        files whose SHA-256 is not the manifest's (findings must cite what was analyzed)."""
        path = self.case.path(ref.path)
        if path.stat().st_size > limit:
            raise ValueError(f"{ref.path} is larger than {limit} bytes; not read")
        data = path.read_bytes()
        if ref.sha256 and hashlib.sha256(data).hexdigest() != ref.sha256:
            raise IntegrityError(f"{ref.path} does not match its manifest hash; run `verify`")
        return data

    def iter_lines(self, entry: ManifestEntry) -> Iterator[dict[str, Any]]:
        """JSON lines of a logs or trail file (gzip or plain); unreadable lines are skipped.

        A file damaged partway (a truncated or corrupt gzip) ends where the damage starts,
        so a scan of every file goes on past it: the index names it (`ingest_warnings`,
        reported by LIR-GAP-001)."""
        assert entry.path is not None
        path = self.case.path(entry.path)
        with path.open("rb") as head:
            gzipped = head.read(2) == b"\x1f\x8b"
        opener = gzip.open if gzipped else open
        with opener(path, "rb") as src:
            try:
                for raw in src:
                    try:
                        record = orjson.loads(raw)
                    except orjson.JSONDecodeError:
                        continue
                    if isinstance(record, dict):
                        yield record
            except (OSError, EOFError, zlib.error):
                return

    # -- Lambda configuration ------------------------------------------------------------

    @cached_property
    def functions(self) -> tuple[v.FunctionConfig, ...]:
        """Every function version's configuration ($LATEST and numbered), one per version;
        a function deleted during collection as ListFunctions listed it."""
        seen: dict[tuple[str, str, str, str], v.FunctionConfig] = {}
        for entry in self.entries(Kind.FUNCTION_VERSIONS):
            for config in self.read_json(entry).get("Versions") or []:
                fn = v.parse_function(config, entry)
                seen.setdefault(fn.key, fn)
        for entry in self.entries(Kind.FUNCTION):
            config = (self.read_json(entry) or {}).get("Configuration")
            if isinstance(config, dict):
                fn = v.parse_function(config, entry)
                seen.setdefault(fn.key, fn)
        for gone in deleted_functions(self.case):
            # deleted during collection: its configuration as ListFunctions listed it
            listing = self.case.entry(gone.listing.path) if gone.listing else None
            if gone.configuration and listing is not None:
                fn = v.parse_function(gone.configuration, listing)
                seen.setdefault(fn.key, fn)
        return tuple(seen.values())

    def versions_of(self, account: str, region: str, name: str) -> list[v.FunctionConfig]:
        """The collected versions of one function."""
        return [
            f
            for f in self.functions
            if (f.ref.account, f.ref.region, f.ref.name) == (account, region, name)
        ]

    @cached_property
    def policy_statements(self) -> tuple[v.PolicyStatement, ...]:
        """Every statement of every function resource policy, with the qualifier it was read at."""
        out: list[v.PolicyStatement] = []
        for entry in self.entries(Kind.POLICY, "lambda:GetPolicy"):
            out.extend(v.parse_policy(self.read_json(entry), entry))
        return tuple(dict.fromkeys(out))

    @cached_property
    def aliases(self) -> tuple[v.Alias, ...]:
        """Every alias with its routing configuration."""
        out: list[v.Alias] = []
        for entry in self.entries(Kind.ALIAS):
            out.extend(v.parse_aliases(self.read_json(entry), entry))
        return tuple(out)

    @cached_property
    def urls(self) -> tuple[v.FunctionUrl, ...]:
        """Every function URL configuration."""
        out: list[v.FunctionUrl] = []
        for entry in self.entries(Kind.URL):
            out.extend(v.parse_urls(self.read_json(entry), entry))
        return tuple(out)

    def documents(self, kind: Kind, api: str | None = None) -> Iterator[tuple[Any, ManifestEntry]]:
        """Raw documents of a kind with their entries, for detectors that read one field."""
        for entry in self.entries(kind, api):
            yield self.read_json(entry), entry

    @cached_property
    def roles(self) -> tuple[Role, ...]:
        """Execution roles with their inline and attached policy documents."""
        return parse_roles(list(self.documents(Kind.ROLE)), list(self.documents(Kind.ROLE_POLICY)))

    # -- code ----------------------------------------------------------------------------

    def code_blob(self, code_sha256: str) -> EvidenceRef | None:
        """The stored package whose AWS `CodeSha256` (base64) is given, if collected."""
        try:
            hex_digest = base64.b64decode(code_sha256, validate=True).hex()
            rel = blob_path(hex_digest)
        except (binascii.Error, ValueError):
            return None
        entry = self.case.entry(rel)
        return EvidenceRef(rel, entry.sha256) if entry and entry.sha256 else None

    @cached_property
    def layers(self) -> tuple[v.Layer, ...]:
        """Every collected layer version with its package blob (when stored)."""
        stored = [e for e in self.entries(Kind.LAYER_CODE) if e.sha256]
        blobs = {str(e.meta.get("layer_arn", "")): e for e in stored}
        # Identical bytes are stored once, under the first ARN collected: a layer version
        # with the same CodeSha256 (say, a copy of ours under another ARN) shares that blob.
        by_sha = {base64.b64encode(bytes.fromhex(str(e.sha256))).decode(): e for e in stored}
        out = []
        for document, entry in self.documents(Kind.LAYER):
            layer = v.parse_layer(document, entry, blobs)
            if layer.blob is None and layer.code_sha256 in by_sha:
                layer = v.parse_layer(document, entry, {layer.arn: by_sha[layer.code_sha256]})
            out.append(layer)
        return tuple(out)

    @cached_property
    def packages(self) -> tuple[v.Package, ...]:
        """Every distinct code package, and every layer version's package, with the function
        versions that use it. A layer package is one layer version's, even when another
        layer's bytes are the same: the verdict on it (a vendor's, a look-alike's, ours)
        depends on who published it, and its findings name the layer the functions carry."""
        owners: dict[tuple[str, str], tuple[EvidenceRef, str, list[str], list[str]]] = {}
        # (blob, kind, user, runtime, layer ARN: "" for a code package)
        users: list[tuple[EvidenceRef | None, str, str, str, str]] = [
            (
                self.code_blob(fn.code_sha256) if fn.code_sha256 else None,
                "code",
                fn.ref.arn,
                fn.runtime,
                "",
            )
            for fn in self.functions
        ]
        for fn in self.functions:
            for arn in fn.layers:  # a layer runs with the runtime of the function using it
                users.extend(
                    (layer.blob, "layer", fn.ref.arn, fn.runtime, arn)
                    for layer in self.layers
                    if layer.arn == arn
                )
        users.extend((layer.blob, "layer", layer.arn, "", layer.arn) for layer in self.layers)
        for blob, kind, owner, runtime, layer_arn in users:
            if blob is None:
                continue
            _, _, names, runtimes = owners.setdefault((blob.path, layer_arn), (blob, kind, [], []))
            if owner not in names:
                names.append(owner)
            if runtime and runtime not in runtimes:
                runtimes.append(runtime)
        return tuple(
            v.Package(blob, kind, tuple(names), tuple(runtimes), layer_arn)
            for (_, layer_arn), (blob, kind, names, runtimes) in owners.items()
        )

    # -- trail and logs --------------------------------------------------------------------

    @cached_property
    def index(self) -> duckdb.DuckDBPyConnection:
        """The case index (`trail_events`, `log_events`, `report_lines`, …), built if stale.

        Its queries (the baseline's verdicts, grouped selections) stay within
        ANALYSIS_MEMORY, spilling to the case's scratch folder beyond it."""
        con = open_index(self.case)
        con.execute("SET memory_limit = ?", [ANALYSIS_MEMORY])
        con.execute("SET preserve_insertion_order = false")  # every query orders its rows
        # memory DuckDB frees goes back to the system soon, not kept for later queries
        con.execute("SET allocator_flush_threshold = '16MB'")
        con.execute("SET allocator_bulk_deallocation_flush_threshold = '16MB'")
        spill = scratch_path(self.case.root, "duckdb-spill")  # named with our pid
        con.execute("SET temp_directory = ?", [str(spill)])
        return con

    @contextmanager
    def raw_scan(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The index for a scan of the raw trail records: on at most RAW_SCAN_THREADS threads
        (within ANALYSIS_MEMORY, as every query), the index's own thread count back after."""
        con = self.index
        found = con.execute("SELECT current_setting('threads')").fetchone()
        threads = int(found[0]) if found else RAW_SCAN_THREADS
        con.execute("SET threads = ?", [min(threads, RAW_SCAN_THREADS)])
        try:
            yield con
        finally:
            con.execute("SET threads = ?", [threads])

    def close_index(self) -> None:
        """Close the case index: DuckDB's memory back (~260 MB at 1M events); reopened on use."""
        self.__dict__.pop("novelty", None)
        if (con := self.__dict__.pop("index", None)) is not None:
            con.close()

    @cached_property
    def baseline(self) -> Baseline:
        """The account's ordinary life from the case's own trail (`analyze.baseline`)."""
        return build_baseline(self)

    @cached_property
    def novelty(self) -> str:
        """TEMP table `lir_novelty`: the baseline's verdict on every successful Lambda call,
        computed in DuckDB (`analyze.baseline_sql`), for detectors to join by `event_id`."""
        return build_novelty(self.index)

    def verdict(self, row: TrailRow) -> Novelty:
        """The baseline's verdict on one CloudTrail event: read from `lir_novelty` for a
        successful Lambda call, else judged by the Python baseline (built on first need)."""
        found = self.index.execute(
            f"SELECT {NOVELTY_COLUMNS} FROM {self.novelty} WHERE event_id = ?",  # noqa: S608
            [row.event_id],
        ).fetchone()
        return novelty_of(found) if found else self.baseline.judge_row(row)

    @cached_property
    def vendors(self) -> VendorCatalogue:
        """The known vendors' layers, wrappers and extensions (`analyze.vendors`)."""
        return load_catalogue()

    @cached_property
    def execution_roles(self) -> dict[str, frozenset[str]]:
        """Execution role ARN -> names of the functions that use it (configuration and trail)."""
        found: dict[str, set[str]] = {}
        for fn in self.functions:
            if fn.role:
                found.setdefault(fn.role, set()).add(fn.ref.name)
        rows = self.index.execute(
            "SELECT request_parameters->>'$.role', function_name FROM trail_events "
            "WHERE operation IN ('CreateFunction', 'UpdateFunctionConfiguration') "
            "AND request_parameters->>'$.role' IS NOT NULL AND error_code IS NULL"
        ).fetchall()
        for role, name in rows:
            found.setdefault(str(role), set()).add(str(name or ""))
        return {role: frozenset(names) for role, names in found.items()}

    def log_events(self) -> Iterator[v.LogEvent]:
        """Every collected CloudWatch Logs event, with its group and evidence, artifact by
        artifact in the order they were collected. Collections over overlapping windows hold
        the same event twice and it comes once per artifact: `event_id`, else stream, time
        and message, tell the copies apart (as the index's `log_events` does)."""
        for entry in self.entries(Kind.LOGS):
            group = str(entry.params.get("logGroupName", ""))
            reader = str(entry.meta.get("function_name") or "")
            ref = v.ref_of(entry)
            for record in self.iter_lines(entry):
                timestamp = _log_time(record.get("timestamp"))
                if timestamp is None:
                    continue
                yield v.LogEvent(
                    group=group,
                    stream=str(record.get("logStreamName") or ""),  # null: "", as indexed
                    timestamp=timestamp,
                    message=str(record.get("message", "")),
                    evidence=ref,
                    account=entry.account or "",
                    region=entry.region or "",
                    event_id=str(record.get("eventId") or ""),
                    function=reader,
                )


def _log_time(value: object) -> int | None:
    """A log event's `timestamp` in ms, 0 when it has none; None when the index leaves the
    event out (a time no reader can hold, past `index_logs.FIRST_MS`..`LAST_MS`)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    if not FIRST_MS <= value <= LAST_MS:
        return None
    return int(value)
