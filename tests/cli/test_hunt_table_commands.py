"""`hunt --create-table --apply` prints an undo command that works pasted (a case folder with a
space in its name), against the emulator's Athena."""

from __future__ import annotations

import io
import shlex
import uuid
from pathlib import Path

import boto3
from rich.console import Console

from lambda_ir.aws import ClientFactory
from lambda_ir.cli.hunt_table import make_table
from lambda_ir.cli.ui import Ui
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case
from lambda_ir.respond.hunt_table import TableRequest
from tests.hunt.conftest import admin, aws  # noqa: F401 - the hunt tests' emulator fixtures
from tests.hunt.trail_files import REGION, result_workgroup, trail_bucket


def test_the_printed_table_undo_command_works_pasted(
    aws: Emulator,  # noqa: F811
    admin: boto3.Session,  # noqa: F811
    tmp_path: Path,
) -> None:
    bucket, _ = trail_bucket(admin, aws.endpoint_url, "org-trail")
    workgroup = result_workgroup(admin, aws.endpoint_url, bucket)
    case = Case.create(tmp_path / "my case", {"test": True})
    said = io.StringIO()
    ui = Ui(console=Console(file=said, width=400, highlight=False, emoji=False))
    request = TableRequest(
        f"spaced_{uuid.uuid4().hex[:6]}.trail", f"s3://{bucket}/cloudtrail", workgroup, REGION
    )
    ok, document = make_table(
        ui, case, ClientFactory(admin, endpoint_url=aws.endpoint_url), request, apply=True
    )
    assert ok, said.getvalue()
    line = next(x for x in said.getvalue().splitlines() if "to undo:" in x)
    undo = str(case.root / document["undo_path"])
    assert shlex.split(line.split("to undo:", 1)[1]) == [
        "lambda-ir",
        "hunt",
        "--case",
        str(case.root),
        "--undo",
        undo,
        "--apply",
    ]
