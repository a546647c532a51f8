"""LIR-CFG-010: environment variables that send a function's traffic through someone else.

The AWS SDKs honour `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` (every call to AWS,
or to one service, goes to that address instead: the secrets it asks for, the objects it puts),
and HTTP clients honour `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` (every outbound connection
through that host). Neither needs a change to the code. With a CA bundle variable beside
them (`AWS_CA_BUNDLE`, `REQUESTS_CA_BUNDLE`, `SSL_CERT_FILE`, `NODE_EXTRA_CA_CERTS`, …) the
host can also read TLS traffic. A proxy or endpoint inside the account's network (a private
address, a name of no public domain) or AWS's own endpoints (VPC endpoints, FIPS and dual-stack
names) are how accounts are built and are not reported.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from collections.abc import Iterator

from lambda_ir.analyze.attribution import config_event
from lambda_ir.analyze.baseline_tools import is_internal, network_of
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.values import FunctionConfig
from lambda_ir.analyze.versions import group_finding, group_versions
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CFG-010",
    title="Environment sends the function's traffic to another host",
    severity=Severity.MEDIUM,
    attack=("T1557", "T1565.002"),
    evidence=(Kind.FUNCTION_VERSIONS, Kind.FUNCTION),
    references=(
        "https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html",
        "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html",
    ),
    false_positives=(
        "A corporate egress proxy or a mock of AWS reached over the internet rather than "
        "inside the VPC; a private address or an internal name is not reported."
    ),
    description=(
        "HIGH: AWS_ENDPOINT_URL* at a public host outside AWS's domains, or a public proxy "
        "with a CA bundle variable beside it (the host can read TLS traffic); MEDIUM: a "
        "public proxy alone."
    ),
)

_PROXIES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY")
_CA_BUNDLES = (
    "AWS_CA_BUNDLE",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
)
# AWS's own endpoint names (regional, FIPS, dual-stack, China, VPC endpoints, Lambda URLs).
_AWS_DOMAINS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws", ".on.aws")


def public_host(value: str) -> str:
    """The host a proxy or endpoint value names when it is on the internet outside AWS's
    domains, else "": a private, loopback or link-local address, a one-label or `.internal`
    / `.local` name, or an AWS endpoint."""
    text = value.strip()
    try:
        url = urllib.parse.urlsplit(text if "://" in text else f"http://{text}")
        host = (url.hostname or "").rstrip(".").lower()
    except ValueError:  # an unclosed [IPv6] host, a bad port
        return ""
    if not host:
        return ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        internal = "." not in host or host.endswith((".internal", ".local", ".localhost"))
        return "" if internal or host.endswith(_AWS_DOMAINS) else host
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    inside = address.is_loopback or address.is_link_local or address.is_unspecified
    return "" if inside or is_internal(network_of(host)) else host


def _redirects(config: FunctionConfig) -> list[tuple[str, str, Severity]]:
    """(variable, public host, severity) of each variable sending this version's traffic to a
    public host, with the CA bundle variables named when one is set beside a proxy."""
    env = {name.upper(): value for name, value in config.environment.items()}
    bundle = any(env.get(name) for name in _CA_BUNDLES)
    found = []
    for name, value in sorted(env.items()):
        host = public_host(value) if value else ""
        if not host:
            continue
        if name == "AWS_ENDPOINT_URL" or name.startswith("AWS_ENDPOINT_URL_"):
            found.append((name, host, Severity.HIGH))
        elif name in _PROXIES:
            found.append((name, host, Severity.HIGH if bundle else INFO.severity))
    return found


def detect(case: CaseView) -> Iterator[Finding]:
    """Endpoint and proxy variables naming a public host outside AWS, grouped over versions."""
    items = []
    for config in case.functions:
        for name, host, severity in _redirects(config):
            items.append((config, f"{name}|{host}|{severity.value}"))
    for group in group_versions(items):
        config = group.first
        name, host, level = group.key.split("|")
        what = "every outbound connection"
        if name.startswith("AWS_ENDPOINT_URL"):
            service = "" if name == "AWS_ENDPOINT_URL" else " to that service"
            what = f"every call its AWS SDK makes{service}"
        bundle = [n for n in _CA_BUNDLES if n in {k.upper() for k in config.environment}]
        tls = (
            f"; with {', '.join(bundle)} set beside it, that host can also read TLS traffic"
            if bundle and name in _PROXIES
            else ""
        )
        yield group_finding(
            INFO,
            group,
            severity=Severity(level),
            cause=config_event(case, config, "environment", name),
            summary=(
                f"{name} on {config.ref.name} (versions {', '.join(group.versions)}) sends "
                f"{what} to {host}, a host on the internet outside AWS{tls}; unless it is "
                "your own proxy or endpoint, remove the variable and treat what the function "
                "sent there (secrets it fetched, data it wrote) as exposed."
            ),
            details={"variable": name, "host": host, "ca_bundles": bundle},
        )


DETECTOR = Detector(INFO, detect)
