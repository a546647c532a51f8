"""`denonia` on its own, in a fresh emulator in a child process (moto's state is per process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, logging
logging.getLogger("werkzeug").setLevel(logging.ERROR)
from lambda_ir.emulator.client import session_for
from lambda_ir.emulator.scenarios import seed
from lambda_ir.emulator.testing import running_emulator

with running_emulator(flush_interval=3600) as emulator:
    (incident,) = seed(emulator, ["denonia"])
    lam = session_for(emulator, "testing", "testing").client("lambda")
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    bad = incident.compromised[0]
    config = lam.get_function_configuration(FunctionName=bad.name)
    attacker = [
        r for r in emulator.records()
        if r["sourceIPAddress"] == incident.attacker.source_ip
        and r["eventName"] == "UpdateFunctionCode20150331v2"
    ]
    print(json.dumps({
        "functions": names,
        "bad": [bad.name, bad.qualifier],
        "clean": incident.clean_versions[0].qualifier,
        "runtime": config["Runtime"],
        "attacker": [r["userIdentity"]["userName"] for r in attacker],
        "techniques": [t.id for t in incident.techniques],
    }))
"""


@pytest.mark.slow
def test_denonia_alone_seeds_its_own_one_function_estate() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["functions"] == ["image-resizer"]
    assert seen["bad"] == ["image-resizer", "4"] and seen["clean"] == "3"
    assert seen["runtime"] == "provided.al2023"
    assert seen["attacker"] == ["ci-deployer"]
    assert seen["techniques"][:2] == ["denonia.recon", "denonia.update-code"]
