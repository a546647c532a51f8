"""The collector's least-privilege IAM policy (`iam_policy.json`, shipped in the package).

Read-only (Get/List/Describe/BatchGet/Lookup/Filter), except the statement
`LambdaIrOptInLogExport` (logs:CreateExportTask), needed only with `--log-export-bucket`;
drop it when you do not use that option. `lambda-ir collect
--print-iam-policy` prints it; a catalogue test checks every API the collector calls is in
it and every action in it is a real one.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import orjson

# APIs whose IAM action has another name (the manifest keeps the API's name).
IAM_ACTION_OF = {
    "lambda:GetLayerVersionByArn": "lambda:GetLayerVersion",
    "s3:GetBucketNotificationConfiguration": "s3:GetBucketNotification",
}


def iam_policy() -> dict[str, Any]:
    """The policy document as a dict (attach it to the responder's read-only role)."""
    text = resources.files("lambda_ir.acquire").joinpath("iam_policy.json").read_bytes()
    document = orjson.loads(text)
    if not isinstance(document, dict):
        raise ValueError("iam_policy.json is not a JSON object")
    return document


def allowed_actions(document: dict[str, Any] | None = None) -> frozenset[str]:
    """Every action the policy allows, as `service:Action`."""
    actions: set[str] = set()
    for statement in (document or iam_policy()).get("Statement", []):
        listed = statement.get("Action", [])
        actions.update([listed] if isinstance(listed, str) else listed)
    return frozenset(actions)


def iam_action(api: str) -> str:
    """The IAM action authorising an API (`lambda:GetLayerVersionByArn` → `…:GetLayerVersion`)."""
    return IAM_ACTION_OF.get(api, api)
