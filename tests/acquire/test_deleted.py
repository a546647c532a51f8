"""A function ListFunctions listed and deleted before the run read it is a gap, not collected.

The emulator deletes it for real at the first call the run makes about it (after the
listing), as someone cleaning up mid-incident would: a Limiter sees every call first.
"""

from __future__ import annotations

import threading
from pathlib import Path

import boto3

from lambda_ir.acquire import CollectOptions, Scope, collect
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detectors import gap_collection
from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response
from lambda_ir.emulator.quotas import Limiter
from lambda_ir.emulator.testing import running_emulator
from lambda_ir.evidence import Case
from lambda_ir.evidence.deleted import NOTE
from lambda_ir.model import Severity
from lambda_ir.report import render_all
from lambda_ir.report.facts import build_facts
from tests.acquire import seed
from tests.acquire.conftest import Place


class DeleteOnFirstRead(Limiter):
    """Deletes `name` (through the API, as another principal) when a call first reads it."""

    def __init__(self, endpoint: str, region: str, name: str) -> None:
        super().__init__()
        self.endpoint, self.region, self.name = endpoint, region, name
        self.done, self.lock = threading.Event(), threading.Lock()

    def admit(self, call: ApiCall, account_id: str) -> Response | None:
        reads_it = call.service == "lambda" and f"/functions/{self.name}/" in call.path + "/"
        if reads_it and call.access_key_id != "cleaner":
            with self.lock:
                if not self.done.is_set():
                    self.done.set()
                    boto3.client(
                        "lambda",
                        endpoint_url=self.endpoint,
                        region_name=self.region,
                        aws_access_key_id="cleaner",
                        aws_secret_access_key="x",
                    ).delete_function(FunctionName=self.name)
        return super().admit(call, account_id)


def test_a_function_deleted_mid_collection_is_a_gap_shown_as_listed(
    place: Place, session: boto3.Session, tmp_path: Path
) -> None:
    seed.function(session, place.endpoint, "orders", ["v1"], region=place.region)
    seed.function(session, place.endpoint, "gone", ["print('backdoor')"], region=place.region)
    case = Case.create(tmp_path / "case", {"regions": [place.region]}, caller="test")
    with running_emulator(flush_interval=3600) as emulator:
        deleter = DeleteOnFirstRead(emulator.endpoint_url, place.region, "gone")
        emulator.gateway.limiter = deleter
        options = CollectOptions(workers=2, quotas=False, endpoint_url=emulator.endpoint_url)
        summary = collect(case, session, Scope(regions=(place.region,)), options)
    assert deleter.done.is_set()
    # not counted as collected, and said
    assert summary.functions == 1 and summary.deleted == (f"gone ({place.region})",)
    assert f"deleted during collection: gone ({place.region})" in summary.line()
    entries = list(Case.open(case.root).entries())
    about = [e for e in entries if e.params.get("FunctionName") == "gone"]
    assert not [e for e in about if e.api == "lambda:GetFunction"]  # nothing more was read
    (note,) = [e for e in about if e.kind == "gap"]
    (listing,) = [e for e in entries if e.kind == "function-list"]
    body = case.read_json(str(note.path))
    assert body["gap"] == "function-deleted"
    assert body["listing"] == {"path": listing.path, "sha256": listing.sha256}

    view = CaseView(Case.open(case.root))
    (finding,) = [f for f in gap_collection.detect(view) if "function-deleted" in f.title]
    arn = f"arn:aws:lambda:{place.region}:{seed.ACCOUNT}:function:gone"
    assert (finding.resource, finding.severity) == (arn, Severity.LOW)
    assert [e.path for e in finding.evidence] == [note.path, listing.path]
    assert "DeleteFunction" in finding.summary
    # analysis sees its configuration as listed
    assert [f.ref.name for f in view.functions if f.ref.name == "gone"] == ["gone"]

    facts = build_facts(Case.open(case.root), [], "2026-12-01T00:00:00Z")
    (gone,) = [f for f in facts.functions if f.name == "gone"]
    assert gone.note == NOTE and gone.versions[0].code_sha256
    assert not [g for g in facts.absent if g.function == "gone"]  # no "checked and absent"
    assert any("function-deleted" in g.why for g in facts.gaps_of(gone))
    assert "**deleted during collection**" in render_all(facts)["report.md"].decode()
