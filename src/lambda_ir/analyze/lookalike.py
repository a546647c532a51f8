"""Whether a layer name is spelled close to a vendor's name: the typosquat's tricks undone.

A look-alike needs to read as the vendor's at a glance, so it swaps letters for ones that look
the same (`Datad0g`, `NewReIic` with a capital I, `lurnigo`), or is one slip of the keyboard
away (`Datdog`, `Dataddog`, `Sentri`, `Powretools`). Both sides are folded the same way (case,
look-alike characters), then the name's words, alone or run together, are compared with the
vendor's name by edit distance.

How far is close, and why:
- names of up to 4 letters (`adot`) must match exactly after folding: one edit away from a
  four-letter word is half the dictionary;
- 5 to 8 letters (`sentry`, `lumigo`, `datadog`, `newrelic`, `oneagent`): one edit;
- 9 letters and more (`dynatrace`, `powertools`, `lambdainsights`): two edits;
- and the first letter must be the vendor's (after folding): an honest word one letter off at
  the start (`entry`, `gentry` for `sentry`) does not read as the vendor's name, which is the
  whole trick of a typosquat.
Eight-letter names get one edit, not two: at two, `oneevent` would be `oneagent`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Characters that pass for another in a layer name (which allows only letters, digits, `-`
# and `_`), folded after lower-casing: 1, i and a capital I all fold to l.
_GLYPHS = str.maketrans("0134567892i", "oleasbtbgzl")
_PAIRS = (("rn", "m"), ("vv", "w"))  # two letters that read as one
# A word of a layer name: a capitalised or lower-case run, an acronym, or digits.
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def fold(text: str) -> str:
    """`text` lower-cased with look-alike characters replaced by the letter they pass for."""
    folded = text.lower()
    for pair, letter in _PAIRS:
        folded = folded.replace(pair, letter)
    return folded.translate(_GLYPHS)


def allowed_edits(name: str) -> int:
    """How many edits still count as a spelling of vendor name `name` (see the module)."""
    return 0 if len(name) <= 4 else 1 if len(name) <= 8 else 2


def distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): insertions, deletions,
    substitutions and swaps of two neighbouring letters each count one."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def spelled_like(layer_name: str, vendor_name: str) -> bool:
    """True when some run of `layer_name`'s words, folded, is within the allowed edits of
    `vendor_name` (a lower-case vendor token such as `datadog`) and starts with its letter."""
    target = fold(vendor_name)
    limit = allowed_edits(target)
    return any(
        len(run) >= len(target) - limit and run[0] == target[0] and distance(run, target) <= limit
        for run in _runs(layer_name, len(target) + limit)
    )


def words_spell(layer_name: str, token: str) -> bool:
    """True when a run of `layer_name`'s whole words, folded (`fold`: `0tel` reads `otel`)
    and joined, is `token` folded (`otel-python-amd64` spells `otelpythonamd64`;
    `hotel-python` does not)."""
    target = fold(token)
    return target in _runs(layer_name, len(target))


def _runs(layer_name: str, longest: int) -> Iterator[str]:
    """Each run of `layer_name`'s consecutive words, folded and joined, of at most `longest`
    letters, from each word on."""
    words = [fold(w) for w in _WORD.findall(layer_name)]
    for start in range(len(words)):
        run = ""
        for word in words[start:]:
            run += word
            if len(run) > longest:
                break
            yield run
