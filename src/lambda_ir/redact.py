"""The one place that redacts secrets: environment variables, JSON documents and free text.

Everything that shows configuration or text to a person (findings, timeline, report) goes
through here. A redacted value keeps its length and the name it was stored under, never its
characters, so a responder knows *where* a secret sits without the report leaking it.
AWS access key ids (`AKIA…`, `ASIA…`) are identifiers, not secrets, and are kept: responders
need them to follow a key through CloudTrail; the secret key and session token are redacted.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import itertools
import re
import threading
from collections.abc import Mapping
from typing import Any

import orjson
import yara_x

REDACTED = "[REDACTED]"

# Words (split on `_`, `-`, `.` and camelCase) that mark a value as secret.
_SECRET_WORDS = frozenset(
    {
        "secret",
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "token",
        "apikey",
        "credential",
        "credentials",
        "creds",
        "dsn",
        "webhook",
        "privatekey",
        "pat",
        "pass",
    }
)
# Two adjacent words that together mark a secret (`API_KEY`, `connection string`).
_SECRET_PAIRS = frozenset(
    {
        "apikey",
        "privatekey",
        "accesskey",
        "signingkey",
        "encryptionkey",
        "masterkey",
        "secretkey",
        "clientsecret",
        "connectionstring",
        "connstr",
        "authtoken",
        "authkey",
        "sessionkey",
        "licensekey",
        "sharedkey",
        "hmackey",
    }
)
# A last word that says the value is an identifier or setting, not the secret itself.
_BENIGN_LAST = frozenset(
    {
        "arn",
        "id",
        "ids",
        "type",
        "name",
        "region",
        "enabled",
        "ttl",
        "endpoint",
        "expiry",
        "expiration",
        "file",
        "path",
        "header",
        "length",
        "version",
        "prefix",
        "mode",
        # a quantity about the secret, not the secret (`TOKEN_EXPIRY_SECONDS=3600`)
        "seconds",
        "secs",
        "minutes",
        "mins",
        "hours",
        "days",
        "ms",
        "timeout",
        "duration",
        "interval",
        "count",
        "size",
        "limit",
    }
)
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
# Environment names AWS itself sets that hold credentials.
_AWS_SECRET_NAMES = frozenset({"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"})

# Words before `key` in a flag's name that make it a secret's, as `_SECRET_PAIRS` (not
# `access`: `--access-key` gives a key id). Also a literal of `_ANY_LITERAL`.
_KEY_WORDS = "(?:secret|private|signing|encryption|master|auth|session|shared|hmac|license)"
# Words before `pass` in a flag's name that make it a password (`--db-pass`, `--admin-pass`,
# keytool's `-storepass`), not a pass over data (`--first-pass`, `--two-pass`, `--bypass`).
_LOCK_WORDS = (
    "(?:db|database|admin|root|user|login|account|key|store|keystore|truststore|master|auth|"
    "bind|ldap|smtp|mail|imap|mysql|postgres|redis|mongo|ftp|sftp|ssh|proxy|vnc|rdp|wifi|wpa|"
    "sudo|vault|cert|pfx|pkcs12|app|api|client|server|service|web|http|basic)"
)

# Free-text patterns: (pattern, which group is the secret). Group 0 means the whole match.
_TEXT_PATTERNS: tuple[tuple[re.Pattern[str], int], ...] = (
    # A key block, to its END line or, cut off before one, to the next key block's BEGIN (a
    # truncated key pasted above a whole one): its body is read once, not from every unclosed
    # BEGIN to the end of the text. Another BEGIN (`-----BEGIN CERTIFICATE-----`) is body.
    (
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----"
            r"(?:(?!-----(?:BEGIN|END) [A-Z ]*PRIVATE KEY-----)[\s\S])*+"
            r"(?:-----END [A-Z ]*PRIVATE KEY-----|(?=-----BEGIN [A-Z ]*PRIVATE KEY-----))"
        ),
        0,
    ),
    # key = value / key: value / "key": "value" where key names a secret
    (
        re.compile(
            r"""(?ix)
            (?:aws_secret_access_key|aws_session_token|aws_security_token|secret[_-]?access[_-]?key|
               session[_-]?token|secret|passw(?:or)?d|pwd|api[_-]?key|apikey|token|client[_-]?secret)
            ["']?\s*[:=]\s*["']?
            (?!\[REDACTED\])([^\s"',;&}]{4,})
            """
        ),
        1,
    ),
    # A command-line flag whose name ends in a secret word, then its value (`--password
    # hunter2`, `-token x`, `--secret-key x`), and a quoted value whole (`--password 'correct
    # horse'`). `--token-file`, `--secret-id`, `--no-password` and a bare `--key` (an S3
    # object's) name none; nor does `--access-key`, which gives an access key id (`AKIA…`),
    # kept as everywhere. A `pass` is a password's after a word naming what it opens
    # (`--db-pass`, `-storepass`; not `--first-pass`, `--bypass`) or alone (curl's `--pass
    # phrase`, openssl's `-pass pass:x`), but not openssl's `env:`, `file:`, `fd:` or `stdin`
    # (where to read one); openssl's `-passin`/`-passout` only with `pass:` (the password).
    # The lookahead before the words lets only a name ending in `pass` try them: a third of
    # the time on a run of flags (case-insensitive literals are tried one by one).
    (
        re.compile(
            r"""(?ix)
            (?<![\w-])--?(?!no[_-])
            (?:(?:[a-z0-9]+[_-])*
               (?:secret[_-]?access[_-]?key|"""
            + _KEY_WORDS
            + r"""[_-]?key|session[_-]?token|security[_-]?token|
                  secret|passw(?:or)?d|pwd|passphrase|api[_-]?key|token|connection[_-]?string|
                  (?=[a-z0-9]+[_-]?pass[ \t=])[a-z0-9]*"""
            + _LOCK_WORDS
            + r"""[_-]?pass)
             |pass(?=(?:[ \t]+|=)(?!(?:env|file|fd):|stdin\b))
             |pass(?:in|out)(?=(?:[ \t]+|=)pass:))
            (?:[ \t]+|=)(?:pass:)?+["']?(?!\[REDACTED\])
            ((?<=")[^"\n]+(?=")|(?<=')[^'\n]+(?=')|(?!-)[^\s"']{4,})
            """
        ),
        1,
    ),
    (re.compile(r"(?i)\b(?:bearer|basic)\s+([A-Za-z0-9._~+/=-]{8,})"), 1),
    # scheme://user:password@host, found from its `://`: a scheme read first would be read
    # again from every letter of a long run of scheme characters (`-a-a-a…`) that ends in none.
    (re.compile(r"://[^\s:/@]+:([^\s@/]+)@"), 1),
    # Session tokens start with the base64 of a small protobuf header.
    (re.compile(r"\b((?:FwoGZXIvYXdz|IQoJb3JpZ2lu|IQoJ)[A-Za-z0-9/+=]{40,})"), 1),
    (re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{30,})\b"), 1),
    (re.compile(r"\b(xox[abprs]-[A-Za-z0-9-]{10,})\b"), 1),
    (re.compile(r"\b((?:sk|rk)_live_[A-Za-z0-9]{16,})\b"), 1),
    # A JWT, at a word's start as `\b` finds it, after a `-` too (`session-eyJ…`). Its header
    # is read to the end of a run of base64url only where the run starts: after a `-` inside
    # one it is read to 2,048 characters at most, so `eyJ-eyJ-…` is not read again to its end
    # from each `eyJ`, and no more than 512 starts reach one payload (linear, if by 512).
    (
        re.compile(
            r"(?<![A-Za-z0-9_])(eyJ"
            r"(?:(?<![A-Za-z0-9_-]eyJ)[A-Za-z0-9_-]{8,}+|[A-Za-z0-9_-]{8,2045}+)"
            r"\.eyJ[A-Za-z0-9_-]{8,}+\.[A-Za-z0-9_-]{8,})"
        ),
        1,
    ),
    (re.compile(r"\b(AIza[0-9A-Za-z_-]{35})\b"), 1),
)


# A necessary condition for any of `_TEXT_PATTERNS`: a literal each of them contains, in
# lower case. Text with none (nearly every summary, ARN and log line) is returned untouched
# after one search (`_any_rules`) instead of ten substitutions. Keep it in step when a pattern
# is added.
_ANY_LITERAL = (
    r"-----begin|secret|pass|pwd|api[_-]?key|token|bearer|basic|://|fwogzxivyxdz|iqoj|"
    r"gh[pousr]_|xox[abprs]-|_live_|eyj|aiza|connection[_-]?string|" + _KEY_WORDS + "[_-]?key"
)
# Outside ASCII, `(?i)` also matches ſ, ı, İ and the Kelvin sign, which `lower()` does not map.
_ANY_FOLDED = re.compile(_ANY_LITERAL, re.IGNORECASE)


@functools.cache
def _any_rules() -> yara_x.Rules:
    """`_ANY_LITERAL` as a YARA-X rule (ASCII `nocase`, as `lower()` then the regex): one scan
    in Rust, 0.7 µs for a finding's JSON where `lower()` and the substring tests took 5 µs.
    Compiled on first use (15 ms), not by every command that imports this module."""
    pattern = _ANY_LITERAL.replace("/", "\\/")
    return yara_x.compile(
        f"rule any_secret_literal {{ strings: $s = /{pattern}/ nocase condition: $s }}"
    )


_SCANNERS = threading.local()  # a scanner keeps state while it scans: one per thread


def _literal_in(data: bytes) -> bool:
    """Some `_ANY_LITERAL` in ASCII `data`, any case."""
    scanner = getattr(_SCANNERS, "scanner", None)
    if scanner is None:
        scanner = _SCANNERS.scanner = yara_x.Scanner(_any_rules())
    return bool(scanner.scan(data).matching_rules)


# A pure function of a short string, asked the same few key names (`event_id`, `baseline`) for
# every finding: memoised (bounded), as the name splitting cost 60 s of 2M calls at 1M events.
@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """True when a variable or key name says its value is a secret (`DB_PASSWORD`, `API_KEY`).

    Names that merely mention a secret but hold an identifier (`SECRET_ARN`, `TOKEN_TYPE`)
    are not secret; their values are still checked by `looks_secret`.
    """
    if name.upper() in _AWS_SECRET_NAMES:
        return True
    words = [word.lower() for word in _WORD.findall(name)]
    if not words or words[-1] in _BENIGN_LAST:
        return False
    pairs = {a + b for a, b in itertools.pairwise(words)}
    return bool(_SECRET_WORDS.intersection(words) or _SECRET_PAIRS.intersection(pairs))


def looks_secret(value: str) -> bool:
    """True when a value on its own has the shape of a known credential (token, key, JWT)."""
    return redact_text(value) != value


def redact_value(value: object) -> str:
    """The printable stand-in for a secret value: its length, never its characters."""
    text = "" if value is None else str(value)
    return f"{REDACTED} ({len(text)} chars)"


# How far past a cut `redact_shown` reads: enough for a private key block begun before it
# (3.3 KB for RSA-4096, 6.5 KB for RSA-8192) to reach its END line and be matched whole.
SHOWN_MARGIN = 8192


def redact_text(text: str) -> str:
    """Redact credentials inside free text (log lines, code strings, error messages)."""
    return _replace_spans(text, secret_spans(text), keep_lines=False)


def redact_shown(text: str, chars: int) -> str:
    """The first `chars` characters of `text` redacted, for a line cut to fit a view: a
    secret the cut runs through is still recognised by its name and redacted whole, as
    `redact_text(text)[:chars]` would, but only `SHOWN_MARGIN` characters past the cut are
    read, not all of a 256 KB log message (a value running on past them is counted to them
    in its stand-in's length)."""
    return redact_text(text[: chars + SHOWN_MARGIN])[:chars]


def redact_lines(text: str) -> str:
    """`redact_text` for numbered lines: a secret over several lines (a PEM key) keeps its
    line breaks, each line after its stand-in's reading `[REDACTED]`, so every line keeps
    its number."""
    return _replace_spans(text, secret_spans(text), keep_lines=True)


def secret_spans(text: str) -> list[tuple[int, int]]:
    """Where `redact_text` finds secrets in `text`: (start, end) character spans, sorted, the
    overlapping and adjacent ones merged. For views that mask a secret in place (a hex dump)
    rather than replace it; give it more text than the view shows, so a secret cut at the
    view's edge is still recognised by its name."""
    if not _may_hold_secret(text):
        return []
    found = sorted(
        match.span(group) for pattern, group in _TEXT_PATTERNS for match in pattern.finditer(text)
    )
    spans: list[tuple[int, int]] = []
    for start, end in found:
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


# Bytes read as text, one character a byte, for `secret_byte_spans`: a control byte (the NUL
# that ends a C string) reads as a space, which ends a secret's value; a byte past ASCII reads
# as DEL, which is in no pattern's literal but no space either (a UTF-8 value is not cut).
_BYTES_AS_TEXT = bytes(
    byte if 32 <= byte < 127 or byte in b"\t\n\r" else 32 if byte < 32 else 127
    for byte in range(256)
)


def secret_byte_spans(data: bytes) -> list[tuple[int, int]]:
    """`secret_spans` in binary data (strings in an executable): (start, end) byte offsets."""
    return secret_spans(data.translate(_BYTES_AS_TEXT).decode("ascii"))


def redact_environment(env: Mapping[str, Any]) -> dict[str, str]:
    """A copy of a function's environment variables with secret values redacted.

    A value is redacted when its name marks it secret or the value itself looks like a
    credential; other values go through `redact_text` (a URL may embed a password).
    """
    out: dict[str, str] = {}
    for name, value in env.items():
        text = "" if value is None else str(value)
        if is_secret_name(name) or looks_secret(text):
            out[name] = redact_value(text)
        else:
            out[name] = text
    return out


def redact_document(document: Any) -> Any:
    """A copy of a JSON document (an API response) with secret values redacted, recursively.

    `Environment.Variables` is treated as an environment; any other key whose name marks a
    secret has its value redacted; every other string goes through `redact_text`.
    """
    if type(document) is str:  # the common case first: ABC checks cost more than the rest
        return redact_text(document)
    if document is None or type(document) in (bool, int, float):
        return document
    if isinstance(document, Mapping):
        out: dict[str, Any] = {}
        for key, value in document.items():
            if key == "Variables" and isinstance(value, Mapping):
                out[key] = redact_environment(value)
            elif isinstance(key, str) and is_secret_name(key) and isinstance(value, str | int):
                out[key] = redact_value(value)
            else:
                out[key] = redact_document(value)
        return out
    if isinstance(document, list | tuple):
        if all(type(item) is str for item in document) and not _may_hold_secret(
            "\n".join(document)
        ):
            # A finding's thousands of event ids: one search for the list, not one each. The
            # literals are unanchored, so one in any item is one in the joined text.
            return list(document)
        return [redact_document(item) for item in document]
    if isinstance(document, str):
        return redact_text(document)
    if _written_as_json(document):  # as orjson writes it: an object, or the enum's value
        return redact_document(orjson.loads(orjson.dumps(document)))
    return document


def _written_as_json(value: Any) -> bool:
    """A dataclass instance or an enum member: orjson writes them as an object or a value,
    whose keys and strings a redaction must see as it sees a dict's and a string's."""
    return isinstance(value, enum.Enum) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    )


def json_is_clean(text: str) -> bool:
    """True when `redact_document` would change nothing in the document whose compact JSON
    (`orjson.dumps`) is `text`: no string holds a literal any secret pattern needs (JSON
    escapes no character of them, so one search of the whole text answers for every string),
    no key is named like a secret, and no `Variables` (an environment) is inside. One search
    for a finding's details instead of one per string."""
    if "\\" in text or _may_hold_secret(text):  # an escaped quote would hide a key's end
        return False
    # Without escapes a key is the string just before `":`; a string value holding `":` gives
    # a false key too, which can only send the document the long way.
    keys = {part[part.rfind('"') + 1 :] for part in text.split('":')[:-1]}
    return not any(key == "Variables" or is_secret_name(key) for key in keys)


def document_is_clean(data: bytes, document: Any) -> bool:
    """True when `redact_document(document)` would change nothing, `data` being the
    document's compact JSON (`orjson.dumps`): no string holds a literal any secret pattern
    needs (one scan of the JSON answers for every string: JSON escapes no character of
    them), and no key at any depth is named like a secret or is `Variables` (an environment).
    The keys are read from the document itself, not cut out of its text: a finding's check
    took 3.3 µs against 5.1 with `json_is_clean`, and no escape in the text trips it."""
    if not data.isascii():  # a folded ſ or K may spell a literal: the text's own search
        return json_is_clean(data.decode())
    return not _literal_in(data) and _keys_clean(document)


_LEAVES = frozenset({str, int, float, bool, type(None)})  # what needs no walk, by exact type
_NESTED = (dict, list, tuple)


def _keys_clean(document: Any) -> bool:
    """No key of `document` (dicts inside dicts, lists and tuples, at any depth) names a
    secret. A list's items are looked at in place, without a call each (a finding's ids)."""
    if isinstance(document, dict):
        for key in document:
            if type(key) is not str or key == "Variables" or is_secret_name(key):
                return False
        values: Any = document.values()
    elif isinstance(document, list | tuple):
        values = document
    else:
        return not _written_as_json(document)
    for value in values:
        if type(value) in _LEAVES:
            continue
        if isinstance(value, dict):
            if not _keys_clean(value):
                return False
        elif isinstance(value, list | tuple):
            for item in value:
                if type(item) in _LEAVES:
                    continue
                if not _keys_clean(item):  # a dict, list or tuple; a dataclass is not clean
                    return False
        elif _written_as_json(value):  # its keys are not a dict's: the long way
            return False
    return True


def _may_hold_secret(text: str) -> bool:
    if text.isascii():
        return _literal_in(text.encode())
    return _ANY_FOLDED.search(text) is not None


def _replace_spans(text: str, spans: list[tuple[int, int]], *, keep_lines: bool) -> str:
    if not spans:
        return text
    pieces: list[str] = []
    at = 0
    for start, end in spans:
        secret = text[start:end]
        pieces += (text[at:start], redact_value(secret))
        if keep_lines:
            pieces.append(f"\n{REDACTED}" * secret.count("\n"))
        at = end
    pieces.append(text[at:])
    return "".join(pieces)
