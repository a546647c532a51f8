"""The one place that redacts secrets: names, values, environments, documents, free text."""

from __future__ import annotations

import dataclasses
import enum
import re
import time

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambda_ir.redact import (
    _ANY_LITERAL,
    _TEXT_PATTERNS,
    REDACTED,
    SHOWN_MARGIN,
    _may_hold_secret,
    document_is_clean,
    is_secret_name,
    looks_secret,
    redact_document,
    redact_environment,
    redact_lines,
    redact_shown,
    redact_text,
    redact_value,
    secret_byte_spans,
)


@pytest.mark.parametrize(
    "name",
    [
        "DB_PASSWORD",
        "dbPassword",
        "API_KEY",
        "apiKey",
        "AWS_SESSION_TOKEN",
        "GITHUB_TOKEN",
        "DB_PASS",
        "STRIPE_SECRET_KEY",
        "client-secret",
        "SENTRY_DSN",
        "AWS_SECRET_ACCESS_KEY",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "SECRET_ARN",
        "TOKEN_TYPE",
        "STAGE",
        "AUTHOR",
        "KMS_KEY_ID",
        "S3_KEY",
        "PATH",
        "TOKEN_EXPIRY_SECONDS",  # a quantity about a secret, not the secret
        "SESSION_TOKEN_TIMEOUT",
        "API_KEY_CACHE_SIZE",
    ],
)
def test_names_that_are_not_secret(name: str) -> None:
    assert not is_secret_name(name)


def test_redact_value_keeps_length_only() -> None:
    out = redact_value("hunter2")
    assert "hunter2" not in out
    assert out == f"{REDACTED} (7 chars)"


def test_redact_text_finds_labelled_and_shaped_secrets() -> None:
    token = "ghp_" + "A1b2" * 9
    session = "FwoGZXIvYXdzE" + "x" * 60
    text = (
        f"password=hunter2xx Authorization: Bearer abcdefghijklmn "
        f"postgres://app:s3cr3t@db.internal/x {token} aws_session_token={session} "
        "key id AKIAIOSFODNN7EXAMPLE stays"
    )
    out = redact_text(text)
    for secret in ("hunter2xx", "abcdefghijklmn", "s3cr3t", token, session):
        assert secret not in out
    assert "AKIAIOSFODNN7EXAMPLE" in out  # an identifier responders follow through CloudTrail
    assert "postgres://app:" in out and "@db.internal/x" in out
    assert redact_text(out) == out  # idempotent: reports may redact twice


def test_redact_lines_keeps_every_line_on_its_number() -> None:
    text = 'a\nk = "-----BEGIN PRIVATE KEY-----\nMIIEabc\nMIIEdef\n-----END PRIVATE KEY-----"\nb'
    assert redact_lines(text).split("\n") == [
        "a",
        f'k = "{REDACTED} (69 chars)',
        REDACTED,
        REDACTED,
        f'{REDACTED}"',
        "b",
    ]


def test_secrets_in_binary_data_end_at_a_control_byte_not_at_utf8() -> None:
    key = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    data = b"\x7fELF\0aws_secret_access_key=" + key + b"\0\x01next\0password=h\xc3\xa4sslich9\0"
    spans = secret_byte_spans(data)
    assert [data[start:end] for start, end in spans] == [key, b"h\xc3\xa4sslich9"]


def test_a_command_line_flag_naming_a_secret_has_its_value_redacted() -> None:
    command = (
        "mysql -u app --password hunter2 --token-file /run/t --secret-id prod/db "
        "--github-token=ghx1234567 --aws-secret-access-key wJalrXUtnFEMI --token --verbose"
    )
    assert redact_text(command) == (
        f"mysql -u app --password {REDACTED} (7 chars) --token-file /run/t --secret-id prod/db "
        f"--github-token={REDACTED} (10 chars) --aws-secret-access-key {REDACTED} (13 chars) "
        "--token --verbose"
    )


def test_flags_naming_keys_passphrases_and_passes_and_quoted_values_are_redacted() -> None:
    command = (
        "mc alias set x --secret-key wJalrXUtnFEMIK7MDENG --private-key MIIEvQIBADANBgkq "
        "--passphrase hunter22 --db-pass hunter22 --password 'correct horse battery' "
        '--api-token "a b" ; openssl rsa -passin pass:hunter22 -pass pass:s3cr3t'
    )
    assert redact_text(command) == (
        f"mc alias set x --secret-key {REDACTED} (20 chars) --private-key {REDACTED} (16 chars) "
        f"--passphrase {REDACTED} (8 chars) --db-pass {REDACTED} (8 chars) "
        f"--password '{REDACTED} (21 chars)' --api-token \"{REDACTED} (3 chars)\" ; "
        f"openssl rsa -passin pass:{REDACTED} (8 chars) -pass pass:{REDACTED} (6 chars)"
    )
    assert redact_text(redact_text(command)) == redact_text(command)


def test_flags_that_name_no_secret_keep_their_values() -> None:
    # an S3 object key, an access key id, boolean flags before an argument, and `pass` inside
    # a longer word
    command = (
        "aws s3api get-object --key secrets/db.json --access-key AKIAIOSFODNN7EXAMPLE "
        "--kms-key-id alias/app ; smbclient --no-pass //fs/share ; psql --no-password orders "
        "--bypass value1 --passes 3 --pass-through yes"
    )
    assert redact_text(command) == command


def test_flags_ending_in_pass_name_a_password_only_by_what_it_opens() -> None:
    # a pass over data, and openssl's `env:`/`file:` (where the password is, not it)
    kept = (
        "x264 --first-pass enabled --second-pass slower --two-pass abcd --by-pass abcd ; "
        "openssl rsa -passin env:KEYPASS -in k.pem ; openssl pkcs12 -passout file:/run/p.txt "
        "-pass fd:3 ; openssl enc -pass stdin -in x ; ffmpeg -pass 2"
    )
    assert redact_text(kept) == kept
    command = (
        "--admin-pass hunter22 --root_pass=hunter22 keytool -storepass hunter22 "
        "-srckeypass hunter22 ; curl --pass hunter22 ; openssl pkcs12 -passout pass:hunter22"
    )
    assert redact_text(command) == (
        f"--admin-pass {REDACTED} (8 chars) --root_pass={REDACTED} (8 chars) keytool "
        f"-storepass {REDACTED} (8 chars) -srckeypass {REDACTED} (8 chars) ; curl --pass "
        f"{REDACTED} (8 chars) ; openssl pkcs12 -passout pass:{REDACTED} (8 chars)"
    )


_JWT = "eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4f"


@pytest.mark.parametrize("before", ["cookie: session-", "x-", "-", "--", "a_b-", "(", ""])
def test_a_jwt_after_a_dash_is_redacted(before: str) -> None:
    assert redact_text(f"{before}{_JWT} .") == f"{before}{REDACTED} ({len(_JWT)} chars) ."


def test_a_jwt_inside_a_word_is_not_one() -> None:
    assert redact_text(f"id_{_JWT}") == f"id_{_JWT}"


def test_a_key_block_cut_off_before_the_next_one_is_redacted_to_it() -> None:
    whole = "-----BEGIN RSA PRIVATE KEY-----\nMIIEwhole\n-----END RSA PRIVATE KEY-----"
    cut = "-----BEGIN PRIVATE KEY-----\nMIIEcut"
    cert = "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----"
    for text in (f"{cut}\n{whole}", f"{cut} {cut}\n{whole}", f"{cut}\n{cert}\n{whole}"):
        out = redact_text(f"a {text} b")
        assert "MIIE" not in out and "MIIBcert" not in out
        assert out.startswith("a [REDACTED]") and out.endswith(" b")
    # another BEGIN inside a key block is its body
    inner = "-----BEGIN PRIVATE KEY-----\nMIIEvQ -----BEGIN junk\nabc\n-----END PRIVATE KEY-----"
    assert redact_text(inner) == f"{REDACTED} ({len(inner)} chars)"
    assert redact_text(f"{cut} no end") == f"{cut} no end"  # none after it: as before


def test_redact_text_private_key_block() -> None:
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----"
    assert "MIIEabc" not in redact_text(f"x {pem} y")


def test_redact_environment_by_name_and_by_shape() -> None:
    env = {
        "DB_PASSWORD": "hunter2",
        "STAGE": "prod",
        "HOOK": "xoxb-1234567890-abcdef",
        "DATABASE_URL": "mysql://root:toor1@10.0.0.1/app",
    }
    out = redact_environment(env)
    assert out["STAGE"] == "prod"
    assert out["DB_PASSWORD"].startswith(REDACTED)
    assert out["HOOK"].startswith(REDACTED)
    assert "toor1" not in out["DATABASE_URL"]
    assert env["DB_PASSWORD"] == "hunter2"  # the input is not modified
    assert looks_secret("xoxb-1234567890-abcdef") and not looks_secret("prod")


def test_redact_document_walks_api_responses() -> None:
    response = {
        "Configuration": {
            "FunctionName": "f",
            "Environment": {"Variables": {"API_KEY": "k-123456", "MODE": "x"}},
        },
        "Tags": [{"Key": "owner", "Value": "token=abcdefgh"}],
        "ClientSecret": "zzzzzz",
    }
    out = redact_document(response)
    assert out["Configuration"]["Environment"]["Variables"]["MODE"] == "x"
    assert "k-123456" not in str(out)
    assert "abcdefgh" not in str(out)
    assert out["ClientSecret"].startswith(REDACTED)
    assert out["Configuration"]["FunctionName"] == "f"


# Runs of what the patterns are made of, 200 KB each. A pattern that reads a run again from
# each of its positions and then fails (quadratic: `\b[a-z][a-z0-9+.-]*://` on `-a-a-a…`)
# takes minutes on one; a log message may be 256 KB of an attacker's text.
_ADVERSARIAL_UNITS = (
    "-a",
    "a-",
    "a:",
    "://",
    ":a@",
    "--password ",
    "--password '",
    '--password "',
    "--passw",
    "-pass pass:",
    "--a-",
    "token=",
    "bearer ",
    "eyJ-",
    "--eyJ",
    "-eyJ" * 600 + ".eyJ" + "a" * 2000 + " ",  # 512 header starts reach one payload, no more
    "IQoJ-",
    "xoxb-",
    "-----BEGIN PRIVATE KEY-----\n",
    "-----BEGIN PRIVATE KEY-----\nM -----BEGIN x\n",
    "-----END PRIVATE KEY-----",
    "--first-pass ",
    "-pass ",
)


def _scan_time(pattern: re.Pattern[str], text: str) -> float:
    start = time.perf_counter()
    for _ in pattern.finditer(text):
        pass
    return time.perf_counter() - start


@pytest.mark.parametrize("unit", _ADVERSARIAL_UNITS)
def test_every_text_pattern_reads_an_adversarial_run_in_linear_time(unit: str) -> None:
    """Each pattern reads 200 KB of the run in under 0.5 s; one slower (a loaded machine:
    0.5 s was crossed once so) must read four times less in about a quarter of its best of
    two times: under a tenth (a quadratic pattern takes sixteen times as long, and minutes)."""
    text = unit * (200_000 // len(unit))
    slow = {}
    for pattern, _ in _TEXT_PATTERNS:
        took = _scan_time(pattern, text)
        if took > 0.5:
            quarter = _scan_time(pattern, text[: len(text) // 4])
            took = min(took, _scan_time(pattern, text))
            if took > 10 * quarter + 0.05:
                slow[pattern.pattern] = (round(quarter, 2), round(took, 2))
    assert slow == {}


def test_a_shown_cut_is_redacted_as_the_whole_text_would_be() -> None:
    token = "ghp_" + "A1b2" * 9
    crossing = "x" * 370 + " " + token + " tail"  # the cut at 400 runs through the token
    pem = "-----BEGIN PRIVATE KEY-----\n" + "M" * 3000 + "\n-----END PRIVATE KEY-----"
    for text in (crossing, "y" * 300 + pem + "z" * 100_000, "password=" + "p" * 5_000):
        assert redact_shown(text, 400) == redact_text(text)[:400]
    assert REDACTED in redact_shown(crossing, 400) and "A1b2" not in redact_shown(crossing, 400)
    assert len(pem) < SHOWN_MARGIN  # a key block begun before the cut reaches its END line


@pytest.mark.parametrize(
    "secret_text",
    [
        "-----BEGIN PRIVATE KEY-----\nMIIEabc\n-----END PRIVATE KEY-----",
        "Secret_Access_Key: wJalrXUtnFEMI",
        "PWD=hunter2xx",
        "Api-Key=abcd1234",
        "CLIENT_SECRET='abcd1234'",
        "BASIC dXNlcjpwYXNzd29yZA==",
        "HTTPS://app:s3cr3tpw@db.internal",
        "IQoJb3JpZ2luX2VjE" + "x" * 50,
        "gho_" + "A1b2" * 9,
        "xoxb-1234567890-abc",
        "rk_live_" + "a1" * 10,
        "eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4f",
        "AIza" + "B" * 35,
        "paſſword=hunter2xx",  # (?i) folds ſ to s
        "--db-password hunter2xx",
        "-Token 'abcd1234'",
        "--secret-key wJalrXUtnFEMI",
        "--Private-Key MIIEvQIBADANBgkq",
        "--hmac_key abcd1234",
        "--passphrase hunter22",
        "--db-pass=hunter22",
        "-pass pass:hunter22",
        "--connection-string 'Server=db;Password=x'",
    ],
)
def test_every_text_pattern_is_reached(secret_text: str) -> None:
    # redact_text skips text with none of the patterns' literals; each shape must still get
    # through that first check, whatever its case.
    assert REDACTED in redact_text(f"seen: {secret_text} .")
    assert looks_secret(secret_text)


_PIECES = st.sampled_from(
    ["-----BEGIN", "Secret", "PASSW", "Pass", "pwd", "api_key", "Api-Key", "apikey", "api key",
     "private", "HMAC", "key", "-Key", "_key", "connection", "String", "-str",
     "ToKeN", "bearer", "BASIC", "://", "FwoGZXIvYXdz", "IQoJ", "ghp_", "GHX_", "xoxb-",
     "xox", "_live_", "eyJ", "AIza", "gh", "ap", "x", " ", ":", "/", "-", "_", "\\"]
)  # fmt: skip


@given(st.lists(_PIECES, max_size=12).map("".join))
def test_the_literal_scan_answers_as_the_lower_case_regex(text: str) -> None:
    # `_may_hold_secret` scans ASCII text with YARA-X (`nocase`); it must agree with
    # `_ANY_LITERAL` searched in the lower-cased text, which it replaced
    expected = re.search(_ANY_LITERAL, text.lower()) is not None
    assert _may_hold_secret(text) is expected


_KEYS = st.sampled_from(
    ["event_id", "baseline", "new", "reasons", "Variables", "password", "DB_PASS", "SENTRY_DSN",
     "SECRET_ARN", "token_type", "layers", "x", 'a":b', "k\\", "paſſword"]
)  # fmt: skip
_STRINGS = st.one_of(st.lists(_PIECES, max_size=6).map("".join), st.text(max_size=12))
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | _STRINGS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)  # a detector's tuple is kept as it is: walked too
        | st.dictionaries(_KEYS, inner, max_size=4)
    ),
    max_leaves=12,
)


@given(_JSON)
def test_a_clean_document_is_one_redaction_leaves_as_it_is(document: object) -> None:
    # `document_is_clean` lets a finding's details skip `redact_document`: it may say "not
    # clean" of a clean one (the long way, same result), never "clean" of one with a secret
    if document_is_clean(orjson.dumps(document), document):  # the same JSON (a tuple's a list)
        assert orjson.dumps(redact_document(document)) == orjson.dumps(document)


def test_clean_documents_and_the_keys_at_any_depth() -> None:
    details = {"event_id": "e1", "baseline": {"judged": True, "new": [], "reasons": []}}
    assert document_is_clean(orjson.dumps(details), details)
    for hidden in (
        # secret names the literal scan cannot see (no `passw`, `secret`, `token` in them)
        {"a": [[{"DB_PASS": "x"}]]},  # a key in a dict in a list in a list
        {"a": ({"DB_PASS": "hunter22"},)},  # and in a tuple
        {"a": {"b": {"SENTRY_DSN": "https://k@o1.ingest.example"}}},
        {"env": {"Variables": {"X": "1"}}},
        {"a": "token=abcdefgh"},  # a literal in a value
        {"a": "paſſword=hunter2"},  # one that only a case-folding search finds
    ):
        assert not document_is_clean(orjson.dumps(hidden), hidden), hidden


@dataclasses.dataclass(frozen=True)
class _Login:  # a value of a kind orjson writes as an object, not one of JSON's own types
    user: str
    private_key: str


class _Token(enum.Enum):
    GITHUB = "ghp_" + "a" * 36


def test_a_dataclass_or_enum_in_a_document_is_redacted_as_orjson_writes_it() -> None:
    # orjson writes a dataclass as an object and an enum as its value: their keys and values
    # are redacted as the object's and the value's would be, never written as they are
    document = {
        "login": _Login("bob", "MIIEvQIBADAN"),
        "token": _Token.GITHUB,
        "n": [_Login("a", "b")],
    }
    plain = orjson.loads(orjson.dumps(document))
    assert orjson.dumps(redact_document(document)) == orjson.dumps(redact_document(plain))
    assert b"MIIEvQIBADAN" not in orjson.dumps(redact_document(document))
    assert b"ghp_" not in orjson.dumps(redact_document(document))
    # no literal in the text, a secret's name in the dataclass: not clean (the long way)
    for hidden in ({"login": _Login("bob", "MIIEvQIBADAN")}, {"n": [_Login("a", "b")]}):
        assert not document_is_clean(orjson.dumps(hidden), hidden), hidden
