"""Folders inside a package that hold vendored code read differently from the handler's own."""

from __future__ import annotations

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


def in_paths(name: str, prefixes: tuple[str, ...]) -> bool:
    """True when a member lies under one of the folders (at any depth)."""
    return any(name.startswith(p) or f"/{p}" in name for p in prefixes)
