"""Building `AnalyzeOptions` from the files a responder passes (`--allow`, `--ioc`, …)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from lambda_ir.analyze.caseview import AnalyzeOptions

_ACCOUNT = re.compile(r"^\d{12}$")


def read_allow_file(path: Path) -> tuple[frozenset[str], frozenset[str]]:
    """Parse an allow-list: one entry a line, `#` comments.

    A 12-digit line is a trusted account (layers, destinations, invokers from it are not
    flagged); any other line is a name that is allowed (a layer ARN, or an environment
    variable name whose value is known not to be a secret).
    """
    accounts: set[str] = set()
    names: set[str] = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        (accounts if _ACCOUNT.fullmatch(line) else names).add(line)
    return frozenset(accounts), frozenset(names)


def build_options(
    yara_dirs: Sequence[Path] = (),
    sigma_dirs: Sequence[Path] = (),
    ioc_files: Sequence[Path] = (),
    allow_file: Path | None = None,
) -> AnalyzeOptions:
    """Options for one analysis run; the allow file is read here, once."""
    accounts, names = read_allow_file(allow_file) if allow_file else (frozenset(), frozenset())
    return AnalyzeOptions(
        yara_dirs=tuple(yara_dirs),
        sigma_dirs=tuple(sigma_dirs),
        ioc_files=tuple(ioc_files),
        allow_file=allow_file,
        allowed_accounts=accounts,
        allowed_names=names,
    )
