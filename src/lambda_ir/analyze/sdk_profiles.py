"""Which `endpoint_url` settings of an SDK config file its own profiles turn off.

botocore reads `ignore_configured_endpoint_urls` as it reads any setting
(`configprovider`: the variable `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` when it is set at all,
whatever its value, else the profile's `ignore_configured_endpoint_urls`, true when it says
`true` in any case: `utils.ensure_boolean`), from the same profile it reads `endpoint_url`
from (`Session.get_scoped_config`), and drops the configured endpoint URL when it is true
(`ClientArgsCreator._compute_configured_endpoint_url`). So a profile's `endpoint_url`, and
those of the `services` section it names, are off exactly when that profile says so,
whichever profile the function uses (`AWS_DEFAULT_PROFILE`, else `AWS_PROFILE`, else
`default`, or one its code names). The credentials file's profiles are merged over the
config file's, key by key (`Session.full_config`): a switch written there wins.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.sdk_config import PROFILE_SWITCH, sections
from lambda_ir.analyze.sdk_files import (
    CONFIG_FILE,
    CREDENTIALS_FILE,
    SdkFile,
    home_paths,
    located,
    sdk_paths,
    shipped,
)
from lambda_ir.analyze.values import FunctionConfig

_Sections = Mapping[str, Mapping[str, str]]


def _named(section: str, prefix: str) -> str:
    """The name in a `[prefix NAME]` section as botocore reads it (`configloader.
    _parse_section`: split as a shell splits it, two parts), or ""."""
    try:
        parts = shlex.split(section)
    except ValueError:
        return ""
    return parts[1] if section.startswith(prefix) and len(parts) == 2 else ""


def _config_profiles(parsed: _Sections) -> dict[str, str]:
    """The config file's profile sections and the profile each is (`configloader.
    build_profile_map`: `[default]` and `[profile NAME]`)."""
    profiles = {s: s if s == "default" else _named(s, "profile") for s in parsed}
    return {section: profile for section, profile in profiles.items() if profile}


def _merged(config: _Sections, credentials: _Sections) -> dict[str, dict[str, str]]:
    """Each profile's settings as botocore holds them: the config file's (the last section
    naming a profile replaces an earlier one), then the credentials file's over them."""
    merged: dict[str, dict[str, str]] = {}
    for section, profile in _config_profiles(config).items():
        merged[profile] = dict(config[section])
    for profile, values in credentials.items():
        merged.setdefault(profile, {}).update(values)
    return merged


def _switched(settings: Mapping[str, str]) -> bool:
    """Whether a profile's settings turn its endpoint URLs off (`ensure_boolean`)."""
    return settings.get(PROFILE_SWITCH, "").lower() == "true"


def switched_sections(
    config: bytes | None, credentials: bytes | None, judged_credentials: bool = False
) -> frozenset[str]:
    """Sections of the config file (or, `judged_credentials`, the credentials file) whose
    `endpoint_url` settings botocore drops because the profile using them sets
    `ignore_configured_endpoint_urls = true`. A file is its bytes, b"" when there is none,
    None when its contents are not known: an unknown or unreadable credentials file may
    switch any profile's setting back, so then none of the config file's counts (an unknown
    config file only adds switches, the credentials file's own win: it is judged without)."""
    files = (credentials, config) if judged_credentials else (config, credentials)
    judged = sections(files[0]) if files[0] is not None else "not known"
    other = sections(files[1]) if files[1] is not None else "not known"
    if isinstance(judged, str):
        return frozenset()
    if judged_credentials:
        merged = _merged({} if isinstance(other, str) else other, judged)
        return frozenset(s for s in judged if _switched(merged[s]))
    if isinstance(other, str):
        return frozenset()
    merged = _merged(judged, other)
    off = {s for s, p in _config_profiles(judged).items() if _switched(merged[p])}
    for section in judged:  # `[services NAME]`: off for the profiles naming it
        name = _named(section, "services")
        users = [p for p in merged.values() if name and p.get("services") == name]
        if users and all(_switched(p) for p in users):
            off.add(section)
    return frozenset(off)


def profile_switches(
    case: CaseView, config: FunctionConfig, cache: dict[object, SdkFile]
) -> dict[str, frozenset[str]]:
    """For a Python function without `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` (botocore reads the
    variable when set at all, and the profile's setting only without it), the sections of its
    config and credentials files whose `endpoint_url` their profile turns off
    (`switched_sections`). Other runtimes' SDKs are not botocore: nothing is turned off there."""
    env = config.environment
    if not config.runtime.startswith("python") or "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" in env:
        return {}
    files: dict[str, bytes | None] = {CONFIG_FILE: b"", CREDENTIALS_FILE: b""}  # none read
    for name, path in sdk_paths(env):
        if name in files:
            found = located(case, config, name, path, cache)
            files[name] = b"" if found.absent else found.read
    for name, path in home_paths(env):  # a file under HOME that no package ships is none
        found = located(case, config, name, path, cache)
        files[name] = found.read if shipped(case, config, found) else b""
    config_file, credentials = files[CONFIG_FILE], files[CREDENTIALS_FILE]
    return {
        CONFIG_FILE: switched_sections(config_file, credentials),
        CREDENTIALS_FILE: switched_sections(config_file, credentials, judged_credentials=True),
    }
