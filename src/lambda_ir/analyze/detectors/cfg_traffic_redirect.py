"""LIR-CFG-010: environment variables that send a function's traffic through someone else.

The AWS SDKs honour `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` (every call to AWS, or
to one service, goes to that address instead: the secrets it asks for, the objects it puts),
and HTTP clients honour `HTTPS_PROXY`/`ALL_PROXY` (every outbound connection goes through that
host) and `HTTP_PROXY` (plain-HTTP requests only). Neither needs a change to the code; nor does
an observability vendor's destination variable (`DD_SITE`, `NEW_RELIC_LOG_ENDPOINT`,
`LUMIGO_TRACER_HOST`: the vendor catalogue's `destinations`), which sends the function's logs,
traces and the vendor's key wherever it names. With a CA bundle variable beside an HTTPS proxy
(`AWS_CA_BUNDLE`, `REQUESTS_CA_BUNDLE`, `SSL_CERT_FILE`, `NODE_EXTRA_CA_CERTS`, …) the proxy
can also read TLS traffic: how corporate TLS inspection works, and how an intruder reads what
the function sends. So can the files `AWS_CONFIG_FILE` and `AWS_DATA_PATH` name (`sdk_files`):
a config file's `endpoint_url`, a data folder's endpoint rule set, decide where the SDK's calls
go; and a `HOME` set into a package that ships `.aws/config` there. A host is the one urllib3
reads (botocore and requests connect there); a value URL readers part over
(`http://evil.example\\@10.0.0.5:3128` is 10.0.0.5 to Python's `urlsplit`, evil.example to
urllib3 and Node: `url_hosts`) is reported whichever host each finds. A proxy or endpoint
inside the account's network (a private address, a name of no public domain), AWS's own service
endpoints, a vendor's documented domains and a `NO_PROXY=*` or
`AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` that turns them off (as written: the clients strip
neither) are not reported. That switch turns off a config file's `endpoint_url` settings too,
and nothing else in it: its credential settings, `ca_bundle` and other hosts are judged as
ever; without it, a Python function's botocore reads the same switch from the profile itself
(`ignore_configured_endpoint_urls = true`: `sdk_profiles`). Standing configuration: MEDIUM at
most (the severity scale).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

from lambda_ir.analyze.attribution import config_event
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.sdk_config import config_verdict
from lambda_ir.analyze.sdk_files import (
    CONFIG_FILE,
    CREDENTIALS_FILE,
    DATA_PATH,
    HOME,
    SdkFile,
    home_paths,
    located,
    sdk_paths,
    shipped,
)
from lambda_ir.analyze.sdk_profiles import profile_switches
from lambda_ir.analyze.url_hosts import read_host, reported_host
from lambda_ir.analyze.values import FunctionConfig
from lambda_ir.analyze.vendors import Destination, Vendor, VendorCatalogue
from lambda_ir.analyze.versions import group_finding, group_versions
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CFG-010",
    title="Environment sends the function's traffic to another host",
    severity=Severity.LOW,
    attack=("T1557", "T1565.002"),
    evidence=(Kind.FUNCTION_VERSIONS, Kind.FUNCTION),
    references=(
        "https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html",
        "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html",
    ),
    false_positives=(
        "A corporate egress or TLS-inspection proxy reached by a public name (MEDIUM with its "
        "CA bundle); a mock of AWS on a public name; a config file or service-model folder of "
        "your own (AWS_CONFIG_FILE, AWS_DATA_PATH; a packaged config file holding a region or "
        "retries only is INFO). A private address, an internal name or an AWS service "
        "endpoint is not reported."
    ),
    description=(
        "MEDIUM: AWS_ENDPOINT_URL* at a public host outside AWS's service endpoints, or an "
        "HTTPS proxy at a public host with a CA bundle variable beside it (it can read TLS "
        "traffic), or an observability vendor's destination variable at a public host outside "
        "the domains the vendor documents for it (its telemetry and key go there); LOW: a "
        "public proxy alone (standing exposure). A value URL parsers read different hosts in "
        "(a backslash, an @ past the user part, whitespace inside) is reported at its "
        "variable's severity whatever host each reads. MEDIUM too: AWS_DATA_PATH, whose "
        "folder decides where the SDK's calls go, and AWS_CONFIG_FILE unless the packaged "
        "file it names (the copy the SDK reads, a symlink followed within the collected "
        "packages) holds no endpoint_url at a public host, no ca_bundle and no credential "
        "setting: then INFO (named with the layer or code package holding it). "
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true discounts the file's endpoint_url settings "
        "only; without the variable, for a Python function (botocore), so does a profile's own "
        "ignore_configured_endpoint_urls = true, for that profile's endpoint_url settings."
    ),
)

_ENDPOINT = "AWS_ENDPOINT_URL"
_HTTPS_PROXIES = ("HTTPS_PROXY", "ALL_PROXY")
_PROXIES = (*_HTTPS_PROXIES, "HTTP_PROXY")
_CA_BUNDLES = (
    "AWS_CA_BUNDLE",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
)


def _proxies_off(env: Mapping[str, str]) -> bool:
    """True when `NO_PROXY` turns every proxy off as Python's HTTP clients read it (urllib's
    `getproxies_environment` and `proxy_bypass_environment`, which botocore and requests
    call): the value exactly `*`, never stripped (`" *"` or `"*,localhost"` leave the proxy in
    use). A name ending in lower-case `_proxy` (`no_proxy`) wins over the others, whatever
    its value; without one, urllib keeps whichever other spelling it meets last, so each with
    a value must say `*`."""
    names = [n for n in env if n.lower() == "no_proxy"]
    last_pass = [n for n in names if n.endswith("_proxy")]
    values = [env[n] for n in last_pass] or [env[n] for n in names if env[n]]
    return bool(values) and all(value == "*" for value in values)


def _endpoints_ignored(env: Mapping[str, str]) -> bool:
    """True when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` turns the endpoint variables off in
    every SDK: exactly `true`. botocore's `ensure_boolean` lower-cases but never strips
    (`"true "` leaves them on); the JavaScript SDK takes `true` only, as written."""
    return env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") == "true"


class _Redirect(NamedTuple):
    """A variable sending a version's traffic to a public host, or to a value whose host URL
    readers part over (one finding per value)."""

    variable: str  # as set
    host: str  # as the client reads it ("" when it reads none)
    severity: Severity
    bundles: tuple[str, ...] = ()  # CA bundle variables beside an HTTPS proxy
    vendor: str = ""  # whose agent's destination the variable is
    sends: str = ""  # what the vendor's agent sends there
    domains: tuple[str, ...] = ()  # where the vendor documents it sends it
    doubt: str = ""  # why readers may part over the value (then `value` is it)
    value: str = ""
    written: str = ""  # a non-ASCII host as written (`host` is its IDNA encoding)


def _redirects(config: FunctionConfig, vendors: VendorCatalogue) -> list[_Redirect]:
    """Each variable sending this version's traffic to a public host, or to a value URL
    readers part over (whatever host one of them finds: the trick hides a public host behind
    a private one). Every variable is read as set: two that differ only in case
    (`HTTPS_PROXY`, `https_proxy`) are both judged."""
    env = config.environment
    bundles = tuple(n for n, v in env.items() if n.upper() in _CA_BUNDLES and v.strip())
    no_proxy = _proxies_off(env)
    ignored = _endpoints_ignored(env)
    found: list[_Redirect] = []
    for name, value in sorted(env.items()):
        reading, known = read_host(value), vendors.destination(name)
        if known and not reading.host and not reading.doubt and value.strip():
            # a destination its agent may read another host in: never one of the vendor's
            unread = f"{value.strip()[:80]!r} (no host lambda-ir can read)"
            found.append(_vendors(_Redirect(name, unread, Severity.MEDIUM), known))
            continue
        host = reported_host(reading)
        if not host and not reading.doubt:
            continue
        shown = value.strip()[:120] if reading.doubt else ""
        redirect = _Redirect(
            name, host, Severity.MEDIUM, doubt=reading.doubt, value=shown, written=reading.written
        )
        upper = name.upper()
        if upper == _ENDPOINT or upper.startswith(_ENDPOINT + "_"):
            if not ignored:
                found.append(redirect)
        elif upper in _PROXIES and not no_proxy:
            reads_tls = bool(bundles) and upper in _HTTPS_PROXIES
            severity = Severity.MEDIUM if reads_tls else INFO.severity
            tls = bundles if reads_tls else ()
            found.append(redirect._replace(severity=severity, bundles=tls))
        elif known and (reading.doubt or known[1].outside(host)):
            found.append(_vendors(redirect, known))
    return found


def _vendors(redirect: _Redirect, known: tuple[Vendor, Destination]) -> _Redirect:
    """`redirect` as a vendor's destination: whose agent sends what there."""
    vendor, where = known
    return redirect._replace(vendor=vendor.name, sends=where.sends, domains=where.domains)


def _destination(redirect: _Redirect) -> str:
    """Where a finding says the variable sends: the host (a non-ASCII name also as written,
    a look-alike being the point), or the value readers part over, with why."""
    if redirect.doubt:
        return f"{redirect.value!r} (URL readers part over its host: {redirect.doubt})"
    return f"{redirect.host} ({redirect.written} as written)" if redirect.written else redirect.host


def _what(name: str) -> str:
    """What an endpoint or proxy variable sends where it points."""
    upper = name.upper()
    if upper.startswith(_ENDPOINT):
        return "every call its AWS SDK makes" + ("" if upper == _ENDPOINT else " to that service")
    return "every plain-HTTP request" if upper == "HTTP_PROXY" else "every outbound connection"


def _file_findings(case: CaseView) -> Iterator[Finding]:
    """`AWS_CONFIG_FILE` and `AWS_DATA_PATH`: the file or folder each names decides where the
    SDK's calls go (`sdk_files`), and is named with where it lies. Under
    `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` the config file's `endpoint_url` counts for
    nothing, and all else in it as ever (versions with and without the switch apart); so
    does one whose profile sets `ignore_configured_endpoint_urls = true` (`sdk_profiles`)."""
    items = []
    named: dict[str, tuple[str, str, bool, str, frozenset[str]]] = {}
    cache: dict[object, SdkFile] = {}  # functions sharing layers read them once
    for config in case.functions:
        env = config.environment
        paths = [(name, path, name) for name, path in sdk_paths(env)]
        paths += [(name, path, HOME) for name, path in home_paths(env)]
        switches = profile_switches(case, config, cache)
        for name, path, via in paths:
            off = name != DATA_PATH and _endpoints_ignored(env)
            switched = switches.get(name, frozenset())
            key = f"{name}={path}" + ("|endpoint-urls-off" if off else "")  # ids kept as were
            key += f"|profiles-off:{','.join(sorted(switched))}" if switched else ""
            key = key if via == name else f"{via}>{key}"
            named[key] = (name, path, off, via, switched)
            items.append((config, key))
    for group in group_versions(items):
        config = group.first
        name, path, off, via, switched = named[group.key]
        found = located(case, config, name, path, cache)
        if via == HOME and not shipped(case, config, found):
            continue  # no package ships one there (HOME=/tmp for a tool's cache): none read
        files = [ref.member or ref.path for ref in found.members]
        held = f" ({', '.join(files)})" if files else ""
        versions = f"{via} on {config.ref.name} (versions {', '.join(group.versions)})"
        severity, close = Severity.MEDIUM, CLOSE
        if name in (CONFIG_FILE, CREDENTIALS_FILE):
            read = "config" if name == CONFIG_FILE else "credentials (merged into their config)"
            said = f"makes the AWS SDKs read their {read} from {path!r}, {found.place}{held}; "
            said += f"{found.followed}; " if found.followed else ""
            severity, judged = config_verdict(found.read, off, switched)
            what = said + judged
            if severity is Severity.INFO:
                close = "; kept for the record."
        else:
            what = (
                f"makes botocore read its service data from {path!r} before its own, "
                f"{found.place}{held}; the endpoint rule sets and partitions there decide the "
                "host each AWS call goes to, while client.meta.endpoint_url still shows AWS's: "
                "compare them with botocore's own, and unless the folder is your own"
            )
        yield group_finding(
            INFO,
            group,
            severity=severity,
            extra_evidence=(*found.members, *found.reached),
            cause=config_event(case, config, "environment", via),
            summary=f"{versions} {what}{close}",
            details={"variable": via, "path": path, "place": found.place, "files": files},
        )


CLOSE = (
    ", remove the variable and treat what its AWS calls carried (secrets it fetched, data it "
    "wrote) as exposed."
)


def detect(case: CaseView) -> Iterator[Finding]:
    """Endpoint, proxy and vendor destination variables naming a public host outside AWS (and
    outside the vendor's domains), and the SDK's config file and data folders, grouped over
    versions."""
    yield from _file_findings(case)
    items = []
    found: dict[str, _Redirect] = {}
    for config in case.functions:
        for redirect in _redirects(config, case.vendors):
            key = repr(redirect)  # one finding per variable, host, severity and bundles
            found[key] = redirect
            items.append((config, key))
    for group in group_versions(items):
        config = group.first
        redirect = found[group.key]
        name, host, bundles = redirect.variable, redirect.host, redirect.bundles
        tls = (
            f"; with {', '.join(bundles)} set beside it, that host can also read TLS traffic"
            if bundles
            else ""
        )
        versions = f"{name} on {config.ref.name} (versions {', '.join(group.versions)})"
        summary = (
            f"{versions} sends {_what(name)} to {_destination(redirect)}"
            f"{'' if redirect.doubt else ', a host on the internet outside AWS'}{tls}; "
            "unless it is your own proxy or endpoint, remove the variable and treat what the "
            "function sent there (secrets it fetched, data it wrote) as exposed."
        )
        if redirect.vendor:
            vendor = redirect.vendor
            summary = (
                f"{versions} sends {vendor}'s {redirect.sends} to {_destination(redirect)}, "
                f"outside the domains {vendor} documents for it ({', '.join(redirect.domains)}); "
                f"set it back to your {vendor} site and treat what the function sent there (its "
                f"logs, traces and the {vendor} key) as exposed."
            )
        yield group_finding(
            INFO,
            group,
            severity=redirect.severity,
            cause=config_event(case, config, "environment", name),
            summary=summary,
            details={"variable": name, "host": host, "ca_bundles": list(bundles)}
            | ({"vendor": redirect.vendor} if redirect.vendor else {})
            | ({"doubt": redirect.doubt} if redirect.doubt else {})
            | ({"host_as_written": redirect.written} if redirect.written else {}),
        )


DETECTOR = Detector(INFO, detect)
