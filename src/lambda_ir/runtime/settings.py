"""The collector's settings, read from the function's environment (set by `runtime attach`).

`LAMBDA_IR_BUCKET` (s3://bucket/prefix, required to ship anything), `LAMBDA_IR_EVERY` (a
snapshot every N invocations; 0 = cold start only), `LAMBDA_IR_SECONDS` (time budget of one
snapshot). The S3 endpoint is AWS's unless `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` says
otherwise (as boto3 reads them), which is how the tests reach the emulator;
`LAMBDA_IR_TMP` and `LAMBDA_IR_OPT` point the snapshot at other directories (tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .snapshot import Roots
from .upload import Destination

# A cold-start snapshot runs before the runtime starts, inside Lambda's 10 s init phase:
# 2 s for the snapshot plus two uploads of at most `upload.TIMEOUT` each.
DEFAULT_SECONDS = 2.0


@dataclass(frozen=True)
class Settings:
    """What the wrapper and the extension do."""

    destination: Destination | None
    every: int
    seconds: float
    roots: Roots = field(default_factory=Roots)


def read_settings(env: Mapping[str, str]) -> Settings:
    """Settings from the environment; a malformed value falls back to its default."""
    url = env.get("LAMBDA_IR_BUCKET", "")
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    try:
        destination = Destination.from_url(url, region, endpoint) if url else None
    except ValueError:
        destination = None
    roots = Roots(env.get("LAMBDA_IR_TMP") or Roots.tmp, env.get("LAMBDA_IR_OPT") or Roots.opt)
    return Settings(destination, _number(env, "LAMBDA_IR_EVERY", 0), _seconds(env), roots)


def _number(env: Mapping[str, str], key: str, default: int) -> int:
    try:
        return max(0, int(env.get(key, default)))
    except ValueError:
        return default


def _seconds(env: Mapping[str, str]) -> float:
    try:
        return min(30.0, max(0.5, float(env.get("LAMBDA_IR_SECONDS", DEFAULT_SECONDS))))
    except ValueError:
        return DEFAULT_SECONDS
