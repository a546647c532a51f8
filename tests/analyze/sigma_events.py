"""Build CloudTrail events from a Sigma rule's own detection: one that must match, some not.

Covers what SigmaHQ's CloudTrail rules use: plain, contains, startswith, endswith,
contains|all, re (simple patterns), fieldref, null; conditions made of `and`, `not`,
`1 of pattern*` and names. Plain values are sent with swapped case, so a match also proves
the engine compares case-insensitively.
"""

from __future__ import annotations

import copy
import fnmatch
import re
from typing import Any

import yaml


def _set(event: dict[str, Any], field: str, value: Any) -> None:
    parts = field.split(".")
    node = event
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"{field}: conflicting shapes")
    node[parts[-1]] = value


def _sample(value: Any, modifiers: list[str]) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    if "re" in modifiers:
        return re.sub(r"\.\+|\.\*", "x", text).strip("^$")
    text = text.replace("*", "x").replace("?", "y").swapcase()
    if "contains" in modifiers:
        return f"pre{text}post"
    if "startswith" in modifiers:
        return f"{text}tail"
    if "endswith" in modifiers:
        return f"head{text}"
    return text


def _apply(event: dict[str, Any], item: Any) -> None:
    """Make `event` satisfy one detection item (a map, or a list of maps = OR)."""
    if isinstance(item, list):
        item = item[0]
    for key, value in item.items():
        field, *modifiers = key.split("|")
        values = value if isinstance(value, list) else [value]
        if "fieldref" in modifiers:
            _set(event, field, "same-value")
            _set(event, str(values[0]), "same-value")
        elif "all" in modifiers:
            joined = " ".join(str(v).replace("*", "x").strip('"') for v in values)
            target: Any = {
                f"k{i}": str(v).replace("*", "x").strip('"') for i, v in enumerate(values)
            }
            _set(
                event,
                field,
                target if field in ("requestParameters", "responseElements") else joined,
            )
        elif values[0] is None:
            continue  # field must be absent
        else:
            _set(event, field, _sample(values[0], modifiers))


def _names(detection: dict[str, Any], term: str) -> list[str]:
    term = term.strip()
    match = re.fullmatch(r"(1|all) of (\S+)", term)
    if match:
        names = [n for n in detection if n != "condition" and fnmatch.fnmatch(n, match.group(2))]
        return names[:1] if match.group(1) == "1" else names
    return [term]


def build_events(rule_text: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(an event the rule must match, events it must not match)."""
    rule = yaml.safe_load(rule_text)
    detection = rule["detection"]
    condition = str(detection["condition"])
    base = {
        "eventVersion": "1.08",
        "eventTime": "2026-11-02T12:00:00Z",
        "recipientAccountId": "111122223333",
        "awsRegion": "eu-west-1",
        "eventID": "positive",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/u"},
    }
    positive = copy.deepcopy(base)
    filters: list[str] = []
    for term in condition.split(" and "):
        term = term.strip()
        if term.startswith("not "):
            filters.extend(_names(detection, term[4:]))
            continue
        for name in _names(detection, term.split(" or ")[0]):
            _apply(positive, detection[name])
    negatives = []
    quiet = copy.deepcopy(base)
    quiet["eventID"] = "negative-unrelated"
    quiet.update({"eventSource": "example.amazonaws.com", "eventName": "DescribeNothing"})
    negatives.append(quiet)
    for name in filters:
        filtered = copy.deepcopy(positive)
        filtered["eventID"] = f"negative-{name}"
        _apply(filtered, detection[name])
        negatives.append(filtered)
    return positive, negatives
