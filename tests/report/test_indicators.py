"""Indicators: a value from the evidence is one line of indicators.txt, never two."""

from __future__ import annotations

import pytest

from lambda_ir.report.indicators import Indicator, classify, to_text

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
