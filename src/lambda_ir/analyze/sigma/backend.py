"""A DuckDB backend for Sigma CloudTrail rules, evaluated on the JSON `record` column.

pysigma-backend-duckdb (0.1.4) treats `requestParameters.functionName` as one column with a
dot in its name, compares with case-sensitive `=`, leaves `%`/`_` unescaped inside LIKE, and
lets a missing field turn `not filter` into NULL (no match). This subclass fixes all four so
SigmaHQ's CloudTrail rules run unchanged:
- a field is `record->>'$."a"."b"'` (JSON path on the raw record: any nesting, any schema);
- every string match is `ILIKE … ESCAPE '\\'` (Sigma is case-insensitive; `*`/`?` are its only
  wildcards, literal `%`/`_` are escaped);
- every comparison is wrapped in `coalesce(…, false)` so a missing field simply does not match.
Values come from rule files and are quoted by the backend; trail data is never put in SQL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from sigma.conditions import ConditionFieldEqualsValueExpression
from sigma.conversion.state import ConversionState
from sigma.processing.pipeline import ProcessingPipeline
from sigma.types import SigmaRegularExpression
from sigma_backend_duckdb import DuckDBBackend  # type: ignore[import-untyped]

# A field as `TrailBackend.escape_and_quote_field` writes it; group 1 is the quoted JSON path,
# which always starts with `$`. In a rule's values (SQL literals, every `'` doubled) the text
# `(record->>'` is always followed by a second `'`, never by `$`, so no value matches.
_FIELD = re.compile(r"\(record->>'(\$(?:[^']|'')*)'\)")


def share_fields(clauses: Sequence[str]) -> tuple[str, list[str]]:
    """Rewrite clauses to read each field from `f`, one multi-path extract of `record`.

    Returns the SQL list of JSON paths for `json_extract_string(record, <list>) AS f`, and the
    clauses with each `(record->>'path')` made `f[i]`: one JSON parse per record for every
    rule instead of one per field per rule (~200 per record for SigmaHQ's 57 rules).
    """
    paths = sorted({m.group(1) for clause in clauses for m in _FIELD.finditer(clause)})
    position = {path: number for number, path in enumerate(paths, start=1)}
    rewritten = [_FIELD.sub(lambda m: f"f[{position[m.group(1)]}]", clause) for clause in clauses]
    return "[" + ", ".join(f"'{path}'" for path in paths) + "]", rewritten


class TrailBackend(DuckDBBackend):  # type: ignore[misc]  # untyped base class
    """Sigma → a DuckDB WHERE clause over the raw CloudTrail `record` (JSON)."""

    name: ClassVar[str] = "lambda-ir CloudTrail on DuckDB"
    escape_char: ClassVar[str] = "\\"
    add_escaped: ClassVar[str] = "%_"
    filter_chars: ClassVar[str] = ""
    re_expression: ClassVar[str] = "coalesce(regexp_matches({field}, '{regex}'), false)"
    field_exists_expression: ClassVar[str] = "({field} IS NOT NULL)"
    field_not_exists_expression: ClassVar[str] = "({field} IS NULL)"
    compare_op_expression: ClassVar[str] = (
        "coalesce(TRY_CAST({field} AS DOUBLE) {operator} {value}, false)"
    )
    field_equals_field_expression: ClassVar[str] = "coalesce({field1} = {field2}, false)"

    def __init__(self, **kwargs: Any) -> None:
        # An empty pipeline: CloudTrail field names are used as written in the rule.
        super().__init__(processing_pipeline=ProcessingPipeline(), **kwargs)

    def convert_value_re(self, r: SigmaRegularExpression, state: ConversionState) -> str:
        """The regex as the body of a SQL string literal: each `'` doubled.

        The base class's regex escaping is empty (`re_escape=()`), so a `'` in an `|re` value
        would end the literal and the rest of the value would be SQL.
        """
        return str(super().convert_value_re(r, state)).replace("'", "''")

    def escape_and_quote_field(self, field_name: str) -> str:
        """`a.b.c` → `(record->>'$."a"."b"."c"')`, JSON-path access with each key quoted."""
        parts = [part.replace("\\", "\\\\").replace('"', '\\"') for part in field_name.split(".")]
        path = "$." + ".".join(f'"{part}"' for part in parts)
        return "(record->>'" + path.replace("'", "''") + "')"

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """Every string comparison as a case-insensitive, escaped ILIKE pattern."""
        pattern = self.convert_value_str(cond.value, state, no_quote=True)
        return (
            f"coalesce({self.escape_and_quote_field(cond.field)} ILIKE '{pattern}' "
            "ESCAPE '\\', false)"
        )

    def finalize_query_default(self, rule: Any, query: str, index: int, state: Any) -> str:
        """Only the condition: the caller selects records with it (`index_trail.records_query`)."""
        return query
