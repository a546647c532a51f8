"""`Emulator.reset()` and moto's own `/moto-api/reset` wipe moto and our state.

Run in a child process: moto's state is process-wide, and a reset here would wipe what other
tests in this process seeded."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import io, urllib.request, zipfile
from lambda_ir.emulator.client import session_for
from lambda_ir.emulator.testing import running_emulator

buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as archive:
    archive.writestr("app.py", "x")
with running_emulator() as aws:
    session = session_for(aws, "testing", "testing")
    role = session.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    lam = session.client("lambda")
    lam.create_function(FunctionName="f", Runtime="python3.12", Role=role["Role"]["Arn"],
                        Handler="app.h", Code={"ZipFile": buffer.getvalue()})
    lam.add_permission(FunctionName="f", StatementId="s", Action="lambda:InvokeFunction",
                       Principal="*")
    assert len(aws.records()) == 3
    aws.reset()
    assert aws.records() == []
    assert lam.list_functions()["Functions"] == []
    assert [u["UserName"] for u in session.client("iam").list_users()["Users"]] == [
        "emulator-admin"
    ]
    role = session.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    lam.create_function(FunctionName="f", Runtime="python3.12", Role=role["Role"]["Arn"],
                        Handler="app.h", Code={"ZipFile": buffer.getvalue()})
    lam.add_permission(FunctionName="f", StatementId="s", Action="lambda:InvokeFunction",
                       Principal="*")
    urllib.request.urlopen(urllib.request.Request(aws.endpoint_url + "/moto-api/reset",
                                                  method="POST"))
    assert aws.records() == []
    role = session.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    lam.create_function(FunctionName="f", Runtime="python3.12", Role=role["Role"]["Arn"],
                        Handler="app.h", Code={"ZipFile": buffer.getvalue()})
    try:
        lam.get_policy(FunctionName="f")
    except lam.exceptions.ResourceNotFoundException:
        print("reset ok")
"""


def test_reset_wipes_functions_policies_and_history() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "reset ok"
