"""The tables of case.duckdb: a contract others write SQL against (add columns, never rename).

Every table exists in every index, empty when the case has no such evidence, so a query
never fails on a missing table. JSON columns stay DuckDB `JSON`: real CloudTrail has
hundreds of `requestParameters` shapes, and inferred structs break on the next one.
"""

from __future__ import annotations

from lambda_ir.model import FOREIGN_CALLER

# Bump when a table changes shape: an index built by another version is then rebuilt.
# 2: log events de-duplicated across overlapping windows; 3: the raw CloudTrail record is no
# longer stored in `trail_events` (`index_trail.records_query` reads it from the evidence);
# 4: capability tables (`capability_files`, `code_capabilities`, `capabilities`);
# 5: runtime snapshot tables (`runtime_files`, `runtime_processes`, `runtime_connections`);
# 6: capability rows name the vendored dependency they come from (`dependency`);
# 7: runtime processes carry the start-up hooks of their own environment (`hooks`);
# 8: an AWSAccount caller's `actor_name` is `<account id>/<principal id>`;
# 9: `code_files.path`, where a member unpacks (`./extensions/x` is `extensions/x`).
# 10: one unreadable log artifact or event no longer empties `log_events`, and a log
# artifact's `ingest_warnings` row names it (`file`), not "index".
# 11: a vendored library's file that differs from its dist-info RECORD, or that a library's
# folder holds unrecorded, is read and its capability rows are the package's own.
# 12: log lines without eventId and timestamp are each kept (one per log group before); a
# library file only another distribution's RECORD vouches for is read as the package's own;
# JavaScript's `?.`, parentheses, literal keys and computed names are followed (its rows).
# 13: a log event or CloudTrail record held by a complete listing and a partial one (read
# again after a page failed) is the complete listing's row.
# 14: a log event in a stream named `YYYY/MM/DD/<function>[<version>]<id>` (a custom log
# group, which functions can share) is that function's unless its collected configuration
# names another group; an event of `/aws/lambda/<name>` is otherwise `<name>`'s when the
# case holds `<name>`'s configuration, whoever read the group.
SCHEMA_VERSION = "14"

# `model.Actor.key` of a `trail_events` row's caller from another account (`AWSAccount`, no
# ARN: `actor_name` is `<account id>/<principal id>`), NULL for any other caller.
FOREIGN_CALLER_SQL = (
    "CASE WHEN coalesce(actor_arn, '') = '' AND actor_type = 'AWSAccount' "
    f"AND coalesce(actor_name, '') <> '' THEN '{FOREIGN_CALLER}' || actor_name END"
)
EVIDENCE = "evidence_path VARCHAR, evidence_sha256 VARCHAR"

TABLES: tuple[tuple[str, str], ...] = (
    (
        "trail_events",
        "event_id VARCHAR, event_time TIMESTAMP, event_source VARCHAR, event_name VARCHAR, "
        "operation VARCHAR, aws_region VARCHAR, account VARCHAR, actor_arn VARCHAR, "
        "actor_type VARCHAR, actor_name VARCHAR, access_key_id VARCHAR, "
        "session_issuer_arn VARCHAR, source_ip VARCHAR, user_agent VARCHAR, read_only BOOLEAN, "
        "error_code VARCHAR, error_message VARCHAR, function_name VARCHAR, qualifier VARCHAR, "
        # The raw record is not stored again: `index_trail.records_query` (these columns and
        # `record`) reads it from the evidence artifact. Storing it doubled the index and
        # cost a third of the index build (1.75 of 5.55 s per million events).
        f"request_parameters JSON, response_elements JSON, {EVIDENCE}",
    ),
    (
        "log_events",
        "account VARCHAR, region VARCHAR, log_group VARCHAR, log_stream VARCHAR, "
        "function_name VARCHAR, version VARCHAR, ts TIMESTAMP, message VARCHAR, "
        f"request_id VARCHAR, {EVIDENCE}",
    ),
    (
        "report_lines",
        "account VARCHAR, region VARCHAR, function_name VARCHAR, version VARCHAR, "
        "log_stream VARCHAR, ts TIMESTAMP, request_id VARCHAR, duration_ms DOUBLE, "
        "billed_ms DOUBLE, memory_mb INTEGER, max_memory_mb INTEGER, init_ms DOUBLE, "
        f"status VARCHAR, {EVIDENCE}",
    ),
    (
        "functions",
        "account VARCHAR, region VARCHAR, function_name VARCHAR, function_arn VARCHAR, "
        "runtime VARCHAR, handler VARCHAR, role VARCHAR, code_sha256 VARCHAR, "
        "code_sha256_hex VARCHAR, package_type VARCHAR, last_modified TIMESTAMP, "
        f"tags JSON, configuration JSON, {EVIDENCE}",
    ),
    (
        "versions",
        "account VARCHAR, region VARCHAR, function_name VARCHAR, function_arn VARCHAR, "
        "version VARCHAR, runtime VARCHAR, handler VARCHAR, role VARCHAR, code_sha256 VARCHAR, "
        "code_sha256_hex VARCHAR, code_size BIGINT, timeout INTEGER, memory_size INTEGER, "
        "last_modified TIMESTAMP, package_type VARCHAR, image_uri VARCHAR, environment JSON, "
        f"layers JSON, logging_config JSON, configuration JSON, {EVIDENCE}",
    ),
    (
        "aliases",
        "account VARCHAR, region VARCHAR, function_name VARCHAR, alias VARCHAR, "
        "alias_arn VARCHAR, function_version VARCHAR, routing_config JSON, "
        f"configuration JSON, {EVIDENCE}",
    ),
    (
        "policies",
        "account VARCHAR, region VARCHAR, function_name VARCHAR, qualifier VARCHAR, "
        f"layer_arn VARCHAR, sid VARCHAR, statement JSON, {EVIDENCE}",
    ),
    (
        "urls",
        "account VARCHAR, region VARCHAR, function_name VARCHAR, qualifier VARCHAR, "
        f"function_url VARCHAR, auth_type VARCHAR, cors JSON, configuration JSON, {EVIDENCE}",
    ),
    (
        "event_sources",
        "account VARCHAR, region VARCHAR, uuid VARCHAR, function_arn VARCHAR, "
        "function_name VARCHAR, event_source_arn VARCHAR, state VARCHAR, "
        f"configuration JSON, {EVIDENCE}",
    ),
    (
        "layers",
        "account VARCHAR, region VARCHAR, layer_arn VARCHAR, layer_version_arn VARCHAR, "
        "version BIGINT, code_sha256 VARCHAR, code_sha256_hex VARCHAR, code_size BIGINT, "
        f"compatible_runtimes JSON, configuration JSON, {EVIDENCE}",
    ),
    (
        "roles",
        "account VARCHAR, role_name VARCHAR, role_arn VARCHAR, create_date TIMESTAMP, "
        "assume_role_policy JSON, permissions_boundary JSON, role_last_used JSON, "
        f"configuration JSON, {EVIDENCE}",
    ),
    (
        "role_policies",
        "account VARCHAR, role_name VARCHAR, policy_name VARCHAR, policy_arn VARCHAR, "
        f"api VARCHAR, document JSON, {EVIDENCE}",
    ),
    (
        "code_files",
        "blob_sha256 VARCHAR, kind VARCHAR, member VARCHAR, size BIGINT, "
        "compressed_size BIGINT, member_sha256 VARCHAR, is_symlink BOOLEAN, note VARCHAR, "
        "evidence_path VARCHAR, path VARCHAR",
    ),
    # What code can do (`evidence/index_capabilities.py`): how each file was read, its rows
    # per package, and the same rows per function version that runs the package.
    (
        "capability_files",
        "blob_sha256 VARCHAR, kind VARCHAR, file VARCHAR, parser VARCHAR, note VARCHAR, "
        "capabilities INTEGER, evidence_path VARCHAR, dependency VARCHAR",
    ),
    (
        "code_capabilities",
        "blob_sha256 VARCHAR, kind VARCHAR, file VARCHAR, line INTEGER, cap_kind VARCHAR, "
        "value VARCHAR, detail VARCHAR, parser VARCHAR, evidence_path VARCHAR, "
        "dependency VARCHAR",
    ),
    (
        "capabilities",
        "account VARCHAR, region VARCHAR, function_name VARCHAR, version VARCHAR, "
        "source VARCHAR, layer_arn VARCHAR, blob_sha256 VARCHAR, file VARCHAR, line INTEGER, "
        "kind VARCHAR, value VARCHAR, detail VARCHAR, parser VARCHAR, evidence_path VARCHAR, "
        "dependency VARCHAR",
    ),
    # What the runtime collector saw inside a running function (`evidence/index_runtime.py`).
    (
        "runtime_files",
        "account VARCHAR, region VARCHAR, function_name VARCHAR, snapshot_id VARCHAR, "
        "captured_at TIMESTAMP, trigger VARCHAR, root VARCHAR, path VARCHAR, type VARCHAR, "
        "size BIGINT, mode VARCHAR, mtime TIMESTAMP, sha256 VARCHAR, magic VARCHAR, "
        "target VARCHAR, content VARCHAR, evidence_path VARCHAR, evidence_sha256 VARCHAR",
    ),
    (
        "runtime_processes",
        "account VARCHAR, region VARCHAR, function_name VARCHAR, snapshot_id VARCHAR, "
        "captured_at TIMESTAMP, pid INTEGER, ppid INTEGER, name VARCHAR, cmdline JSON, "
        "exe VARCHAR, exe_sha256 VARCHAR, started_at TIMESTAMP, user_name VARCHAR, "
        "is_collector BOOLEAN, in_lambda BOOLEAN, hooks JSON, evidence_path VARCHAR, "
        "evidence_sha256 VARCHAR",
    ),
    (
        "runtime_connections",
        "account VARCHAR, region VARCHAR, function_name VARCHAR, snapshot_id VARCHAR, "
        "captured_at TIMESTAMP, protocol VARCHAR, local_ip VARCHAR, local_port INTEGER, "
        "remote_ip VARCHAR, remote_port INTEGER, state VARCHAR, pid INTEGER, process VARCHAR, "
        "evidence_path VARCHAR, evidence_sha256 VARCHAR",
    ),
    (
        "manifest",
        "line INTEGER, path VARCHAR, sha256 VARCHAR, size BIGINT, kind VARCHAR, api VARCHAR, "
        "params JSON, account VARCHAR, region VARCHAR, acquired_at TIMESTAMP, error VARCHAR, "
        "meta JSON",
    ),
    ("ingest_warnings", "file VARCHAR, reason VARCHAR"),
    ("index_meta", "key VARCHAR, value VARCHAR"),
)

TABLE_NAMES = tuple(name for name, _ in TABLES)


def create_statements() -> list[str]:
    """CREATE TABLE statements for every table in the contract."""
    return [f"CREATE TABLE {name} ({columns})" for name, columns in TABLES]
