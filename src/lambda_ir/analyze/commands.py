"""Commands that findings and the report suggest, complete so they work when pasted.

One place builds them: the case by its absolute path, the function by its unqualified ARN
(a name can be ambiguous across regions and accounts), every argument shell-quoted
(`$LATEST` must not be expanded by the shell).
"""

from __future__ import annotations

import shlex
from pathlib import Path

from lambda_ir.model import FunctionRef


def diff_command(case_dir: Path | str, function: FunctionRef, a: str, b: str) -> str:
    """`lambda-ir diff --case DIR ARN A B` for two qualifiers of one function."""
    arn = FunctionRef(function.account, function.region, function.name).arn
    parts = ("lambda-ir", "diff", "--case", str(Path(case_dir).resolve()), arn, a, b)
    return " ".join(shlex.quote(part) for part in parts)
