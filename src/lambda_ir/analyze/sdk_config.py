"""What an AWS SDK config or credentials file packaged with a function tells its SDK.

`AWS_CONFIG_FILE` (and `AWS_SHARED_CREDENTIALS_FILE`, whose profiles botocore merges into
its config) names a file whose settings the SDKs read at every client they make. Most such
files set a region or retries; a few settings change where the calls go or which credentials
sign them: `endpoint_url` (in a profile, or in a `services` section a profile names: every
call, or one service's, goes to that host), `ca_bundle` (the certificates trusted for those
calls), `credential_process` (a command run for credentials), role settings (`role_arn` with
`source_profile` or `credential_source`, `web_identity_token_file`) and static keys. The file
is read as botocore reads it (`configloader.raw_config_parse`: an INI file whose value
starting on the next line is itself `key = value` lines), never run.
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass

from lambda_ir.analyze.url_hosts import read_host, reported_host
from lambda_ir.model import Severity

MAX_CONFIG_BYTES = 1 << 20  # a larger "config file" is not read (and reported as such)
# Settings that change which credentials sign the calls, by name.
_CREDENTIAL_KEYS = (
    "credential_process",
    "role_arn",
    "credential_source",
    "source_profile",
    "web_identity_token_file",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "sso_session",
    "sso_start_url",
    "sso_account_id",
    "sso_role_name",
)
# Settings naming a host the SDK sends to besides the service's: client-side monitoring
# (botocore sends each call's metadata, access key id and session token included, by UDP to
# `csm_host` when `csm_enabled`) and the instance metadata endpoint credentials come from.
_HOST_KEYS = ("csm_host", "ec2_metadata_service_endpoint")


@dataclass(frozen=True)
class SdkSettings:
    """The settings of one config file that matter to a responder, each named by where it is
    (`[section] key`, so a summary can say so) with its value; `error` when the file cannot
    be read as the SDK reads it (then nothing is known of it)."""

    endpoints: tuple[tuple[str, str], ...] = ()  # (where, endpoint_url)
    bundles: tuple[tuple[str, str], ...] = ()  # (where, ca_bundle)
    credentials: tuple[str, ...] = ()  # where each credential setting is, never its value
    error: str = ""


def read_settings(data: bytes) -> SdkSettings:
    """The endpoint, CA bundle and credential settings of a config or credentials file."""
    if len(data) > MAX_CONFIG_BYTES:
        return SdkSettings(error=f"over {MAX_CONFIG_BYTES:,} bytes, not read")
    parser = configparser.RawConfigParser()
    try:
        # lines broken as Python's `open()` reads them for botocore: a lone CR ends one too
        text = data.decode("utf-8")
        parser.read_string(text.replace("\r\n", "\n").replace("\r", "\n"))
    except (UnicodeDecodeError, configparser.Error) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return SdkSettings(error=f"not an INI file the SDK reads ({first[:160]})")
    endpoints: list[tuple[str, str]] = []
    bundles: list[tuple[str, str]] = []
    credentials: list[str] = []
    for section in parser.sections():
        for key, value in parser.items(section):
            for name, setting, where in _settings(section, key, value):
                if name == "endpoint_url" or name in _HOST_KEYS:
                    endpoints.append((where, setting))
                elif name == "ca_bundle":
                    bundles.append((where, setting))
                elif name in _CREDENTIAL_KEYS:
                    credentials.append(where)
    return SdkSettings(tuple(endpoints), tuple(bundles), tuple(credentials))


def _settings(section: str, key: str, value: str) -> list[tuple[str, str, str]]:
    """(name, value, where) for a key and, when its value is nested (`s3 =` then indented
    `endpoint_url = …` lines, as botocore's `_parse_nested` reads it), each line inside."""
    where = f"[{section}] {key.strip()}"
    found = [(key.strip().lower(), value.strip(), where)]
    if "\n" in value:
        for line in value.splitlines():
            name, equals, setting = line.partition("=")
            if equals:
                found.append((name.strip().lower(), setting.strip(), f"{where}.{name.strip()}"))
    return found


def config_verdict(read: bytes | None) -> tuple[Severity, str]:
    """A config or credentials file's severity, and what a finding says of it: MEDIUM when it
    is not collected (None), unreadable, or holds what changes where the calls go (an
    `endpoint_url` at a public host outside AWS's endpoints, a `ca_bundle`) or which
    credentials sign them; INFO when it holds none of them (a region, retries)."""
    unknown = (
        "that file's contents decide where the function's AWS calls go (an `endpoint_url` in "
        "it sends them, and the secrets and data they carry, to any host): read it, and "
        "unless it is your own"
    )
    if read is None:
        return Severity.MEDIUM, unknown
    settings = read_settings(read)
    if settings.error:
        return Severity.MEDIUM, f"lambda-ir could not read it ({settings.error}); {unknown}"
    said = []
    for where, url in settings.endpoints:
        if host := reported_host(read_host(url)):
            said.append(f"{where} sends the calls to {host}")
    said.extend(f"{where} trusts the certificates in {path!r}" for where, path in settings.bundles)
    if settings.credentials:
        verb = "decides" if len(settings.credentials) == 1 else "decide"
        said.append(f"{', '.join(settings.credentials)} {verb} which credentials sign them")
    if said:
        return Severity.MEDIUM, f"in it {'; '.join(said)}: read it, and unless it is your own"
    inside = list(dict.fromkeys(read_host(url).host or "?" for _, url in settings.endpoints))
    kept = f" (endpoints inside the account's network or AWS's: {', '.join(inside)})"
    return Severity.INFO, (
        "it holds nothing that changes where the calls go or which credentials sign them"
        + (kept if inside else "")
    )
