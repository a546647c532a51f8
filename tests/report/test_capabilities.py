"""The report's capability section: versions with what they gained, triggers, escaping."""

from __future__ import annotations

from pathlib import Path

from lambda_ir.evidence import Case
from lambda_ir.report.capabilities import (
    capabilities_html,
    capabilities_markdown,
    capability_of,
    read_capability_facts,
)
from tests.analyze.casebuild import ACCOUNT, REGION, CaseBuilder, function_config, zip_bytes

READER = "import boto3\nddb = boto3.client('dynamodb')\nddb.get_item(TableName='t', Key={})\n"
HOSTILE = "import os\nos.system('id')\nURL = 'http://203.0.113.9/<script>alert(1)</script>'\n"
ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:notifier"


def test_versions_gains_and_triggers_are_shown_escaped(tmp_path: Path) -> None:
    builder = CaseBuilder(tmp_path / "case")
    configs = []
    for number, (name, source) in enumerate(
        [("app.py", READER), ("<img src=x>.py", HOSTILE)], start=1
    ):
        blob = zip_bytes({name: source})
        builder.code(blob, "notifier", str(number))
        configs.append(function_config("notifier", str(number), code=blob))
    builder.versions("notifier", configs)
    builder.put(
        f"raw/{ACCOUNT}/{REGION}/sns/subscriptions.json",
        {"Subscriptions": [{"Protocol": "lambda", "Endpoint": ARN, "TopicArn": "arn:aws:sns:x"}]},
        "trigger",
        "sns:ListSubscriptions",
    )
    warnings: list[str] = []
    facts = read_capability_facts(Case.open(builder.root), warnings)
    assert warnings == []
    found = capability_of(facts, ARN)
    assert found is not None and found.triggers == ("sns: arn:aws:sns:x",)
    first, second = found.versions
    assert first.rows == ("aws-call dynamodb:GetItem (app.py:3)",) and first.gained == ()
    assert "exec os.system (<img src=x>.py:2)" in second.gained
    page = "\n".join(capabilities_html(found))
    assert "<img" not in page and "<script>" not in page
    assert "exec os.system (&lt;img src=x&gt;.py:2)" in page
    assert 'class="danger"' in page
    assert "<td>no earlier version read to compare</td>" in page
    text = "\n".join(capabilities_markdown(found))
    assert "gained over the previous version" in text and "<img" not in text
    assert capability_of(facts, ARN + "-other") is None


def test_a_policy_not_read_is_no_evidence_that_nobody_can_invoke(tmp_path: Path) -> None:
    """A denied GetPolicy read "What can invoke it: none found", as if checked and empty."""
    builder = CaseBuilder(tmp_path / "case")
    blob = zip_bytes({"app.py": READER})
    builder.code(blob, "notifier", "1")
    builder.versions("notifier", [function_config("notifier", "1", code=blob)])
    builder.failed(
        "policy",
        "lambda:GetPolicy",
        {"FunctionName": "notifier"},
        "denied: AccessDeniedException: not authorized to perform lambda:GetPolicy",
    )
    builder.failed(  # none at version 1: checked, nothing there
        "policy",
        "lambda:GetPolicy",
        {"FunctionName": "notifier", "Qualifier": "1"},
        "not-found: ResourceNotFoundException: no policy",
    )
    found = capability_of(read_capability_facts(Case.open(builder.root), []), ARN)
    assert found is not None and found.triggers == ()
    said = "not read: the resource policy (lambda:GetPolicy denied: unqualified), so who else"
    assert found.invokers() == (f"{said} can invoke it is unknown",)
    assert f"- What can invoke it: {said}" in "\n".join(capabilities_markdown(found))
    assert "none found" not in "\n".join(capabilities_html(found))


def test_none_found_when_every_source_was_read(tmp_path: Path) -> None:
    builder = CaseBuilder(tmp_path / "case")
    blob = zip_bytes({"app.py": READER})
    builder.code(blob, "notifier", "1")
    builder.versions("notifier", [function_config("notifier", "1", code=blob)])
    found = capability_of(read_capability_facts(Case.open(builder.root), []), ARN)
    assert found is not None and found.invokers() == ("none found",)
