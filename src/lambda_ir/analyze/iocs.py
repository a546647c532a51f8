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
from typing import IO

import yara_x

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

    def matcher(self) -> IocMatcher | None:
        """A YARA-X matcher for the domains and IPs (None when there are none)."""
        values = sorted(self.strings())
        if not values:
            return None
        source = _rule("lir_ioc", _strings(values))
        scanner = yara_x.Scanner(yara_x.compile(source))
        scanner.set_timeout(30)
        return IocMatcher(scanner, tuple(values))

    def occurrence(self) -> IocOccurrence | None:
        """A test for any domain or IP anywhere in a stream (None when there are none)."""
        values = sorted(self.strings())
        if not values:
            return None
        # A case-insensitive regex (RE2, Python) also folds the Kelvin sign to k and the long
        # s to s: a file holding one is looked at more closely when an indicator has that
        # letter (only then: a two-byte string slows the scan eightfold).
        folds = [
            fold
            for letter, fold in (("k", "$kelvin = { E2 84 AA }"), ("s", "$long_s = { C5 BF }"))
            if any(letter in value for value in values)
        ]
        source = _rule("lir_ioc_any", [*_strings(values), *folds])
        return IocOccurrence(yara_x.compile(source), max(len(v) for v in values))


@dataclass(frozen=True)
class IocOccurrence:
    """Whether any indicator occurs in a stream at all, whatever its case or surroundings:
    a cheap necessary condition (one Aho-Corasick pass) before an exact, bounded match.
    Streams may be tested on several threads at once (a YARA-X scanner is one thread's: each
    test makes its own from the shared rules)."""

    rules: yara_x.Rules
    longest: int

    def in_stream(self, stream: IO[bytes], chunk: int = 8 << 20) -> bool:
        """True when an indicator may occur in the stream (read in bounded chunks)."""
        scanner = yara_x.Scanner(self.rules)
        scanner.set_timeout(30)
        tail = b""
        try:
            while block := stream.read(chunk):
                data = tail + block
                try:
                    if scanner.scan(data).matching_rules:
                        return True
                except (yara_x.TimeoutError, yara_x.ScanError):
                    return True  # cannot tell: the exact match decides
                tail = data[-(self.longest - 1) :] if self.longest > 1 else b""
            return False
        finally:
            # Freed on this thread: a read error's traceback holds this frame, and the thread
            # that drops the error must not be the one to free the scanner (PyO3 refuses).
            del scanner


@dataclass(frozen=True)
class IocMatcher:
    """Finds domain and IP indicators in bytes, on label boundaries, case-insensitively."""

    scanner: yara_x.Scanner
    values: tuple[str, ...]

    def find(self, data: bytes) -> set[str]:
        """Indicators in `data` as whole names (`gw.denonia.xyz`, not `xgw.denonia.xyz`)."""
        try:
            results = self.scanner.scan(data)
        except (yara_x.TimeoutError, yara_x.ScanError):
            return set()
        found: set[str] = set()
        for rule in results.matching_rules:
            for pattern in rule.patterns:
                value = self.values[int(pattern.identifier[2:])]
                if any(_bounded(data, m.offset, m.length) for m in pattern.matches):
                    found.add(value)
        return found


def _strings(values: list[str]) -> list[str]:
    # Values passed _DOMAIN or ipaddress checks: only [a-z0-9.:-], safe in a YARA string.
    return [f'$i{n} = "{v}" ascii nocase' for n, v in enumerate(values)]


def _rule(name: str, strings: list[str]) -> str:
    lines = "\n".join(f"        {line}" for line in strings)
    return f"rule {name} {{\n    strings:\n{lines}\n    condition:\n        any of them\n}}\n"


def _bounded(data: bytes, offset: int, length: int) -> bool:
    before = data[offset - 1 : offset] if offset else b""
    after = data[offset + length : offset + length + 2]
    if before and (before.isalnum() or before in b".-"):
        return False
    if after[:1] and (after[:1].isalnum() or after[:1] == b"-"):
        return False
    return not (after[:1] == b"." and after[1:2].isalnum())


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
