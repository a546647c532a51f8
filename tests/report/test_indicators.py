"""Indicators: a value from the evidence is one line of indicators.txt, never two."""

from __future__ import annotations

import ipaddress
import random
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_ir.model import Actor, Finding, Severity
from lambda_ir.report.indicators import (
    _INTERNAL,
    NAMESPACE,
    Indicator,
    _internal,
    classify,
    gather,
    to_stix,
    to_text,
    uuid5_text,
)

FAKE_LINE = "http://evil.example/\nhttps://github.com"


@pytest.mark.parametrize(
    "value",
    [
        FAKE_LINE,
        "http://evil.example/\rhttps://github.com",
        "http://evil.example/ https://github.com",
        "http://evil.example/\x1b[2Jx",
        "evil.example\ngithub.com",
        "fe80::1%eth0\ngithub.com",
    ],
)
def test_a_value_with_a_break_or_control_inside_is_not_an_indicator(value: str) -> None:
    assert list(classify(value)) == []


def test_a_clean_url_still_is() -> None:
    assert list(classify("  https://evil.example/x?a=1\n")) == [
        ("url", "https://evil.example/x?a=1")
    ]


def test_text_output_puts_each_value_on_one_line() -> None:
    text = to_text([Indicator("url", FAKE_LINE, "F-1: exfiltration (high)")])
    lines = text.splitlines()
    assert "https://github.com" not in lines
    assert lines[-1] == "http://evil.example/\\nhttps://github.com"


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("stratum+tcp://116.203.4.0:3333", [("ipv4", "116.203.4.0")]),
        ("stratum+tcp://Pool.MineXMR.com:4444", [("domain", "pool.minexmr.com")]),
        ("tcp://[2001:db8::7]:4444", [("ipv6", "2001:db8::7")]),
        ("tcp://10.0.0.5:4444", []),  # a private address is never an indicator
        ("x://", []),
    ],
)
def test_a_destination_of_another_scheme_is_its_host(
    value: str, found: list[tuple[str, str]]
) -> None:
    # A miner's pool (LIR-CAP-001 lists its destinations as scheme://host:port).
    assert list(classify(value)) == found


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("http://203.0.113.201/collect", [("ipv4", "203.0.113.201")]),
        ("https://203.0.113.201:8443/", [("ipv4", "203.0.113.201")]),
        ("https://[2001:DB8::7]:8443/x", [("ipv6", "2001:db8::7")]),
        ("http://10.0.0.5/x", []),  # a private address is never an indicator
        # an IPv4-mapped IPv6 host is the IPv4 address it maps (private ranges checked so)
        ("http://[::ffff:169.254.169.254]/latest/meta-data/", []),
        ("http://[::ffff:10.0.0.1]/a", []),
        ("http://[::ffff:203.0.113.9]/a", [("ipv4", "203.0.113.9")]),
        ("https://dns.google.com/resolve?name=gw.denonia.xyz", []),  # DoH: not its host name
    ],
)
def test_an_http_url_to_an_address_is_also_that_address(
    value: str, found: list[tuple[str, str]]
) -> None:
    # Egress blocked by address missed http://203.0.113.201/collect: only its URL was listed.
    assert list(classify(value)) == [("url", value), *found]


def test_an_http_url_with_a_broken_address_is_no_indicator() -> None:
    assert list(classify("http://[2001:db8::7/x")) == []  # urlsplit refuses it


def _finding(number: int, **details: object) -> Finding:
    return Finding(
        id=f"LIR-TEST-001:{number}",
        detector="LIR-TEST-001",
        title="destination",
        severity=Severity.HIGH,
        resource="arn:aws:lambda:eu-west-1:111122223333:function:f",
        account="111122223333",
        region="eu-west-1",
        summary="",
        evidence=(),
        details=dict(details),
        actor=Actor(arn="arn:aws:iam::111122223333:user/m", source_ip="203.0.113.201")
        if number == 2
        else None,
    )


def test_a_urls_address_is_listed_once_in_the_text_and_the_stix_bundle() -> None:
    url = "http://203.0.113.201/collect"
    findings = [_finding(1, indicators=[url, "http://[2001:db8::7]/x"]), _finding(2)]
    listed = [(i.kind, i.value) for i in gather(findings)]
    assert listed == [
        ("ipv4", "203.0.113.201"),  # the URL's, and the actor's address: one indicator
        ("ipv6", "2001:db8::7"),
        ("url", url),
        ("url", "http://[2001:db8::7]/x"),
    ]
    lines = to_text(gather(findings)).splitlines()
    assert lines.count("203.0.113.201") == 1 and lines.count(url) == 1
    patterns = [
        o["pattern"] for o in to_stix(gather(findings), "2026-11-29T10:00:00Z", "c")["objects"]
    ]
    assert patterns.count("[ipv4-addr:value = '203.0.113.201']") == 1
    assert "[ipv6-addr:value = '2001:db8::7']" in patterns
    assert f"[url:value = '{url}']" in patterns


def test_internal_ranges_as_integers_agree_with_network_membership() -> None:
    # `_internal` compares integers where `address in network` was slow at 370k addresses;
    # every range's edges, one past them, and a spread of others answer the same both ways.
    addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for net in _INTERNAL:
        top = 2**32 - 1 if net.version == 4 else 2**128 - 1
        for value in (int(net.network_address), int(net.broadcast_address)):
            for near in (value - 1, value, value + 1):
                if 0 <= near <= top:
                    addresses.append(ipaddress.ip_address(near))
    rng = random.Random(7)
    addresses += [ipaddress.IPv4Address(rng.getrandbits(32)) for _ in range(2000)]
    addresses += [ipaddress.IPv6Address(rng.getrandbits(128)) for _ in range(2000)]
    for address in addresses:
        expected = any(address in net for net in _INTERNAL if net.version == address.version)
        assert _internal(address) is expected, address
    assert _internal(ipaddress.ip_address("10.1.2.3")) and not _internal(
        ipaddress.ip_address("203.0.113.9")
    )


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"])))
@settings(max_examples=300, deadline=None)
def test_indicator_ids_are_the_uuid5_of_kind_and_value(name: str) -> None:
    assert uuid5_text(name) == str(uuid.uuid5(NAMESPACE, name))
