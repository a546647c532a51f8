"""The host a proxy, endpoint or destination variable sends to, as HTTP clients read it.

botocore and requests connect to the host urllib3's `parse_url` reads, so that is the host a
value names. Other readers part from it on some values: Python's `urlsplit` (which botocore
checks an endpoint URL with, then connects through urllib3) reads past a backslash, so
`http://evil.example\\@10.0.0.5:3128` is 10.0.0.5 to it and evil.example to the client, which
botocore then masks as `http://***@10.0.0.5:3128` in its errors; WHATWG URL (Node, axios)
drops tabs and newlines anywhere and reads the host after `http:` with no `//`; percent-
encoding in a host is decoded by some and not by others. A value with any of these, or on
which the readers part, is in doubt: no one host can be vouched for, whichever a reader finds.
A host is named as the resolver is asked it: underscores kept, a non-ASCII name IDNA-encoded
(a Cyrillic look-alike of `proxy.example.com` is `xn--prxy-65d.example.com`), and kept as
written too. Pure string work: nothing is resolved or connected to.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import urllib.parse
from typing import NamedTuple

from urllib3.util import parse_url

from lambda_ir.analyze.baseline_tools import is_internal, network_of

# WHATWG URL strips these from both ends (urllib3 refuses such a value: it sends nothing)
_CONTROL_OR_SPACE = "".join(map(chr, range(0x21)))
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
# a name a resolver takes (underscores too: DNS carries them, clients connect to them); a
# list or garbage is none
_NAME = re.compile(r"[a-z0-9_.-]+")
# schemes WHATWG URL reads a host after even without `//` (`http:evil.example`)
_SPECIAL = re.compile(r"(?i)(https?|wss?|ftp):")
_AUTHORITY_END = re.compile(r"[/?#\\]")


class HostReading(NamedTuple):
    """What a variable's value sends to, as the clients read it."""

    host: str  # lower case, no trailing dot, IDNA-encoded, IPv4 dotted; "" when none is read
    doubt: str = ""  # why readers may find another host in the value; "" when none may
    written: str = ""  # a non-ASCII host as written (`host` is what the resolver is asked)


def address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """`host` as an address, as a resolver reads it (IPv4 in any of inet_aton's forms:
    `3405803777`, `127.1`; an IPv4-mapped IPv6 address as its IPv4), None for a name."""
    try:
        parsed = ipaddress.ip_address(host)
    except ValueError:
        try:
            parsed = ipaddress.IPv4Address(socket.inet_aton(host))
        except (OSError, ValueError):  # ValueError: a NUL in it
            return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def read_host(value: str) -> HostReading:
    """The host a URL or host value sends to: urllib3's reading (else Python's `urlsplit`'s,
    else WHATWG URL's), with why readers may part over it and what each reads."""
    text = value.strip(_CONTROL_OR_SPACE)
    url = _with_scheme(text)
    readings = {
        "urllib3 (botocore, requests)": _normal(_urllib3_host(url)),
        "Python's urlsplit": _normal(_urlsplit_host(url)),
        "WHATWG URL (Node)": _normal(_whatwg_host(text)),
    }
    doubts = _odd_characters(text, url)
    if doubts or len({host for host in readings.values() if host}) > 1:
        doubts.append(
            ", ".join(f"{who} reads {host or 'no host'}" for who, host in readings.items())
        )
    host = next((host for host in readings.values() if host), "")
    return HostReading(host, "; ".join(doubts), _as_written(url, host))


def _with_scheme(text: str) -> str:
    """The URL a client makes of a value (botocore's `_fix_proxy_url`): `http:` before a
    `//host`, `http://` before a bare host; a value with a scheme as it is."""
    if text.startswith("//"):
        return f"http:{text}"
    return text if "://" in text or _SPECIAL.match(text) else f"http://{text}"


def _urllib3_host(url: str) -> str:
    try:
        return parse_url(url).host or ""
    except ValueError:  # LocationParseError: the client refuses the value
        return ""


def _urlsplit_host(url: str) -> str:
    try:
        return urllib.parse.urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _whatwg_host(text: str) -> str:
    """The host WHATWG URL (Node, axios) reads where it parts from urllib3: tabs and newlines
    dropped anywhere, and after a special scheme (`http:`) a backslash read as a slash, any
    number of slashes skipped, the host percent-decoded."""
    url = _TAB_OR_NEWLINE.sub("", _with_scheme(text))
    if (scheme := _SPECIAL.match(url)) is None:  # `socks5://`: no backslash or slash rules
        return _urlsplit_host(url)
    rest = url[scheme.end() :].replace("\\", "/").lstrip("/")
    return urllib.parse.unquote(_urlsplit_host(f"http://{rest}"))


def _as_written(url: str, host: str) -> str:
    """The host as the value writes it, when that is not the ASCII name looked up (a
    Cyrillic `о` in `prоxy.example.com` is `xn--prxy-65d.example.com`); else ""."""
    written = _urlsplit_host(url).rstrip(".")
    return written if not written.isascii() and _normal(written) == host else ""


def _normal(host: str) -> str:
    """A host as compared and judged: lower case without brackets or a trailing dot, an
    address in its usual form, a non-ASCII name IDNA-encoded as the resolver is asked it
    (urllib3 and WHATWG URL encode it so, and Python's sockets with its `idna` codec, which
    folds full-width letters and `。` as they do); "" for what no resolver takes (a list, a
    pipe, a label too long)."""
    host = host.strip("[]").rstrip(".")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii").rstrip(".")
        except UnicodeError:
            return ""
    host = host.lower()
    if (parsed := address(host)) is not None:
        return str(parsed)
    return host if _NAME.fullmatch(host) else ""


def _odd_characters(text: str, url: str) -> list[str]:
    """What in a value lets URL readers part over its host: how an intruder hides a public
    host behind a private one, and rare in an honest proxy or endpoint."""
    found = []
    if "\\" in text:
        found.append("a backslash, where urllib3 and WHATWG URL end the host and urlsplit does not")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in text):
        found.append("whitespace or a control character inside, which WHATWG URL drops in part")
    after_scheme = url.partition("://")[2]
    authority = _AUTHORITY_END.split(after_scheme, maxsplit=1)[0]
    if text.count("@") > 1 or "@" in after_scheme[len(authority) :]:
        found.append("an @ past the user part, where readers differ on which @ ends it")
    if "%" in authority.rpartition("@")[2]:
        found.append("percent-encoding in the host, which some readers decode")
    if (scheme := _SPECIAL.match(text)) and not text[scheme.end() :].startswith("//"):
        found.append("a scheme without //, after which WHATWG URL reads a host")
    return found


# AWS's service endpoints (regional, FIPS, dual-stack, China, VPC endpoints) end so; the
# names of what anyone can rent there (an EC2 instance, an API Gateway, a website bucket, a
# load balancer, an App Runner service, a Function URL on `.on.aws`) do not vouch for a host.
_AWS_DOMAINS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")
_RENTED = re.compile(
    r"(^|[.-])(compute|execute-api|s3-website|elb|elasticbeanstalk|awsapprunner|appsync-api"
    r"|lambda-url|cloudfront)([.-]|$)"
)
# A service whose customers' own names stand before its label: `drop.s3.amazonaws.com` is a
# bucket anyone can own, `s3.eu-west-1.amazonaws.com` AWS's endpoint (an OpenSearch domain,
# an IoT data endpoint, an access point alike); a VPC endpoint's name is the account's own.
_NAMED_BEFORE = frozenset({"s3", "s3-accesspoint", "s3-fips", "es", "aoss", "iot"})
_INTERNAL_NAMES = (".internal", ".local", ".localhost", ".corp", ".lan", ".home.arpa")


def public_host(value: str) -> str:
    """The host a proxy or endpoint value sends to (`read_host`: as urllib3, under
    botocore and requests, reads it) when it is on the internet outside AWS's service
    endpoints, else "": a private, loopback or link-local address, a one-label or internal
    name, an AWS service endpoint, or a value that names no one host (one URL readers may
    part over is for the caller to report)."""
    reading = read_host(value)
    return "" if reading.doubt else public_name(reading.host)


def reported_host(reading: HostReading) -> str:
    """The host a redirect is reported at: whatever host one reader finds when readers part
    over the value (the trick hides a public host behind a private one), else the one host
    when it is public (`public_name`), else ""."""
    return reading.host if reading.doubt else public_name(reading.host)


def public_name(host: str) -> str:
    """`host` when it is on the internet outside AWS's service endpoints, else ""."""
    parsed = address(host)
    if parsed is not None:
        inside = (
            parsed.is_loopback
            or parsed.is_link_local
            or parsed.is_unspecified
            or parsed.is_multicast
            or parsed.is_reserved
        )
        return "" if inside or is_internal(network_of(str(parsed))) else str(parsed)
    if "." not in host or host.endswith(_INTERNAL_NAMES):
        return ""
    if host.endswith(_AWS_DOMAINS) and not _RENTED.search(host) and not _customers(host):
        return ""
    return host


def _customers(host: str) -> bool:
    """A name a customer chose under an AWS service's label (a bucket, a domain)."""
    labels = host.split(".")
    return not host.endswith(".vpce.amazonaws.com") and any(
        label in _NAMED_BEFORE for label in labels[1:]
    )
