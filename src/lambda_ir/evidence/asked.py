"""Which functions a collection asked for by name (`--function`) that AWS says do not exist.

A name without an ARN is looked for in every region of the scope: it is missing only when no
region has it (one region without it is no news). An ARN names its region: it is missing
when that region answers "not found". Only `lambda:ListVersionsByFunction` decides, the one
call every function collected gets: a version deleted while the run read it (its
`GetFunction` answering "not found") is not a missing function.
"""

from __future__ import annotations

from collections.abc import Iterable

from lambda_ir.model import FunctionRef

DECIDES = "lambda:ListVersionsByFunction"


def missing_functions(
    asked: Iterable[str], regions: Iterable[str], not_found: Iterable[tuple[str, str]]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(name, regions looked in) of each function `asked` (names or ARNs) that is in none of
    them, given the (name, region) pairs whose `DECIDES` call answered "not found"."""
    absent, everywhere = set(not_found), tuple(regions)
    out: dict[str, tuple[str, ...]] = {}
    for item in asked:
        looked: tuple[str, ...]
        if item.startswith("arn:"):
            try:
                ref = FunctionRef.from_arn(item)
            except ValueError:
                continue
            name, looked = ref.name, (ref.region,)
        else:
            name, looked = item, everywhere
        if looked and all((name, region) in absent for region in looked):
            out[name] = looked
    return tuple(out.items())
