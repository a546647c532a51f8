"""The host a proxy, endpoint or destination value sends to, as HTTP clients read it."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from urllib3.util import parse_url

from lambda_ir.analyze.url_hosts import read_host

# values URL readers part over: urllib3 (botocore, requests), urlsplit, WHATWG URL (Node)
TRICKS = [
    "http://evil.example.com\\@10.0.0.5:3128",  # urlsplit: 10.0.0.5
    "https://evil.example.com\\.s3.amazonaws.com",  # urlsplit: a name under AWS's
    "http:evil.example.com",  # WHATWG URL only
    "http:/evil.example.com",
    "http://10.0.0.5\t.evil.example.com",  # WHATWG URL drops the tab
    "http://evil%2Eexample.com:3128",
]


@pytest.mark.parametrize(
    ("value", "host", "doubt"),
    [
        ("https://collector.example.net:8443", "collector.example.net", ""),
        ("203.0.113.9:3128", "203.0.113.9", ""),
        ("//203.0.113.9:3128", "203.0.113.9", ""),  # botocore puts `http:` before it
        ("http://user:secret@198.51.100.7:8080", "198.51.100.7", ""),
        ("http://[::ffff:203.0.113.9]:3128", "203.0.113.9", ""),
        ("http://3405803777:3128", "203.0.113.1", ""),
        (" http://10.0.4.12:3128\n", "10.0.4.12", ""),  # WHATWG URL strips both ends
        ("http://[2001:db8::1", "", ""),
        ("http://a|b.example.com", "", ""),  # no reader reads a host: nothing is sent
        ("http://evil.example.com\\@10.0.0.5:3128", "evil.example.com", "a backslash"),
        ("http://a@b@10.0.0.5:3128", "10.0.0.5", "an @ past the user part"),
        ("http://10.0.0.5:3128/@evil.example.com", "10.0.0.5", "an @ past the user part"),
        ("http://10.0.0.5 @evil.example.com", "evil.example.com", "whitespace"),
        ("a.example.com, b.example.com", "", "whitespace"),
        ("http://evil.example.com%00.10.0.0.5", "", "percent-encoding in the host"),
        ("http:evil.example.com", "evil.example.com", "a scheme without //"),
        # names a client connects to: underscores, IDNA (full-width letters and `。` folded)
        ("http://relay_1.evil.example.com:3128", "relay_1.evil.example.com", ""),
        ("http://pr\u043exy.example.com:3128", "xn--prxy-65d.example.com", ""),
        ("http://\uff45vil.example.com", "evil.example.com", ""),
        ("http://evil.example\u3002net", "evil.example.net", ""),
        ("http://" + "\u00e9" * 70 + ".example.com", "", ""),  # a label too long
    ],
)
def test_read_host(value: str, host: str, doubt: str) -> None:
    reading = read_host(value)
    assert reading.host == host
    assert reading.doubt.startswith(doubt) and bool(reading.doubt) == bool(doubt)


@pytest.mark.parametrize("value", TRICKS)
def test_the_host_is_the_clients(value: str) -> None:
    """Where urllib3 reads a host, it is the one read (botocore and requests connect there),
    and the readers' parting is named."""
    client = parse_url(value).host if "\t" not in value else None
    reading = read_host(value)
    assert reading.doubt
    if client:
        assert reading.host == client.lower()


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_whatwg_readings_match_node() -> None:
    """The WHATWG readings named in a doubt are Node's `new URL(value).hostname`."""
    script = "for (const v of JSON.parse(process.argv[1])) console.log(new URL(v).hostname)"
    out = subprocess.run(
        ["node", "-e", script, json.dumps(TRICKS)], capture_output=True, text=True, check=True
    )
    for value, node_host in zip(TRICKS, out.stdout.split(), strict=True):
        assert f"WHATWG URL reads {node_host}" in read_host(value).doubt or (
            read_host(value).host == node_host
        ), value


def test_a_non_ascii_host_as_written() -> None:
    """A look-alike is named both ways: the name asked of the resolver, and as written."""
    reading = read_host("https://PR\u041exy.example.com./x")
    assert reading == ("xn--prxy-65d.example.com", "", "pr\u043exy.example.com")  # lower case
    assert read_host("https://proxy.example.com").written == ""
