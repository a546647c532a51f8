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
`AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` turns off its `endpoint_url` settings and nothing
else: its credential, CA bundle and other host settings are used as ever; so does a profile's
own `ignore_configured_endpoint_urls = true` for that profile's (`sdk_profiles`).
"""

from __future__ import annotations

import configparser
from collections.abc import Sequence
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

# What a finding says of a file whose contents are not known, and under the switch that turns
# off every configured endpoint URL (`endpoint_url` in the environment and the config file)
_SWITCH = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true"
PROFILE_SWITCH = "ignore_configured_endpoint_urls"  # the same switch, in a profile
_UNKNOWN = (
    "that file's contents decide where the function's AWS calls go (an `endpoint_url` in "
    "it sends them, and the secrets and data they carry, to any host): read it, and "
    "unless it is your own"
)
_OFF_UNKNOWN = (
    "that file's contents decide which credentials sign the function's AWS calls (a "
    "`credential_process` in it runs a command) and which certificates and hosts they "
    f"trust (a `ca_bundle`, a `csm_host`); {_SWITCH} turns off its `endpoint_url` settings "
    "only: read it, and unless it is your own"
)


@dataclass(frozen=True)
class SdkSettings:
    """The settings of one config file that matter to a responder, each named by where it is
    (`[section] key`, so a summary can say so) with its value; `error` when the file cannot
    be read as the SDK reads it (then nothing is known of it)."""

    endpoints: tuple[tuple[str, str, str], ...] = ()  # (section, where, endpoint_url)
    hosts: tuple[tuple[str, str], ...] = ()  # (where, csm_host or ec2_metadata_service_endpoint)
    bundles: tuple[tuple[str, str], ...] = ()  # (where, ca_bundle)
    credentials: tuple[str, ...] = ()  # where each credential setting is, never its value
    error: str = ""


def sections(data: bytes) -> dict[str, dict[str, str]] | str:
    """A config or credentials file's sections, each key with its value as botocore reads them
    (`configloader.raw_config_parse`: names lower-cased, values stripped; a nested value kept
    as written), or why the SDK cannot read it."""
    if len(data) > MAX_CONFIG_BYTES:
        return f"over {MAX_CONFIG_BYTES:,} bytes, not read"
    parser = configparser.RawConfigParser()
    try:
        # lines broken as Python's `open()` reads them for botocore: a lone CR ends one too
        text = data.decode("utf-8")
        parser.read_string(text.replace("\r\n", "\n").replace("\r", "\n"))
    except (UnicodeDecodeError, configparser.Error) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"not an INI file the SDK reads ({first[:160]})"
    return {section: dict(parser.items(section)) for section in parser.sections()}


def read_settings(data: bytes) -> SdkSettings:
    """The endpoint, other host, CA bundle and credential settings of a config or credentials
    file."""
    parsed = sections(data)
    if isinstance(parsed, str):
        return SdkSettings(error=parsed)
    endpoints: list[tuple[str, str, str]] = []
    hosts: list[tuple[str, str]] = []
    bundles: list[tuple[str, str]] = []
    credentials: list[str] = []
    for section, values in parsed.items():
        for key, value in values.items():
            for name, setting, where in _settings(section, key, value):
                if name == "endpoint_url":
                    endpoints.append((section, where, setting))
                elif name in _HOST_KEYS:
                    hosts.append((where, setting))
                elif name == "ca_bundle":
                    bundles.append((where, setting))
                elif name in _CREDENTIAL_KEYS:
                    credentials.append(where)
    return SdkSettings(tuple(endpoints), tuple(hosts), tuple(bundles), tuple(credentials))


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


def config_verdict(
    read: bytes | None, endpoint_urls_off: bool = False, switched: frozenset[str] = frozenset()
) -> tuple[Severity, str]:
    """A config or credentials file's severity, and what a finding says of it: MEDIUM when it
    is not collected (None), unreadable, or holds what changes where the calls go (an
    `endpoint_url`, `csm_host` or `ec2_metadata_service_endpoint` at a public host outside
    AWS's endpoints, a `ca_bundle`) or which credentials sign them; INFO when it holds none
    of them (a region, retries). With `endpoint_urls_off` (the function sets
    `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`) its `endpoint_url` settings count for nothing
    and are said to be off: botocore's switch drops the configured endpoint URL
    (`ClientArgsCreator._compute_configured_endpoint_url`) and nothing else, so a
    `credential_process` still runs and a `ca_bundle`, `csm_host` or metadata endpoint is
    still used. The `endpoint_url` settings of the sections in `switched` count for nothing
    alike: the profile using them turns them off itself (`sdk_profiles`)."""
    unknown = _OFF_UNKNOWN if endpoint_urls_off else _UNKNOWN
    if read is None:
        return Severity.MEDIUM, unknown
    settings = read_settings(read)
    if settings.error:
        return Severity.MEDIUM, f"lambda-ir could not read it ({settings.error}); {unknown}"
    dropped = [e for e in settings.endpoints if endpoint_urls_off or e[0] in switched]
    on = [e for e in settings.endpoints if e not in dropped]
    used = [(where, url) for _, where, url in on] + list(settings.hosts)
    said = []
    for where, url in used:
        if host := reported_host(read_host(url)):
            said.append(f"{where} sends the calls to {host}")
    said.extend(f"{where} trusts the certificates in {path!r}" for where, path in settings.bundles)
    if settings.credentials:
        verb = "decides" if len(settings.credentials) == 1 else "decide"
        said.append(f"{', '.join(settings.credentials)} {verb} which credentials sign them")
    off = _turned_off(settings.endpoints) if endpoint_urls_off else _profile_off(dropped)
    if said:
        return Severity.MEDIUM, f"in it {'; '.join(said)}{off}: read it, and unless it is your own"
    inside = list(dict.fromkeys(read_host(url).host or "?" for _, url in used))
    kept = f" (endpoints inside the account's network or AWS's: {', '.join(inside)})"
    return Severity.INFO, (
        "it holds nothing that changes where the calls go or which credentials sign them"
        + (kept if inside else "")
        + off
    )


def _named(endpoints: Sequence[tuple[str, str, str]]) -> str:
    """Each `endpoint_url` setting with its host (an intruder's host there still tells who
    wrote the file)."""
    return ", ".join(f"{where} at {read_host(url).host or '?'}" for _, where, url in endpoints)


def _turned_off(endpoints: tuple[tuple[str, str, str], ...]) -> str:
    """What a finding says of a file's `endpoint_url` settings under the switch: off, each
    named with its host."""
    if not endpoints:
        return f"; {_SWITCH} turns off `endpoint_url` settings only (it holds none)"
    named = _named(endpoints)
    return f"; {_SWITCH} turns off its `endpoint_url` settings ({named}), nothing else in it"


def _profile_off(endpoints: Sequence[tuple[str, str, str]]) -> str:
    """What a finding says of the `endpoint_url` settings a profile's own switch turns off."""
    if not endpoints:
        return ""
    return (
        f"; botocore turns off {_named(endpoints)}: the profile using "
        f"{'it' if len(endpoints) == 1 else 'them'} sets `{PROFILE_SWITCH} = true` (its other "
        "settings are used as ever)"
    )
