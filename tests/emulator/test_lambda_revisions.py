"""RevisionId preconditions: an update naming a stale RevisionId changes nothing (HTTP 412)."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_ir.emulator.client import client_config
from tests.emulator.conftest import make_function


def _latest(lam: Any, name: str) -> dict[str, Any]:
    return dict(lam.get_function(FunctionName=name)["Configuration"])


def test_an_update_with_the_latest_revision_is_made_and_answers_the_new_one(
    admin: Any, name: str
) -> None:
    lam = admin.client("lambda", config=client_config())
    make_function(admin, name)
    revision = _latest(lam, name)["RevisionId"]
    answer = lam.update_function_configuration(
        FunctionName=name, RevisionId=revision, Description="rotated"
    )
    after = _latest(lam, name)
    assert after["Description"] == "rotated"
    assert answer["RevisionId"] == after["RevisionId"] != revision


def test_an_update_with_a_stale_revision_is_refused_and_changes_nothing(
    admin: Any, name: str
) -> None:
    lam = admin.client("lambda", config=client_config())
    make_function(admin, name, Environment={"Variables": {"DB_PASSWORD": "old"}})
    stale = _latest(lam, name)["RevisionId"]
    lam.update_function_configuration(
        FunctionName=name, Environment={"Variables": {"DB_PASSWORD": "rotated"}}
    )
    for update in (
        lambda: lam.update_function_configuration(
            FunctionName=name, RevisionId=stale, Environment={"Variables": {}}
        ),
        lambda: lam.publish_version(FunctionName=name, RevisionId=stale),
    ):
        with pytest.raises(lam.exceptions.PreconditionFailedException) as refused:
            update()
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
        assert "does not match the latest Revision Id" in str(refused.value)
    assert _latest(lam, name)["Environment"]["Variables"] == {"DB_PASSWORD": "rotated"}
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]] == [
        "$LATEST"
    ]
