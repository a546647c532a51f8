"""Where a package's files land when unpacked, and the folders holding vendored code (read
differently from the handler's own)."""

from __future__ import annotations

import posixpath

# Folders of AWS SDKs and HTTP libraries: they read credentials and make requests by design.
SDK_PATHS = (
    "botocore/",
    "boto3/",
    "s3transfer/",
    "awscli/",
    "urllib3/",
    "requests/",
    "node_modules/aws-sdk/",
    "node_modules/@aws-sdk/",
    "node_modules/@smithy/",
)


def unpacked_path(name: str) -> str:
    """The path a package member lands at, for every rule on where a file is: `unzip` and
    Python's zipfile write `./extensions/x`, `extensions//x` and `/extensions/x` as
    `extensions/x`, and unzip reads a DOS-made zip's backslashes as separators, so a rule
    on the member's raw name is evaded by spelling it so. Evidence keeps citing the name
    the zip gives; a name still climbing out (`../x`) stays so (LIR-CODE-004 reports it).
    """
    path = posixpath.normpath(name.replace("\\", "/").lstrip("/"))
    return "" if path == "." else path


def in_paths(name: str, prefixes: tuple[str, ...]) -> bool:
    """True when a member lies under one of the folders (at any depth), wherever it unpacks
    (`botocore/../evil.py` is not in botocore)."""
    path = unpacked_path(name)
    return any(path.startswith(p) or f"/{p}" in path for p in prefixes)
