"""Who made a change: the CloudTrail event behind a code hash or a configuration version."""

from __future__ import annotations

from datetime import datetime

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.trail_rows import TrailRow, select_events
from lambda_ir.analyze.values import FunctionConfig
from lambda_ir.model import FunctionRef

_CODE_OPS = "('UpdateFunctionCode', 'CreateFunction', 'PublishVersion')"
# How far after a version's LastModified the CloudTrail time of the upload that made it may
# fall (the two clocks): a later upload of the same bytes is a rollback, not its maker.
LAST_MODIFIED_SKEW = 60
# The same function is the same (account, region, name): a same-named function in another
# region or account has its own history. A record without account or region still counts.
_SAME_FUNCTION = "function_name = ? AND coalesce(account, ?) = ? AND coalesce(aws_region, ?) = ?"


def _where(ref: FunctionRef) -> list[object]:
    """The parameters of `_SAME_FUNCTION` for a function."""
    return [ref.name, ref.account, ref.account, ref.region, ref.region]


def code_event(case: CaseView, config: FunctionConfig) -> TrailRow | None:
    """The call that uploaded this version's code (same function, same CodeSha256): of the
    uploads of those bytes, the last by the time the version was frozen (`_frozen_by`), so a
    rollback to earlier bytes is the rollback's upload, not their first one's.

    UpdateFunctionCode/CreateFunction carry the new hash in `responseElements.codeSha256`;
    they are preferred over the PublishVersion that merely froze it.
    """
    if not config.code_sha256:
        return None
    rows = select_events(
        case,
        f"operation IN {_CODE_OPS} AND {_SAME_FUNCTION} AND error_code IS NULL "
        "AND response_elements->>'$.codeSha256' = ?",
        [*_where(config.ref), config.code_sha256],
    )
    uploads = [r for r in rows if r.operation != "PublishVersion"]
    if not uploads:
        return rows[0] if rows else None
    published = published_at(case, config)
    limit = _frozen_by(case, config, published)
    if limit is None:
        return uploads[-1]
    done = _by(uploads, limit)
    if done:
        return done[-1]
    if not published:  # frozen at its LastModified: an upload just after it is the clock's
        skewed = _by(uploads, limit + LAST_MODIFIED_SKEW)
        return skewed[0] if skewed else None
    # No upload of the bytes before the version was published (it is older than the trail):
    # its publication, never a later upload of the same bytes (a rollback did not make it).
    frozen = _by([r for r in rows if r.operation == "PublishVersion"], limit)
    return frozen[-1] if frozen else None


def _by(rows: list[TrailRow], limit: float) -> list[TrailRow]:
    """The rows made by `limit` (a POSIX time)."""
    return [r for r in rows if (t := _parse(r.time or "")) and t.timestamp() <= limit]


def _frozen_by(
    case: CaseView, config: FunctionConfig, published: str | None = None
) -> float | None:
    """When the version was frozen, as a POSIX time with a second's slack: its publication
    (the call whose response names it; `published` when already looked up), else its
    LastModified; None when neither is known."""
    cutoff = _parse(published or published_at(case, config) or config.last_modified)
    return None if cutoff is None else cutoff.timestamp() + 1


def _parse(stamp: str) -> datetime | None:
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(stamp.replace("Z", "+0000"), fmt)
        except ValueError:
            continue
    return None


def published_at(case: CaseView, config: FunctionConfig) -> str | None:
    """When this numbered version was published, from the call whose response names it."""
    if not (config.ref.qualifier or "").isdigit():
        return None
    rows = select_events(
        case,
        f"operation IN {_CODE_OPS} AND {_SAME_FUNCTION} AND error_code IS NULL "
        "AND response_elements->>'$.version' = ?",
        [*_where(config.ref), config.ref.qualifier],
    )
    return rows[0].time if rows else None


def config_event(
    case: CaseView, config: FunctionConfig, field: str = "", contains: str = ""
) -> TrailRow | None:
    """The last configuration call on the function before this version was frozen.

    For a numbered version that is its publication (the PublishVersion, or UpdateFunctionCode
    / CreateFunction with Publish, whose response names the version); otherwise the
    version's LastModified. With `field`, only calls whose request set that parameter (and,
    with `contains`, mentioned that text in it: for a list, such as `layers`, was one of its
    items, so `…:layer:x:1` is not in `…:layer:x:10`) count: a call that changed the timeout
    did not set the layers.
    """
    rows = select_events(
        case,
        "operation IN ('UpdateFunctionConfiguration', 'CreateFunction') AND "
        f"{_SAME_FUNCTION} AND error_code IS NULL",
        _where(config.ref),
    )
    if field:
        rows = [r for r in rows if field in r.request and _mentions(r.request[field], contains)]
    limit = _frozen_by(case, config)
    if limit is None:
        return rows[-1] if rows else None
    before = _by(rows, limit)
    return before[-1] if before else None


def _mentions(value: object, text: str) -> bool:
    """A list's item is `text` (as a string); any other value's text holds it."""
    if isinstance(value, list):
        return text in (str(item) for item in value)
    return text in str(value)


def last_call(
    case: CaseView,
    operations: tuple[str, ...],
    function: FunctionRef,
    field: str = "",
    value: str = "",
) -> TrailRow | None:
    """The latest successful call of `operations` on a function (optionally with
    `requestParameters.<field>` equal to `value`), e.g. the AddPermission of a statement id."""
    where = f"list_contains(?, operation) AND {_SAME_FUNCTION} AND error_code IS NULL"
    params: list[object] = [list(operations), *_where(function)]
    if field:
        where += " AND json_extract_string(request_parameters, ?) = ?"
        params += [f"$.{field}", value]
    rows = select_events(case, where, params)
    return rows[-1] if rows else None
