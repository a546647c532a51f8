"""The one place that makes attacker-written text safe for a terminal and for text files.

Function names, user agents, log lines, file names and policy text come from the evidence,
and the evidence is written by the attacker. Printed raw, an ESC sequence retitles or
repaints the responder's terminal (OSC, CSI, DCS... every kind starts with ESC, or with the
8-bit C1 forms such as U+009B), CR and BS overwrite what was printed, a bidi override
reverses what the eye reads, a line break inside a value prints a fake line, and a
zero-width character makes two names look one (`orders` and `orders` + U+200B). So every
such character is shown as a visible escape (`\\x1b`, `\\r`, `\\u202e`), never interpreted:

- `field` is for one value: nothing in it can start a new line or move the cursor;
- `text` is for our own multi-line output: it keeps `\\n` (and tab) and escapes the rest;
- `json_text` escapes what a JSON encoder leaves raw (C1, DEL, bidi, U+2028/9, zero-width)
  as `\\uXXXX`;
- `shell_command` is for a command we print for pasting: each part made inert, then quoted.

The standard library's `unicodedata` gives the categories; the terminal-escape libraries on
PyPI strip sequences by pattern (and so miss the ones they do not know) instead of making
every control character visible, which is what evidence needs.
"""

from __future__ import annotations

import re
import shlex

# C0 controls, DEL, C1 controls (U+0080-U+009F, which includes 8-bit CSI U+009B and NEL),
# the Unicode line and paragraph separators, the bidi embedding/override/isolate/mark
# characters, the zero-width ones (space, non-joiner, joiner U+200B-D; word joiner and the
# invisible operators U+2060-4; the BOM U+FEFF as zero-width no-break space), the other
# characters that show as nothing (soft hyphen U+00AD, combining grapheme joiner U+034F,
# the Hangul fillers U+115F/60, U+3164, U+FFA0, Khmer's U+17B4/5, Mongolian's free variation
# selectors and vowel separator U+180B-F, the variation selectors U+FE00-F), and lone
# surrogates (which cannot even be encoded to a terminal). Tag characters (U+E0000-E007F,
# which spell hidden ASCII text beside an emoji or nothing at all) and the supplementary
# variation selectors too, in JSON as their UTF-16 surrogate pairs.
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028\u2029"
    "\u202a-\u202e\u2060-\u2064\u2066-\u2069\u3164\ufe00-\ufe0f\ufeff\uffa0"
)
# the tags, then the supplementary variation selectors (E0100-E01EF, with the unassigned
# rest of their block: bytes hidden after a character, as "emoji smuggling" does)
_TAGS = "\U000e0000-\U000e007f\U000e0100-\U000e01ff"
_OTHER = f"\x7f-\x9f{_INVISIBLE}\ud800-\udfff{_TAGS}"
_FIELD = re.compile(f"[\x00-\x1f{_OTHER}]")
_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHER}]")  # keeps tab (\x09) and \n (\x0a)
# Characters JSON encoders leave unescaped but a terminal interprets or does not show (C0 is
# always escaped).
_JSON = re.compile(f"[\x7f-\x9f{_INVISIBLE}{_TAGS}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code > 0xFFFF:
        return f"\\U{code:08x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def field(value: object) -> str:
    """One value, made inert for a terminal or a one-line text format: every control visible."""
    return _FIELD.sub(_visible, "" if value is None else str(value))


def text(value: object) -> str:
    """Lines we compose (with `\\n` and tab between parts): every other control made visible."""
    return _TEXT.sub(_visible, "" if value is None else str(value))


def shell_command(*parts: object) -> str:
    """A command line to paste: each part through `field`, then `shlex.quote`d.

    A case folder or plan path may hold a space, `$` or a quote: quoted, each part stays one
    argument when pasted. Control characters are made visible first, so none reaches the
    terminal raw (such a part then names its visible text, not the original bytes).
    """
    return " ".join(shlex.quote(field(part)) for part in parts)


# A formula's first character after a `;` (spaces between): a spreadsheet that splits rows at
# `;` (a European locale) honours a quote only at a field's start, so `"fn;=1+2"` holds a
# field `=1+2` for it, quoted or not.
_AFTER_SEMICOLON = re.compile(r";(\s*)([=+\-@])")


def spreadsheet_cell(value: object) -> str:
    """One CSV cell no spreadsheet runs as a formula: controls visible (`field`: a bare CR
    would start a row), a leading `=`, `+`, `-` or `@` prefixed with `'` (OWASP), and the
    same after every `;` inside it. The writer quotes every cell besides."""
    cell = _AFTER_SEMICOLON.sub(r";\1'\2", field(value))
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@") else cell


def json_text(document: str) -> str:
    """JSON text with C1, DEL, bidi, zero-width and tag characters as `\\uXXXX` (a tag, beyond
    U+FFFF, as its surrogate pair `\\udb40\\udcXX`): the same JSON, safe to print.

    They can only occur inside JSON strings, where `\\uXXXX` means the same character.
    """
    return _JSON.sub(_json_escape, document)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # UTF-16's surrogate pair, as JSON spells a character beyond U+FFFF
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_bytes(document: bytes) -> bytes:
    """`json_text` for encoded JSON (files such as timeline.jsonl, findings.json); ASCII-only
    data without DEL (the one ASCII character JSON encoders leave raw), the common case, is
    returned as it is without decoding."""
    if document.isascii() and b"\x7f" not in document:
        return document
    if not _raw_in(document):  # arrows and ellipses, but nothing to escape
        return document
    return json_text(document.decode("utf-8")).encode("utf-8")


# Each non-ASCII `_JSON` character in UTF-8 (DEL, the ASCII one, is looked for alone): a
# lead and the bytes its next byte can be. C1 (U+0080-U+009F: C2 80-9F) and U+00AD (C2 AD);
# U+034F (CD 8F); U+061C (D8 9C); U+115F/60 (E1 85 ..); U+17B4/5 (E1 9E ..); U+180B-F
# (E1 A0 8B-8F); U+200B-F, U+2028/9, U+202A-E (E2 80 ..); U+2060-4, U+2066-9 (E2 81 ..);
# U+3164 (E3 85 A4); U+FE00-F (EF B8 ..); U+FEFF (EF BB BF); U+FFA0 (EF BE A0); the tags
# U+E0000-E007F (F3 A0 80 .., F3 A0 81 ..) and selectors U+E0100-E01FF (F3 A0 84-87 ..).
# Encoded JSON with none of them (an incidents.json with arrows and ellipses in its titles)
# needs no decoding: a byte search for each lead instead of a regex over 30 MB of text.
_JSON_BYTES: tuple[tuple[bytes, bytes], ...] = (
    (b"\xc2", bytes(range(0x80, 0xA0)) + b"\xad"),
    (b"\xcd", b"\x8f"),
    (b"\xd8", b"\x9c"),
    (b"\xe1\x85", b"\x9f\xa0"),
    (b"\xe1\x9e", b"\xb4\xb5"),
    (b"\xe1\xa0", b"\x8b\x8c\x8d\x8e\x8f"),
    (b"\xe2\x80", b"\x8b\x8c\x8d\x8e\x8f\xa8\xa9\xaa\xab\xac\xad\xae"),
    (b"\xe2\x81", b"\xa0\xa1\xa2\xa3\xa4\xa6\xa7\xa8\xa9"),
    (b"\xe3\x85", b"\xa4"),
    (b"\xef\xb8", bytes(range(0x80, 0x90))),
    (b"\xef\xbb", b"\xbf"),
    (b"\xef\xbe", b"\xa0"),
    # the tags U+E0000-E007F (F3 A0 80 80 - 81 BF), the selectors U+E0100-E01FF (84 80 - 87 BF)
    (b"\xf3\xa0", b"\x80\x81\x84\x85\x86\x87"),
)


_ASCII = bytes(range(0x80))


def _raw_in(document: bytes) -> bool:
    """Some character `json_text` escapes may be in UTF-8 `document` (valid UTF-8, as
    every caller's encoded JSON is). Only its non-ASCII bytes are searched (DEL aside):
    they are whole UTF-8 sequences, each starting with a lead byte, so none of the
    sequences below can form across two of them (in invalid UTF-8 a stray byte can, which
    only sends the document to `json_text`, whose decoding refuses it); a timeline's
    4 MB chunk with its 1,700 ellipses took 15 ms searched whole, 2 ms so. Each occurrence
    of a lead is looked at unless there are more than one per 64 bytes of the document
    (no-break spaces are C2 A0): then True, and `json_text` decides, for what decoding
    costs (6 ns a byte)."""
    if b"\x7f" in document:
        return True
    most = 64 + len(document) // 64
    rest = document.translate(None, _ASCII)
    for lead, then in _JSON_BYTES:
        found = rest.count(lead)
        if found > most:
            return True
        at = rest.find(lead) if found else -1
        while at >= 0:
            following = rest[at + len(lead) : at + len(lead) + 1]
            if following and following in then:
                return True
            at = rest.find(lead, at + len(lead))
    return False


def is_clean(value: str, *, lines: bool = False) -> bool:
    """True when `value` holds nothing `field` (or, with `lines`, `text`) would escape."""
    return (_TEXT if lines else _FIELD).search(value) is None
