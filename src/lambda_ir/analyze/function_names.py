"""Which of a case's functions a `NAME` or an `ARN` names (`diff`, `contain`).

A function name is unique only within one account and region, and a case collected over
several can hold one name more than once. A bare name that does is refused with the ARNs to
choose from, never settled by picking one: `contain` acting on the wrong region's function
changes what nobody asked to change, and leaves the compromised one running.
"""

from __future__ import annotations

from collections.abc import Sequence

from lambda_ir.analyze.caseview import CaseView


class AmbiguousName(ValueError):
    """A bare function name the case holds in more than one account or region."""


def function_arns(case: CaseView, function: str) -> tuple[str, ...]:
    """The unqualified ARNs of the case's functions that `function` (a name, or an ARN with or
    without a qualifier) names, sorted; empty when the case holds none."""
    name = function.split(":")[6] if function.startswith("arn:") else function
    arns = {c.unqualified_arn for c in case.functions if c.ref.name == name}
    if function.startswith("arn:"):
        arns &= {":".join(function.split(":")[:7])}
    return tuple(sorted(arns))


def one_function(function: str, arns: Sequence[str]) -> str | None:
    """The one ARN of `arns` (as `function_arns` gave them), None when there is none.

    Raises AmbiguousName, listing them, when there are several.
    """
    if len(arns) > 1:
        raise AmbiguousName(
            f"{function!r} exists in several accounts or regions; give its ARN: " + ", ".join(arns)
        )
    return arns[0] if arns else None
