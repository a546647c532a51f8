"""`findings.sarif`: findings as SARIF 2.1.0 for code-scanning dashboards.

A code finding (its evidence names a `member`, a file inside a package) points at that
file, relative to the package, with the package's blob path as the base; other findings
point at the evidence file in the case and name the AWS resource as a logical location.
The file carries no raw control or bidi character (`sanitize.json_bytes`: `\\uXXXX`, the
same JSON), so printing it cannot drive a terminal, and every message is plain text that says
what the finding says (`plain_text`): evidence quoted in a summary makes no link and no
placeholder.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson

from lambda_ir import __version__, sanitize
from lambda_ir.model import Finding, Severity
from lambda_ir.report.blocks import BLOCK, indented_chunks

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning reads `security-severity` (0.0-10.0) to rank security results.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


# A plain-text message's own syntax (SARIF 2.1.0 §3.11.5-6): `{n}` is a placeholder a viewer
# replaces (a brace SHALL be doubled), `[text](target)` a link it follows; `\\`, `[` and `]`
# escaped with a backslash, as CodeQL writes them and its viewer and GitHub read them.
_PLAIN = str.maketrans({"{": "{{", "}": "}}", "\\": "\\\\", "[": "\\[", "]": "\\]"})


def plain_text(text: str) -> str:
    """`text` as a SARIF plain-text message string a viewer shows as it is: attacker text
    quoted in a summary (`[Verified safe](https://…)`, `{0}`) is neither a link nor a
    placeholder."""
    return text.translate(_PLAIN)


def sarif_bytes(findings: tuple[Finding, ...]) -> bytes:
    """`findings.sarif` as written: indented JSON, C1, DEL and bidi controls as `\\uXXXX`."""
    document = orjson.dumps(render_sarif(findings), option=orjson.OPT_INDENT_2) + b"\n"
    return sanitize.json_bytes(document)


def sarif_chunks(findings: Sequence[Finding], block: int = BLOCK) -> Iterator[bytes]:
    """`sarif_bytes`, `block` results at a time: the log around them (its rules) is fixed
    and written first, so 166k results are never one list of dicts nor one string."""
    rules = _rules(findings)
    ids = {detector: index for index, detector in enumerate(rules)}
    results = (_result(f, ids[f.detector]) for f in findings)
    return indented_chunks(_log(list(rules.values()), []), "results", results, block)


def render_sarif(findings: Sequence[Finding]) -> dict[str, Any]:
    """One SARIF log with one run; findings must already be redacted."""
    rules = _rules(findings)
    ids = list(rules)
    return _log(list(rules.values()), [_result(f, ids.index(f.detector)) for f in findings])


def _rules(findings: Iterable[Finding]) -> dict[str, dict[str, Any]]:
    """One rule per detector, in the order findings first name them (ruleIndex counts so)."""
    rules: dict[str, dict[str, Any]] = {}
    for finding in findings:
        rules.setdefault(finding.detector, _rule(finding))
    return rules


def _log(rules: list[dict[str, Any]], results: list[dict[str, Any]]) -> dict[str, Any]:
    """The log with `results` last: `sarif_chunks` streams them into its end."""
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "lambda-ir",
                        "version": __version__,
                        "informationUri": "https://github.com/lambda-ir/lambda-ir",
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"CASE": {"description": {"text": "The case folder."}}},
                "results": results,
            }
        ],
    }


def _rule(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.detector,
        "name": finding.detector.replace("-", ""),
        "shortDescription": {"text": plain_text(finding.title)},
        "defaultConfiguration": {"level": LEVEL[finding.severity]},
        "properties": {
            "tags": ["security", *(f"external/mitre/{a}" for a in finding.attack)],
            "security-severity": SECURITY_SEVERITY[finding.severity],
        },
    }


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.detector,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.severity],
        "message": {"text": plain_text(f"{finding.title}: {finding.summary}")},
        "locations": [_location(finding, ref.path, ref.member) for ref in finding.evidence]
        or [_location(finding, None, None)],
        "partialFingerprints": {"lambdaIrFindingId": finding.id},
        "properties": {
            "severity": finding.severity.value,
            "resource": finding.resource,
            "account": finding.account,
            "region": finding.region,
            "attack": list(finding.attack),
        },
    }
    if finding.time:
        result["properties"]["time"] = finding.time
    return result


def _location(finding: Finding, path: str | None, member: str | None) -> dict[str, Any]:
    location: dict[str, Any] = {
        "logicalLocations": [{"fullyQualifiedName": finding.resource, "kind": "resource"}]
    }
    if path is None:
        return location
    if member:
        # The file inside the package; the package is described so a reader can find it.
        # A member name is attacker-chosen text; the URI carries it percent-encoded.
        uri = urllib.parse.quote(member.lstrip("/"), safe="/")
        artifact = {"uri": uri, "description": {"text": plain_text(f"inside package {path}")}}
    else:
        artifact = {"uri": path, "uriBaseId": "CASE"}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    line = finding.details.get("line")
    if member and isinstance(line, int) and line > 0:
        physical["region"] = {"startLine": line}
    location["physicalLocation"] = physical
    return location
