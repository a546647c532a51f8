"""LIR-CFG-010: endpoint and proxy variables that send a function's traffic to another host."""

from __future__ import annotations

import pytest

from lambda_ir.analyze.detectors import cfg_traffic_redirect
from lambda_ir.analyze.url_hosts import public_host
from lambda_ir.model import Severity
from tests.analyze.casebuild import CaseBuilder, function_config, run_detector, zip_bytes


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("https://collector.example.net:8443", "collector.example.net"),
        ("203.0.113.9:3128", "203.0.113.9"),
        ("http://user:secret@198.51.100.7:8080", "198.51.100.7"),  # the host, never the password
        ("http://[::ffff:203.0.113.9]:3128", "203.0.113.9"),
        ("http://3405803777:3128", "203.0.113.1"),  # a resolver reads a bare number so
        ("http://127.1:3128", ""),  # and this as 127.0.0.1
        ("http://10.0.4.12:3128", ""),  # a proxy in the VPC
        ("http://[::ffff:10.0.4.12]:3128", ""),
        ("http://proxy.corp.internal:3128", ""),
        ("http://proxy.example.corp:3128", ""),
        ("http://squid:3128", ""),  # one label: a name inside the network
        ("http://localhost:4566", ""),  # LocalStack
        ("https://secretsmanager.eu-west-1.amazonaws.com", ""),
        ("https://vpce-0a1b-x.s3.eu-west-1.vpce.amazonaws.com", ""),
        ("https://lambda.us-east-1.api.aws", ""),
        # what anyone can rent under AWS's names vouches for nothing
        (
            "http://ec2-203-0-113-9.compute-1.amazonaws.com:3128",
            "ec2-203-0-113-9.compute-1.amazonaws.com",
        ),
        (
            "https://a1b2.execute-api.us-east-1.amazonaws.com",
            "a1b2.execute-api.us-east-1.amazonaws.com",
        ),
        ("https://abcd.lambda-url.us-east-1.on.aws", "abcd.lambda-url.us-east-1.on.aws"),
        ("https://drop.s3.amazonaws.com", "drop.s3.amazonaws.com"),  # anyone's bucket
        ("https://drop.s3.eu-west-1.amazonaws.com", "drop.s3.eu-west-1.amazonaws.com"),
        ("https://search-x-1.eu-west-1.es.amazonaws.com", "search-x-1.eu-west-1.es.amazonaws.com"),
        ("https://a1b2-ats.iot.eu-west-1.amazonaws.com", "a1b2-ats.iot.eu-west-1.amazonaws.com"),
        ("https://s3.eu-west-1.amazonaws.com", ""),  # S3's own endpoint
        ("https://s3.dualstack.eu-west-1.amazonaws.com", ""),
        ("http://[2001:db8::1", ""),  # unreadable
        ("a.example.com, b.example.com", ""),  # no one host
    ],
)
def test_public_host(value: str, host: str) -> None:
    assert public_host(value) == host


def _found(builder: CaseBuilder) -> dict[tuple[str, str], object]:
    return {
        (f.resource.split(":")[6], f.details["variable"]): f
        for f in run_detector(builder, cfg_traffic_redirect.DETECTOR)
    }


def test_endpoints_and_proxies_to_public_hosts(builder: CaseBuilder) -> None:
    builder.versions(
        "orders",
        [
            function_config("orders", "1"),
            function_config(
                "orders",
                "2",
                env={
                    "AWS_ENDPOINT_URL_SECRETS_MANAGER": "https://sm.example.net",
                    "https_proxy": "http://203.0.113.9:3128",
                    "NODE_EXTRA_CA_CERTS": "/opt/ca.pem",
                    "HTTP_PROXY": "http://203.0.113.9:3128",
                },
            ),
        ],
    )
    proxied = {"HTTP_PROXY": "http://198.51.100.7:8080", "SSL_CERT_FILE": ""}
    builder.versions(
        "billing",
        [function_config("billing", env=proxied), function_config("billing", "3", env=proxied)],
    )
    builder.versions(
        "calm", [function_config("calm", env={"HTTPS_PROXY": "http://10.0.4.12:3128"})]
    )
    # a value with a pipe in its host must not stop the others being reported
    builder.versions("odd", [function_config("odd", env={"HTTPS_PROXY": "http://a|b.example.com"})])
    off = {"HTTPS_PROXY": "http://203.0.113.9:3128", "NO_PROXY": "*"}
    off |= {
        "AWS_ENDPOINT_URL": "https://x.example.net",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
    }
    builder.versions("off", [function_config("off", env=off)])
    found = _found(builder)
    assert set(found) == {
        ("orders", "AWS_ENDPOINT_URL_SECRETS_MANAGER"),
        ("orders", "https_proxy"),  # named as set
        ("orders", "HTTP_PROXY"),
        ("billing", "HTTP_PROXY"),
    }
    endpoint = found[("orders", "AWS_ENDPOINT_URL_SECRETS_MANAGER")]
    assert endpoint.severity is Severity.MEDIUM
    assert "every call its AWS SDK makes to that service to sm.example.net" in endpoint.summary
    proxy = found[("orders", "https_proxy")]
    assert proxy.severity is Severity.MEDIUM  # a CA bundle beside it: TLS can be read
    assert proxy.details["ca_bundles"] == ["NODE_EXTRA_CA_CERTS"]
    assert "can also read TLS traffic" in proxy.summary
    http = found[("orders", "HTTP_PROXY")]  # plain HTTP only: no TLS to read
    assert http.severity is Severity.LOW and "every plain-HTTP request" in http.summary
    assert "TLS" not in http.summary and http.details["ca_bundles"] == []
    plain = found[("billing", "HTTP_PROXY")]  # an empty bundle variable is none
    assert plain.severity is Severity.LOW and plain.details["ca_bundles"] == []
    assert "(versions $LATEST, 3)" in plain.summary  # one finding for the versions sharing it


def test_a_vendor_destination_outside_the_vendors_domains(builder: CaseBuilder) -> None:
    """An observability vendor's destination variable at a host outside the domains the vendor
    documents sends its logs, traces and key there (MEDIUM); the vendor's own sites, a name
    under them, a private relay and another variable of the same vendor are not reported."""
    hostile = {
        "DD_SITE": "datadoghq.com.telemetry-relay.example",  # a vendor's name is no domain
        "NEW_RELIC_LOG_ENDPOINT": "https://203.0.113.40/log/v1",
        "LUMIGO_TRACER_HOST": "tracer.example.net",
        "DD_API_KEY": "not-a-destination",
        "dd_site": "datadoghq.com",  # a name differing in case hides nothing
    }
    builder.versions("orders", [function_config("orders", env=hostile)])
    honest = {
        "DD_SITE": "datadoghq.eu",
        "NEW_RELIC_TELEMETRY_ENDPOINT": "https://gov-cloud-collector.newrelic.com/aws/lambda/v1",
        "NEW_RELIC_HOST": "collector.eu01.nr-data.net",
        "LUMIGO_TRACER_HOST": "eu-west-1.lumigo-tracer-edge.golumigo.com",
        "NEW_RELIC_LOG_ENDPOINT": "http://10.0.9.4:8080/log",  # a relay in the VPC
        "DD_DD_URL": "https://dd-proxy.example.org",  # a proxy of the customer's choosing
        "dd_site": "evil.example",  # the agent reads DD_SITE only, as named
    }
    builder.versions("billing", [function_config("billing", env=honest)])
    hidden = {
        "DD_SITE": "datadoghq.eu",
        "NEW_RELIC_HOST": "collector.evil.example\\.newrelic.com",  # Node's URL: evil.example
        "https_proxy": "http://203.0.113.9:3128",  # read before HTTPS_PROXY, which is inside
        "HTTPS_PROXY": "http://10.0.4.12:3128",
        "NO_PROXY": "*",  # `no_proxy` is read first, and it lets the proxy be
        "no_proxy": "localhost",
    }
    builder.versions("cart", [function_config("cart", env=hidden)])
    found = _found(builder)
    assert set(found) == {
        ("orders", "DD_SITE"),
        ("orders", "NEW_RELIC_LOG_ENDPOINT"),
        ("orders", "LUMIGO_TRACER_HOST"),
        ("cart", "NEW_RELIC_HOST"),
        ("cart", "https_proxy"),
    }
    unread = found[("cart", "NEW_RELIC_HOST")]
    assert unread.severity is Severity.MEDIUM and "URL readers part over its host" in unread.summary
    assert unread.details["host"] == "collector.evil.example"  # as urllib3 reads it
    assert unread.details["doubt"].startswith("a backslash")
    site = found[("orders", "DD_SITE")]
    assert site.severity is Severity.MEDIUM and site.details["vendor"] == "Datadog"
    assert site.details["host"] == "datadoghq.com.telemetry-relay.example"
    assert "sends Datadog's metrics, logs, traces and its API key to" in site.summary
    assert "(datadoghq.com, datadoghq.eu, ddog-gov.com)" in site.summary
    logs = found[("orders", "NEW_RELIC_LOG_ENDPOINT")]
    assert logs.details["host"] == "203.0.113.40" and logs.details["vendor"] == "New Relic"
    assert found[("orders", "LUMIGO_TRACER_HOST")].details["vendor"] == "Lumigo"


@pytest.mark.parametrize(
    ("switches", "reported"),
    [
        ({"NO_PROXY": "*", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, set()),
        ({"no_proxy": "*", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE"}, {"AWS_ENDPOINT_URL"}),
        # urllib's `proxy_bypass_environment` and botocore's `ensure_boolean` never strip
        (
            {"NO_PROXY": " *", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true "},
            {"HTTPS_PROXY", "AWS_ENDPOINT_URL"},
        ),
        ({"NO_PROXY": "*,localhost"}, {"HTTPS_PROXY", "AWS_ENDPOINT_URL"}),
        # urllib keeps whichever spelling it meets last, and an empty `no_proxy` clears it
        ({"NO_PROXY": "*", "No_Proxy": "localhost"}, {"HTTPS_PROXY", "AWS_ENDPOINT_URL"}),
        ({"NO_PROXY": "*", "no_proxy": ""}, {"HTTPS_PROXY", "AWS_ENDPOINT_URL"}),
    ],
)
def test_switches_read_as_the_clients_read_them(
    builder: CaseBuilder, switches: dict[str, str], reported: set[str]
) -> None:
    """`NO_PROXY=*` and `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` turn the variables off only
    as written: botocore and requests leave the proxy on for `" *"`, and the endpoint for
    `"true "`; the JavaScript SDK takes `true` only, so `TRUE` leaves its endpoint on."""
    env = {"HTTPS_PROXY": "http://203.0.113.9:3128", "AWS_ENDPOINT_URL": "https://x.example.net"}
    builder.versions("orders", [function_config("orders", env=env | switches)])
    assert {variable for _, variable in _found(builder)} == reported


def test_values_url_readers_part_over(builder: CaseBuilder) -> None:
    """A value whose host URL readers part over is reported whatever host one of them finds:
    urlsplit reads 10.0.0.5 where urllib3 (botocore, requests) and WHATWG URL (Node) connect
    to evil.example.com. MEDIUM for an endpoint, as a proxy would be otherwise."""
    hidden = "http://evil.example.com\\@10.0.0.5:3128"
    tricks = {
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": hidden,
        "HTTPS_PROXY": hidden,
        "HTTP_PROXY": "http:evil.example.com",  # WHATWG URL reads a host urllib3 does not
        "ALL_PROXY": "http://10.0.0.5:3128/@evil.example.com",
        "LUMIGO_TRACER_HOST": "a|b.golumigo.com",  # no reader reads a host
    }
    builder.versions("orders", [function_config("orders", env=tricks)])
    bundled = {"HTTPS_PROXY": hidden, "AWS_CA_BUNDLE": "/opt/ca.pem"}
    builder.versions("billing", [function_config("billing", env=bundled)])
    honest = {
        "HTTPS_PROXY": " http://10.0.4.12:3128\n",  # stripped at both ends, as WHATWG URL does
        "AWS_ENDPOINT_URL": "http://user:secret@10.0.4.12:4566",
        "HTTP_PROXY": "http://a|b.example.com",  # no client reads a host: nothing is sent
    }
    builder.versions("calm", [function_config("calm", env=honest)])
    found = _found(builder)
    assert set(found) == {
        ("orders", "AWS_ENDPOINT_URL_SECRETS_MANAGER"),
        ("orders", "HTTPS_PROXY"),
        ("orders", "HTTP_PROXY"),
        ("orders", "ALL_PROXY"),
        ("orders", "LUMIGO_TRACER_HOST"),
        ("billing", "HTTPS_PROXY"),
    }
    endpoint = found[("orders", "AWS_ENDPOINT_URL_SECRETS_MANAGER")]
    assert endpoint.severity is Severity.MEDIUM and endpoint.details["host"] == "evil.example.com"
    assert "(URL readers part over its host: a backslash" in endpoint.summary
    assert "urllib3 (botocore, requests) reads evil.example.com" in endpoint.summary
    assert "Python's urlsplit reads 10.0.0.5" in endpoint.details["doubt"]
    assert found[("orders", "HTTPS_PROXY")].severity is Severity.LOW  # a proxy alone
    assert found[("billing", "HTTPS_PROXY")].severity is Severity.MEDIUM  # with its CA bundle
    whatwg = found[("orders", "HTTP_PROXY")]
    assert whatwg.details["host"] == "evil.example.com" and "without //" in whatwg.summary
    assert found[("orders", "ALL_PROXY")].details["host"] == "10.0.0.5"  # every reader's
    unread = found[("orders", "LUMIGO_TRACER_HOST")]
    assert unread.severity is Severity.MEDIUM and "no host lambda-ir can read" in unread.summary


def test_hosts_clients_connect_to_are_judged(builder: CaseBuilder) -> None:
    """A name with an underscore, or a non-ASCII one (IDNA-encoded by urllib3 and WHATWG URL),
    is a host a client connects to: judged as its encoded name, named both ways."""
    lookalike = "http://pr\u043exy.example.com:3128"  # a Cyrillic o
    hostile = {
        "HTTPS_PROXY": "http://relay_1.evil.example.com:3128",
        "AWS_ENDPOINT_URL_S3": lookalike,
        "DD_SITE": "d\u0430tadoghq.com",  # a Cyrillic a: not Datadog's
    }
    builder.versions("orders", [function_config("orders", env=hostile)])
    honest = {
        "HTTPS_PROXY": "http://relay_1.proxy.corp.internal:3128",
        "AWS_ENDPOINT_URL": "http://\u043f\u0440\u043e\u043a\u0441\u0438.corp.internal:4566",
        "DD_SITE": "DATADOGHQ.EU",
    }
    builder.versions("calm", [function_config("calm", env=honest)])
    found = _found(builder)
    assert set(found) == {
        ("orders", "HTTPS_PROXY"),
        ("orders", "AWS_ENDPOINT_URL_S3"),
        ("orders", "DD_SITE"),
    }
    assert found[("orders", "HTTPS_PROXY")].details["host"] == "relay_1.evil.example.com"
    endpoint = found[("orders", "AWS_ENDPOINT_URL_S3")]
    assert endpoint.severity is Severity.MEDIUM
    assert endpoint.details["host"] == "xn--prxy-65d.example.com"
    assert endpoint.details["host_as_written"] == "pr\u043exy.example.com"
    assert "to xn--prxy-65d.example.com (pr\u043exy.example.com as written)" in endpoint.summary
    site = found[("orders", "DD_SITE")]
    assert site.severity is Severity.MEDIUM and site.details["host"].startswith("xn--")


LAYER = "arn:aws:lambda:eu-west-1:444455556666:layer:sdk-config:3"
RULES = "models/secretsmanager/2017-10-17/endpoint-rule-set-1.json"


def test_sdk_files_that_decide_where_calls_go(builder: CaseBuilder) -> None:
    """AWS_CONFIG_FILE names the config file whose `endpoint_url` redirects the SDKs, and
    AWS_DATA_PATH folders whose endpoint rule sets botocore reads before its own: MEDIUM,
    naming the file and where it lies (a collected layer's or the code package's member is
    cited)."""
    rules = '{"rules": [{"endpoint": {"url": "https://rules.evil.example.com"}}]}'
    layer = {"aws/config": "[default]\nendpoint_url = https://cfg.evil.example.com\n", RULES: rules}
    layer |= {"models/secretsmanager/2017-10-17/service-2.json": "{}"}
    _, blob = builder.layer(LAYER, zip_bytes(layer))
    env = {"AWS_CONFIG_FILE": "/opt/aws/config", "AWS_DATA_PATH": "/opt/models:/tmp/models"}
    builder.versions("orders", [function_config("orders", env=env, layers=[LAYER])])
    # a member spelled `./settings/aws.ini` unpacks to settings/aws.ini
    code = zip_bytes({"app.py": "", "./settings/aws.ini": "[default]\nregion = eu-west-1\n"})
    builder.code(code, "cart")
    relative = {"AWS_CONFIG_FILE": "settings/aws.ini"}  # the working folder: /var/task
    # botocore merges the credentials file's profiles into its config: endpoint_url too
    relative |= {"AWS_SHARED_CREDENTIALS_FILE": "/tmp/creds"}
    builder.versions("cart", [function_config("cart", code=code, env=relative)])
    quiet = {"AWS_CONFIG_FILE": "/dev/null", "AWS_DATA_PATH": ""}
    builder.versions("calm", [function_config("calm", env=quiet)])
    ignored = {"AWS_CONFIG_FILE": "/opt/aws/config", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}
    builder.versions("off", [function_config("off", env=ignored, layers=[LAYER])])
    found = {
        (f.resource.split(":")[6], f.details["variable"], f.details["path"]): f
        for f in run_detector(builder, cfg_traffic_redirect.DETECTOR)
    }
    assert set(found) == {
        ("orders", "AWS_CONFIG_FILE", "/opt/aws/config"),
        ("orders", "AWS_DATA_PATH", "/opt/models"),
        ("orders", "AWS_DATA_PATH", "/tmp/models"),
        ("cart", "AWS_CONFIG_FILE", "settings/aws.ini"),
        ("cart", "AWS_SHARED_CREDENTIALS_FILE", "/tmp/creds"),
        ("off", "AWS_CONFIG_FILE", "/opt/aws/config"),
    }
    cart = found[("cart", "AWS_CONFIG_FILE", "settings/aws.ini")]
    assert cart.severity is Severity.INFO  # a region only: read, and nothing redirects
    # the switch turns its one setting off: nothing left that redirects
    off = found[("off", "AWS_CONFIG_FILE", "/opt/aws/config")]
    assert off.severity is Severity.INFO
    quiet = (cart, off)
    assert {f.severity for f in found.values() if f not in quiet} == {Severity.MEDIUM}
    config = found[("orders", "AWS_CONFIG_FILE", "/opt/aws/config")]
    assert config.details["place"] == f"in layer {LAYER}"
    assert (blob.path, "aws/config") in {(e.path, e.member) for e in config.evidence}
    assert "in it [default] endpoint_url sends the calls to cfg.evil.example.com" in config.summary
    data = found[("orders", "AWS_DATA_PATH", "/opt/models")]
    assert data.details["files"] == [RULES]  # the endpoint data, not the whole model
    assert "client.meta.endpoint_url still shows AWS's" in data.summary
    tmp = found[("orders", "AWS_DATA_PATH", "/tmp/models")]
    assert "in /tmp, written by whatever ran in the function" in tmp.summary
    assert cart.details["place"] == "in the code package"
    assert "it holds nothing that changes where the calls go" in cart.summary
    assert cart.details["files"] == ["./settings/aws.ini"]  # cited as the zip names it
    creds = found[("cart", "AWS_SHARED_CREDENTIALS_FILE", "/tmp/creds")]
    assert "read their credentials (merged into their config) from '/tmp/creds'" in creds.summary


def test_a_config_file_is_judged_by_what_it_holds(builder: CaseBuilder) -> None:
    """AWS_CONFIG_FILE was MEDIUM whatever the file held: a packaged region was an alarm like
    an endpoint_url at an intruder's host. Read as botocore reads it (nested `services`
    values too), the copy the SDK reads (the last layer to ship it)."""
    files = {
        "public": "[profile app]\nservices = mine\n[services mine]\nsecretsmanager =\n"
        "  endpoint_url = https://sm.evil.example.com\n",
        "private": "[default]\nendpoint_url = http://10.0.4.20:4566\nregion = eu-west-1\n",
        "bundle": "[default]\nca_bundle = /opt/certs/extra.pem\n",
        "process": "[default]\ncredential_process = /opt/bin/creds --secret hunter2\n",
        "broken": "[default]\nregion = a\n[default]\nregion = b\n",  # botocore refuses it
        # lines Python's open() breaks at a lone CR, as botocore reads them
        "cr": "[default]\rendpoint_url = https://cr.evil.example.com\r",
        "csm": "[default]\ncsm_enabled = true\ncsm_host = 203.0.113.9\n",
        "sso": "[default]\nsso_session = s\n[sso-session s]\nsso_start_url = https://x\n",
        "bucket": "[default]\nendpoint_url = https://drop.s3.amazonaws.com\n",
    }
    layers = {}
    for name, text in files.items():
        layers[name] = f"arn:aws:lambda:eu-west-1:444455556666:layer:cfg-{name}:1"
        builder.layer(layers[name], zip_bytes({"aws/config": text}))
        env = {"AWS_CONFIG_FILE": "/opt/aws/config"}
        builder.versions(name, [function_config(name, env=env, layers=[layers[name]])])
    # two layers ship the file: the SDK reads the later one's
    env = {"AWS_CONFIG_FILE": "/opt/aws/config"}
    builder.versions(
        "later", [function_config("later", env=env, layers=[layers["public"], layers["private"]])]
    )
    builder.versions(
        "earlier",
        [function_config("earlier", env=env, layers=[layers["private"], layers["public"]])],
    )
    unseen = [layers["private"], "arn:aws:lambda:eu-west-1:444455556666:layer:not-collected:1"]
    builder.versions("unseen", [function_config("unseen", env=env, layers=unseen)])
    found = {
        f.resource.split(":")[6]: f for f in run_detector(builder, cfg_traffic_redirect.DETECTOR)
    }
    public = found["public"]
    assert public.severity is Severity.MEDIUM
    assert "[services mine] secretsmanager.endpoint_url sends the calls to sm.evil.example.com" in (
        public.summary
    )
    private = found["private"]
    assert private.severity is Severity.INFO
    assert "endpoints inside the account's network or AWS's: 10.0.4.20)" in (private.summary)
    assert found["bundle"].severity is Severity.MEDIUM
    assert "[default] ca_bundle trusts the certificates in '/opt/certs/extra.pem'" in (
        found["bundle"].summary
    )
    process = found["process"]
    assert process.severity is Severity.MEDIUM and "hunter2" not in process.summary
    assert "[default] credential_process decides which credentials sign them" in (process.summary)
    broken = found["broken"]
    assert broken.severity is Severity.MEDIUM and "lambda-ir could not read it" in broken.summary
    assert "[default] endpoint_url sends the calls to cr.evil.example.com" in found["cr"].summary
    assert "[default] csm_host sends the calls to 203.0.113.9" in found["csm"].summary
    assert "[default] sso_session, [sso-session s] sso_start_url decide" in found["sso"].summary
    assert "sends the calls to drop.s3.amazonaws.com" in found["bucket"].summary
    assert {found[n].severity for n in ("cr", "csm", "sso", "bucket")} == {Severity.MEDIUM}
    # a later layer of the function is not in the case: its copy, unseen, is the one read
    assert found["unseen"].severity is Severity.MEDIUM
    assert found["later"].severity is Severity.INFO
    assert found["earlier"].severity is Severity.MEDIUM


def test_the_endpoint_switch_turns_off_a_config_files_endpoint_urls_only(
    builder: CaseBuilder,
) -> None:
    """AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true dropped the config file's finding whole, but
    botocore's switch turns off configured endpoint URLs only: a `credential_process` still
    runs, a `ca_bundle`, `csm_host` or metadata endpoint is still used. Judged as without the
    switch, its `endpoint_url` settings aside and said to be off; versions with and without
    it apart."""
    files = {
        "process": "[default]\nendpoint_url = https://cfg.evil.example.com\n"
        "credential_process = /opt/bin/creds\n",
        "bundle": "[default]\nca_bundle = /opt/certs/extra.pem\n",
        "csm": "[default]\ncsm_enabled = true\ncsm_host = 203.0.113.9\n",
        "imds": "[default]\nec2_metadata_service_endpoint = http://203.0.113.7\n",
        "endpoint": "[profile app]\nservices = mine\n[services mine]\nsecretsmanager =\n"
        "  endpoint_url = https://sm.evil.example.com\n",
    }
    switch = {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}
    for name, text in files.items():
        arn = f"arn:aws:lambda:eu-west-1:444455556666:layer:cfg-{name}:1"
        builder.layer(arn, zip_bytes({"aws/config": text}))
        env = {"AWS_CONFIG_FILE": "/opt/aws/config"}
        versions = [function_config(name, env=env | switch, layers=[arn])]
        if name == "endpoint":  # version 1 before the switch was set: its endpoint is on
            versions.append(function_config(name, "1", env=env, layers=[arn]))
        builder.versions(name, versions)
    unseen = {"AWS_CONFIG_FILE": "/opt/aws/config"} | switch  # no layer holds it
    builder.versions("unseen", [function_config("unseen", env=unseen)])
    found: dict[tuple[str, str], object] = {
        (f.resource.split(":")[6], ",".join(f.details["versions"])): f
        for f in run_detector(builder, cfg_traffic_redirect.DETECTOR)
    }
    assert set(found) == {
        *((name, "$LATEST") for name in files),
        ("endpoint", "1"),
        ("unseen", "$LATEST"),
    }
    process = found[("process", "$LATEST")]
    assert process.severity is Severity.MEDIUM
    assert "[default] credential_process decides which credentials sign them" in process.summary
    assert "sends the calls to cfg.evil.example.com" not in process.summary
    assert (
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true turns off its `endpoint_url` settings "
        "([default] endpoint_url at cfg.evil.example.com), nothing else in it"
    ) in process.summary
    bundle = found[("bundle", "$LATEST")]
    assert bundle.severity is Severity.MEDIUM
    assert "[default] ca_bundle trusts the certificates in '/opt/certs/extra.pem'" in (
        bundle.summary
    )
    assert "turns off `endpoint_url` settings only (it holds none)" in bundle.summary
    assert "[default] csm_host sends the calls to 203.0.113.9" in found[("csm", "$LATEST")].summary
    imds = found[("imds", "$LATEST")]
    assert "[default] ec2_metadata_service_endpoint sends the calls to 203.0.113.7" in (
        imds.summary
    )
    assert {found[(n, "$LATEST")].severity for n in ("csm", "imds")} == {Severity.MEDIUM}
    off = found[("endpoint", "$LATEST")]  # its one setting turned off
    assert off.severity is Severity.INFO
    assert "[services mine] secretsmanager.endpoint_url at sm.evil.example.com" in off.summary
    on = found[("endpoint", "1")]
    assert on.severity is Severity.MEDIUM and "sends the calls to sm.evil.example.com" in (
        on.summary
    )
    unknown = found[("unseen", "$LATEST")]  # what it holds is not known: MEDIUM as ever
    assert unknown.severity is Severity.MEDIUM
    assert "turns off its `endpoint_url` settings only" in unknown.summary


def _layer_arn(name: str) -> str:
    return f"arn:aws:lambda:eu-west-1:444455556666:layer:{name}:1"


def test_a_config_file_shipped_as_a_symlink_is_followed(builder: CaseBuilder) -> None:
    """A later layer shipping the config file's path as a symlink is what the SDK reads: the
    earlier layer's harmless copy was judged and the link never seen. The link is followed in
    the collected packages only (relative to its folder, into /var/task or /opt); one leading
    outside them, to nothing collected, or round a loop leaves the file unknown: MEDIUM."""
    plain = {"aws/config": "[default]\nregion = eu-west-1\n"}
    layers = {
        "plain": zip_bytes(plain),
        "to-code": zip_bytes({}, {"aws/config": "../../var/task/conf/evil.cfg"}),
        "near": zip_bytes({"aws/real.cfg": plain["aws/config"]}, {"aws/config": "real.cfg"}),
        "outside": zip_bytes({}, {"aws/config": "/tmp/aws.cfg"}),
        "nowhere": zip_bytes({}, {"aws/config": "/opt/missing/config"}),
        "loop": zip_bytes({}, {"aws/config": "config2", "aws/config2": "/opt/aws/config"}),
    }
    blobs = {name: builder.layer(_layer_arn(name), blob)[1] for name, blob in layers.items()}
    env = {"AWS_CONFIG_FILE": "/opt/aws/config"}
    code = zip_bytes({"app.py": "", "conf/evil.cfg": "[default]\ncredential_process = /x\n"})
    builder.code(code, "linked")
    stacked = [_layer_arn("plain"), _layer_arn("to-code")]
    builder.versions("linked", [function_config("linked", code=code, env=env, layers=stacked)])
    for name in ("near", "outside", "nowhere", "loop"):
        arns = [_layer_arn("plain"), _layer_arn(name)]
        builder.versions(name, [function_config(name, env=env, layers=arns)])
    # a later layer's file replaces an earlier layer's link
    over = [_layer_arn("to-code"), _layer_arn("plain")]
    builder.versions("over", [function_config("over", env=env, layers=over)])
    # the code package's link into a layer's, two links in a row
    linking = zip_bytes({"app.py": ""}, {"aws.ini": "/opt/aws/config"})
    builder.code(linking, "chain")
    relative = {"AWS_CONFIG_FILE": "aws.ini"}
    near = [_layer_arn("near")]
    builder.versions("chain", [function_config("chain", code=linking, env=relative, layers=near)])
    found = {
        f.resource.split(":")[6]: f for f in run_detector(builder, cfg_traffic_redirect.DETECTOR)
    }
    linked = found["linked"]
    assert linked.severity is Severity.MEDIUM
    assert (
        "/opt/aws/config is a symlink in layer "
        f"{_layer_arn('to-code')} to '../../var/task/conf/evil.cfg': the SDK reads "
        "/var/task/conf/evil.cfg, in the code package"
    ) in linked.summary
    assert "[default] credential_process decides which credentials sign them" in linked.summary
    cited = {(e.path, e.member) for e in linked.evidence}
    assert {(blobs["to-code"].path, "aws/config"), (blobs["plain"].path, "aws/config")} <= cited
    assert "conf/evil.cfg" in {e.member for e in linked.evidence}  # the file read, cited
    assert found["near"].severity is Severity.INFO  # a link beside it to a harmless file
    assert "the SDK reads /opt/aws/real.cfg" in found["near"].summary
    unknown = {
        "outside": "it leads to /tmp/aws.cfg, outside the packages lambda-ir collects",
        "nowhere": "it leads to /opt/missing/config, which no collected package holds",
        "loop": "the links loop back to /opt/aws/config",
    }
    for name, why in unknown.items():
        assert found[name].severity is Severity.MEDIUM, name
        assert why in found[name].summary, name
        assert "that file's contents decide where the function's AWS calls go" in (
            found[name].summary
        )
    assert found["over"].severity is Severity.INFO and "symlink" not in found["over"].summary
    chain = found["chain"]
    assert chain.severity is Severity.INFO
    assert (
        "/var/task/aws.ini is a symlink in the code package to '/opt/aws/config', then "
        f"/opt/aws/config is a symlink in layer {_layer_arn('near')} to 'real.cfg': the SDK "
        "reads /opt/aws/real.cfg"
    ) in chain.summary


def test_home_into_a_package_makes_its_aws_config_the_sdks(builder: CaseBuilder) -> None:
    """Lambda sets no HOME; one set into a package makes the `.aws/config` shipped there the
    file the SDKs read (`~/.aws/config`), as AWS_CONFIG_FILE would: judged the same, named
    by HOME. A HOME where no package ships one (`/tmp`, for a tool's cache) says nothing,
    nor does one whose file a variable names elsewhere."""
    shipped = {"h/.aws/config": "[default]\nendpoint_url = https://cfg.evil.example.com\n"}
    builder.layer(LAYER, zip_bytes(shipped))
    builder.versions("orders", [function_config("orders", env={"HOME": "/opt/h"}, layers=[LAYER])])
    builder.versions("cache", [function_config("cache", env={"HOME": "/tmp"}, layers=[LAYER])])
    named = {"HOME": "/opt/h", "AWS_CONFIG_FILE": "/dev/null"}
    builder.versions("named", [function_config("named", env=named, layers=[LAYER])])
    code = zip_bytes({"app.py": "", ".aws/credentials": "[default]\ncredential_process = x\n"})
    builder.code(code, "cart")
    builder.versions("cart", [function_config("cart", code=code, env={"HOME": "/var/task"})])
    found = {
        (f.resource.split(":")[6], f.details["path"]): f
        for f in run_detector(builder, cfg_traffic_redirect.DETECTOR)
    }
    assert set(found) == {("orders", "/opt/h/.aws/config"), ("cart", "/var/task/.aws/credentials")}
    home = found[("orders", "/opt/h/.aws/config")]
    assert (home.severity, home.details["variable"]) == (Severity.MEDIUM, "HOME")
    assert home.summary.startswith(
        "HOME on orders (versions $LATEST) makes the AWS SDKs read their config from "
        f"'/opt/h/.aws/config', in layer {LAYER}"
    )
    assert "endpoint_url sends the calls to cfg.evil.example.com" in home.summary
    assert found[("cart", "/var/task/.aws/credentials")].severity is Severity.MEDIUM


def test_home_through_a_linked_folder_or_into_an_uncollected_layer(builder: CaseBuilder) -> None:
    """`h/.aws` shipped as a symlink to a folder is followed like a linked file (the SDK
    opens `~/.aws/config` through it); a HOME into a layer the case does not hold is
    unknown (MEDIUM), as AWS_CONFIG_FILE naming the same path would be, never quiet."""
    evil = "[default]\nendpoint_url = https://cfg.evil.example.com\n"
    builder.layer(LAYER, zip_bytes({"conf/config": evil}, links={"h/.aws": "../conf"}))
    builder.versions("orders", [function_config("orders", env={"HOME": "/opt/h"}, layers=[LAYER])])
    missing = "arn:aws:lambda:eu-west-1:444455556666:layer:not-collected:1"
    env = {"HOME": "/opt/x"}
    builder.versions("cart", [function_config("cart", env=env, layers=[LAYER, missing])])
    found = {
        (f.resource.split(":")[6], f.details["path"]): f
        for f in run_detector(builder, cfg_traffic_redirect.DETECTOR)
    }
    linked = found[("orders", "/opt/h/.aws/config")]
    assert linked.severity is Severity.MEDIUM
    assert "/opt/h/.aws is a symlink" in linked.summary
    assert "endpoint_url sends the calls to cfg.evil.example.com" in linked.summary
    unknown = found[("cart", "/opt/x/.aws/config")]
    assert unknown.severity is Severity.MEDIUM and unknown.details["variable"] == "HOME"


def test_a_config_file_named_from_home_is_read_there(builder: CaseBuilder) -> None:
    """`AWS_CONFIG_FILE=~/.aws/config` is expanded as botocore expands it, from the HOME the
    function sets: the layer's file is the one judged, not a `/var/task/~` that is nowhere."""
    evil = "[default]\nendpoint_url = https://cfg.evil.example.com\n"
    builder.layer(LAYER, zip_bytes({"h/.aws/config": evil}))
    env = {"HOME": "/opt/h", "AWS_CONFIG_FILE": "~/.aws/config"}
    builder.versions("orders", [function_config("orders", env=env, layers=[LAYER])])
    (found,) = run_detector(builder, cfg_traffic_redirect.DETECTOR)
    assert (found.details["variable"], found.details["path"]) == (
        "AWS_CONFIG_FILE",
        "/opt/h/.aws/config",
    )
    assert found.details["place"] == f"in layer {LAYER}"
    assert "endpoint_url sends the calls to cfg.evil.example.com" in found.summary


def test_home_is_read_with_its_spaces(builder: CaseBuilder) -> None:
    """botocore expands `~` from HOME as it is (`os.path.expanduser` keeps spaces, only a
    trailing `/` goes): `HOME="/opt/h "` reads `/opt/h /.aws/config`, not `/opt/h/…`."""
    harmless, evil = (
        "[default]\nregion = eu-west-1\n",
        "[default]\nendpoint_url = https://e.example.com\n",
    )
    builder.layer(LAYER, zip_bytes({"h/.aws/config": harmless, "h /.aws/config": evil}))
    builder.versions("orders", [function_config("orders", env={"HOME": "/opt/h "}, layers=[LAYER])])
    (found,) = run_detector(builder, cfg_traffic_redirect.DETECTOR)
    assert found.details["path"] == "/opt/h /.aws/config"
    assert found.severity is Severity.MEDIUM and "e.example.com" in found.summary


def test_dot_dot_after_a_linked_folder_is_walked_as_the_kernel_walks_it(
    builder: CaseBuilder,
) -> None:
    """`/opt/h/..` with `h` a link to `deep/er` is `/opt/deep`, where normpath says `/opt`:
    the evil `deep/.aws/config` is the one read, not the harmless `.aws/config`; a folder
    link to `.` leads to /opt itself, inside what is collected (review 20c)."""
    evil = "[default]\nendpoint_url = https://cfg.evil.example.com\n"
    files = {".aws/config": "[default]\nregion = eu-west-1\n", "deep/.aws/config": evil}
    builder.layer(LAYER, zip_bytes(files, links={"h": "deep/er", "self": "."}))
    env = {"AWS_CONFIG_FILE": "/opt/h/../.aws/config"}
    builder.versions("orders", [function_config("orders", env=env, layers=[LAYER])])
    builder.versions("cart", [function_config("cart", env={"HOME": "/opt/self"}, layers=[LAYER])])
    found = {
        (f.resource.split(":")[6], f.details["path"]): f
        for f in run_detector(builder, cfg_traffic_redirect.DETECTOR)
    }
    # cart's credentials file leads where nothing is: no finding for it
    assert set(found) == {("orders", "/opt/h/../.aws/config"), ("cart", "/opt/self/.aws/config")}
    orders = found[("orders", "/opt/h/../.aws/config")]
    cart = found[("cart", "/opt/self/.aws/config")]
    assert orders.severity is Severity.MEDIUM and "cfg.evil.example.com" in orders.summary
    assert "outside the packages" not in cart.summary
    assert cart.severity is Severity.INFO  # /opt/.aws/config: a region only


def test_a_profile_that_turns_its_endpoint_urls_off(builder: CaseBuilder) -> None:
    """A config file whose profile sets `ignore_configured_endpoint_urls = true` was MEDIUM for
    the `endpoint_url` botocore drops (configprovider reads the switch from the profile it
    reads endpoint_url from). Off when that profile, or every profile naming a `services`
    section, says `true` in any case; the variable set at all (`false` too) decides instead;
    a credentials file's setting wins over the config file's; a Node function's SDK is not
    botocore. Each expectation checked against botocore 1.44's `create_client`."""
    evil = "endpoint_url = https://cfg.evil.example.com\n"
    switch = "ignore_configured_endpoint_urls = TRUE\n"
    off = f"[default]\n{evil}{switch}"
    creds = {"AWS_SHARED_CREDENTIALS_FILE": "/opt/aws/credentials"}
    cases = {  # name: (config file, environment beside AWS_CONFIG_FILE, credentials file)
        "off": (off, {}, ""),
        "services": (
            f"[profile app]\nservices = mine\n{switch}[services mine]\nsts =\n  {evil}",
            {},
            "",
        ),
        "by-credentials": (f"[profile app]\n{evil}", creds, "[app]\n" + switch),
        "other": (f"[default]\n{switch}[profile app]\n{evil}", {}, ""),  # app's is unset
        "overridden": (
            f"[profile app]\n{evil}{switch}",
            creds,
            "[app]\n" + switch.replace("TRUE", "false"),
        ),
        # profile b uses the section unswitched
        "shared": (
            f"[profile a]\nservices = s\n{switch}[profile b]\nservices = s\n"
            f"[services s]\nsts =\n  {evil}",
            {},
            "",
        ),
        "variable": (off, {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"}, ""),
        "node": (off, {}, ""),
        "credentials-unseen": (off, {"AWS_SHARED_CREDENTIALS_FILE": "/tmp/credentials"}, ""),
    }
    for name, (text, extra, credentials) in cases.items():
        arn = _layer_arn(f"cfg-{name}")
        builder.layer(arn, zip_bytes({"aws/config": text, "aws/credentials": credentials}))
        env = {"AWS_CONFIG_FILE": "/opt/aws/config"} | extra
        runtime = "nodejs20.x" if name == "node" else "python3.12"
        builder.versions(name, [function_config(name, env=env, layers=[arn], runtime=runtime)])
    found = {
        f.resource.split(":")[6]: f
        for f in run_detector(builder, cfg_traffic_redirect.DETECTOR)
        if f.details["variable"] == "AWS_CONFIG_FILE"
    }
    quiet = {"off", "services", "by-credentials"}
    assert {n for n, f in found.items() if f.severity is Severity.INFO} == quiet
    assert (
        "botocore turns off [default] endpoint_url at cfg.evil.example.com: the profile using "
        "it sets `ignore_configured_endpoint_urls = true`"
    ) in found["off"].summary
    assert "[services mine] sts.endpoint_url at cfg.evil.example.com" in found["services"].summary
    assert "[profile app] endpoint_url at cfg.evil.example.com" in found["by-credentials"].summary
    for name in set(cases) - quiet:
        assert found[name].severity is Severity.MEDIUM, name
        assert "sends the calls to cfg.evil.example.com" in found[name].summary, name
        assert "botocore turns off" not in found[name].summary, name
