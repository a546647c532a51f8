"""Incidents without `estate`, in a fresh emulator in a child process (moto's state is per
process): `denonia` seeds its own small estate and `backdoors` builds on that one."""

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
    incident, later = seed(emulator, ["denonia", "backdoors"])
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
        "same_base": later.base is incident.base,
        "later": len(later.techniques),
    }))
"""


@pytest.mark.slow
def test_incidents_alone_share_the_small_estate_the_first_one_seeds() -> None:
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
    assert len(seen["functions"]) == 10 and "image-resizer" in seen["functions"]
    assert seen["same_base"] is True and seen["later"] >= 8
    assert seen["bad"] == ["image-resizer", "4"] and seen["clean"] == "3"
    assert seen["runtime"] == "provided.al2023"
    assert seen["attacker"] == ["ci-deployer"]
    assert seen["techniques"][:2] == ["denonia.recon", "denonia.update-code"]
