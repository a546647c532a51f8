"""Indicator lists (SHA-256 hashes, domains, IPv4 addresses): bundled Denonia IOCs plus `--ioc`.

One indicator a line, `#` comments, defanged `[.]` accepted; the type is inferred.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DOMAIN = re.compile(r"^(?=.{3,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$")


@dataclass(frozen=True)
class IocSet:
    """Indicators to look for, each with the list (file) it came from."""

    hashes: dict[str, str]
    domains: dict[str, str]
    ips: dict[str, str]

    def strings(self) -> dict[str, str]:
        """Domains and IPs: indicators searched for in text."""
        return {**self.domains, **self.ips}

    def pattern(self) -> re.Pattern[bytes] | None:
        """One regex finding any domain or IP in bytes, on label boundaries (case-insensitive)."""
        values = sorted(self.strings(), key=len, reverse=True)
        if not values:
            return None
        body = b"|".join(re.escape(v.encode()) for v in values)
        return re.compile(
            rb"(?<![A-Za-z0-9.-])(" + body + rb")(?![A-Za-z0-9-]|\.[A-Za-z0-9])", re.I
        )


def parse_iocs(text: str, source: str) -> IocSet:
    """Indicators of one list."""
    hashes: dict[str, str] = {}
    domains: dict[str, str] = {}
    ips: dict[str, str] = {}
    for raw in text.splitlines():
        value = raw.split("#", 1)[0].strip().lower().replace("[.]", ".").replace("[:]", ":")
        value = value.removeprefix("hxxp://").removeprefix("hxxps://").rstrip("/")
        if not value:
            continue
        if _SHA256.match(value):
            hashes[value] = source
        elif _is_ip(value):
            ips[value] = source
        elif _DOMAIN.match(value):
            domains[value] = source
    return IocSet(hashes, domains, ips)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def load_iocs(files: Iterable[Path] = ()) -> IocSet:
    """The bundled list plus the responder's files."""
    bundled = resources.files("lambda_ir.analyze") / "rules" / "iocs.txt"
    sets = [parse_iocs(bundled.read_text(encoding="utf-8"), "bundled/iocs.txt")]
    sets.extend(parse_iocs(Path(f).read_text(encoding="utf-8"), str(f)) for f in files)
    return IocSet(
        hashes={k: v for s in sets for k, v in s.hashes.items()},
        domains={k: v for s in sets for k, v in s.domains.items()},
        ips={k: v for s in sets for k, v in s.ips.items()},
    )
