"""The case's indicators: addresses, domains, URLs, hashes and access keys to block and hunt.

Gathered from what findings cite (an indicator matched in code or logs, the address and key
of a flagged actor, the package a code finding points into) and from incidents' actors;
exported as plain text (one per line, for a blocklist or grep) and as a STIX 2.1 bundle
(for a threat-intelligence platform). Ids are UUIDv5 of the value, so a re-run gives the
same bundle.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import urllib.parse
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from lambda_ir import sanitize
from lambda_ir.model import Finding, Severity
from lambda_ir.report.incidents import Incident

# Our own namespace for indicator ids (uuid5 of "kind:value").
NAMESPACE = uuid.UUID("5f0c7d2e-3b7a-4f0e-9a51-6c1d2e3f4a5b")
_NAMESPACE_BYTES = NAMESPACE.bytes
KINDS = ("ipv4", "ipv6", "domain", "url", "sha256", "access-key")
# Whitespace or a control inside a value: no URL, host, key or hash has one.
_INSIDE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_DOMAIN = re.compile(r"(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_KEY = re.compile(r"(AKIA|ASIA)[A-Z0-9]{12,124}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
# Addresses that are never an attacker's on the internet (private, loopback, link-local,
# carrier NAT, multicast, unspecified); documentation ranges stay, the demo uses them.
_INTERNAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",
        "::/128",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
)
# Detectors whose evidence path (with a member) is the malicious package itself.
_CODE_PREFIXES = ("yara:", "LIR-CODE-", "LIR-IOC-", "LIR-CHG-001")


@dataclass(frozen=True)
class Indicator:
    """One value to block or hunt for, and why it is in the list."""

    kind: str  # one of KINDS
    value: str
    why: str

    @property
    def stix_pattern(self) -> str:
        """The STIX 2.1 pattern that matches this value."""
        value = self.value.replace("\\", "\\\\").replace("'", "\\'")
        return {
            "ipv4": f"[ipv4-addr:value = '{value}']",
            "ipv6": f"[ipv6-addr:value = '{value}']",
            "domain": f"[domain-name:value = '{value}']",
            "url": f"[url:value = '{value}']",
            "sha256": f"[file:hashes.'SHA-256' = '{value}']",
            "access-key": f"[user-account:user_id = '{value}']",
        }[self.kind]


def gather(findings: Iterable[Finding], incidents: Iterable[Incident] = ()) -> list[Indicator]:
    """Every indicator findings and incidents name, once each, in KINDS order then value."""
    found: dict[tuple[str, str], Indicator] = {}
    # Values classified already (their indicators are in `found`, with the first `why`): a
    # million-event case named the same addresses and keys 646k times for 262k indicators.
    seen: set[str] = set()

    def add(values: Iterable[str], why: str) -> None:
        for value in values:
            if value in seen:
                continue
            seen.add(value)
            for kind, clean in classify(value):
                found.setdefault((kind, clean), Indicator(kind, clean, why))

    for finding in findings:
        if finding.severity.rank < Severity.MEDIUM.rank:
            continue  # a low finding's actor is not an attacker
        why = _why(finding)
        add(_values(finding), why)
        for sha256 in _code_hashes(finding):
            found.setdefault(("sha256", sha256), Indicator("sha256", sha256, why))
    for incident in incidents:
        for actor in incident.actors:
            add((*actor.addresses, *actor.access_keys), f"{incident.id}: used by {actor.principal}")
    return sorted(found.values(), key=lambda i: (KINDS.index(i.kind), i.value))


def classify(text: str) -> Iterator[tuple[str, str]]:
    """What a string is as an indicator: an address (port dropped), an http(s) URL (and its
    host when that is an address), another scheme's host, a domain, a SHA-256 or an AWS
    access key id; nothing for anything else."""
    value = text.strip()
    if _INSIDE.search(value):
        return  # a break inside would print a second, made-up value in indicators.txt
    if value.startswith(("http://", "https://")):
        try:
            host = urllib.parse.urlsplit(value).hostname
        except ValueError:
            return  # an unclosed [IPv6] host: no URL anything could have fetched
        if host:
            yield "url", value
            # Its host only when that is an address (http://203.0.113.201/collect), for egress
            # blocked by address; not a host name: a DNS-over-HTTPS lookup names
            # dns.google.com, which is not the attacker's (the name it resolves is, and
            # findings list that on its own).
            address = _address(host)
            if address is not None and not _internal(address):
                yield _address_kind(address), str(address)
        return
    if "://" in value:  # another scheme (a miner's stratum+tcp://pool:3333): its host
        try:
            host = urllib.parse.urlsplit(value).hostname or ""
        except ValueError:
            return
        if host and "://" not in host:
            yield from classify(host)
        return
    host = value.rsplit(":", 1)[0] if value.count(":") == 1 else value
    address = _address(host)
    if address is not None:
        if not _internal(address):
            yield _address_kind(address), str(address)
        return
    if _KEY.fullmatch(value):
        yield "access-key", value
    elif _SHA256.fullmatch(value.lower()):
        yield "sha256", value.lower()
    elif _DOMAIN.fullmatch(host.lower()) and not host.lower().endswith(".amazonaws.com"):
        yield "domain", host.lower()


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """`host` as an IP address, None when it is not one (a host name); an IPv4-mapped IPv6
    address (`::ffff:169.254.169.254`) as the IPv4 address it is, which blocklists name and
    the private ranges are checked against."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _address_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    return "ipv4" if address.version == 4 else "ipv6"


def _values(finding: Finding) -> Iterator[str]:
    """The strings of a finding that may be indicators (its details' and its actor's)."""
    details = finding.details
    listed = details.get("indicators")
    for value in [*(listed if isinstance(listed, list) else []), details.get("indicator")]:
        if isinstance(value, str):
            yield value
    if finding.actor is not None:
        for value in (finding.actor.source_ip, finding.actor.access_key_id):
            if value:
                yield value


def _code_hashes(finding: Finding) -> Iterator[str]:
    """The SHA-256 of each code package or file a code finding cites."""
    if finding.detector.startswith(_CODE_PREFIXES):
        for ref in finding.evidence:
            if ref.member and ref.path.startswith("blobs/") and _SHA256.fullmatch(ref.sha256):
                yield ref.sha256


# `_INTERNAL` as integer ranges by IP version: `address in network` for each of them cost
# more than the rest of `classify` on the 370k addresses of a million-event case.
_RANGES = {
    version: tuple(
        (int(n.network_address), int(n.broadcast_address))
        for n in _INTERNAL
        if n.version == version
    )
    for version in (4, 6)
}


def _internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """In a private, shared, loopback, link-local, multicast or unspecified range."""
    value = int(address)
    return any(low <= value <= high for low, high in _RANGES[address.version])


def _why(finding: Finding) -> str:
    return f"{finding.id}: {finding.title} ({finding.severity.value})"


def to_text(indicators: Iterable[Indicator]) -> str:
    """One value per line, each after a `# kind: why` comment (`lambda-ir search --ioc` and
    most blocklist tools read it as is)."""
    lines = ["# lambda-ir indicators: one value per line; sha256 is a code package's own hash"]
    for indicator in indicators:
        lines.append(f"# {indicator.kind}: {_one_line(indicator.why)}")
        lines.append(sanitize.field(indicator.value))
    return "\n".join(lines) + "\n"


def to_stix(indicators: Iterable[Indicator], created: str, case_id: str) -> dict[str, Any]:
    """A STIX 2.1 bundle with one `indicator` object per value (pattern_type `stix`)."""
    bundle = stix_bundle(created, case_id)
    bundle["objects"] = [stix_indicator(i, created, case_id) for i in indicators]
    return bundle


def stix_bundle(created: str, case_id: str) -> dict[str, Any]:
    """The bundle around the indicators, its `objects` empty and last (so they can be
    streamed into its end)."""
    bundle_id = uuid.uuid5(NAMESPACE, f"bundle:{case_id}:{_stix_time(created)}")
    return {"type": "bundle", "id": f"bundle--{bundle_id}", "objects": []}


def stix_indicator(indicator: Indicator, created: str, case_id: str) -> dict[str, Any]:
    """One STIX 2.1 `indicator` object; its id is a UUIDv5 of kind and value."""
    stamp = _stix_time(created)
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid5_text(f'{indicator.kind}:{indicator.value}')}",
        "created": stamp,
        "modified": stamp,
        "name": f"{indicator.kind} {indicator.value}",
        "description": _one_line(indicator.why),
        "indicator_types": ["malicious-activity"],
        "pattern": indicator.stix_pattern,
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": stamp,
        "labels": [f"lambda-ir-case:{case_id}"],
    }


def uuid5_text(name: str) -> str:
    """`str(uuid.uuid5(NAMESPACE, name))` without a `UUID` object: the SHA-1 of namespace and
    name, its version (5) and variant (RFC 4122) bits set, as hex in 8-4-4-4-12 groups.
    A million-event case's 355k indicators took 1.35 s through `UUID`, 0.5 s so."""
    sha1 = hashlib.sha1(_NAMESPACE_BYTES + name.encode(), usedforsecurity=False)  # UUIDv5 is
    digest = bytearray(sha1.digest()[:16])  # SHA-1 by definition, an id, not a secret
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _stix_time(iso: str) -> str:
    """STIX timestamps: UTC, `Z`, milliseconds."""
    text = iso.replace("+00:00", "Z")
    if not text.endswith("Z"):
        text += "Z"
    if "." not in text:
        text = text[:-1] + ".000Z"
    head, _, frac = text[:-1].partition(".")
    return f"{head}.{(frac + '000')[:3]}Z"


def _one_line(text: str) -> str:
    return " ".join(text.split())
