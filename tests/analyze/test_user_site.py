"""Python's user site: the folder PYTHONUSERBASE names, and what runs from it at start-up."""

from __future__ import annotations

import pytest

from lambda_ir.analyze.user_site import runs_at_start, user_site

SITE = "python/lib/python3.12/site-packages"


def test_the_user_site_of_a_base_on_a_python_runtime() -> None:
    assert user_site("/opt/python", "python3.12") == "/opt/python/lib/python3.12/site-packages"
    assert user_site("/opt/", "python3.13") == "/opt/lib/python3.13/site-packages"
    # a relative base is read against the working folder, /var/task
    assert user_site("vendor", "python3.12") == "/var/task/vendor/lib/python3.12/site-packages"
    assert user_site("/opt/python", "nodejs20.x") == ""
    assert user_site(" ", "python3.12") == ""


@pytest.mark.parametrize(
    ("name", "runs"),
    [
        ("z.pth", True),
        ("usercustomize.py", True),
        ("usercustomize.pyc", True),
        ("usercustomize/__init__.py", True),
        ("usercustomize.cpython-312-x86_64-linux-gnu.so", True),
        ("pkg/z.pth", False),  # a .pth file is read at the site's top only
        ("usercustomize/helper.py", False),
        ("usercustomize-1.0.dist-info/METADATA", False),
        ("requests/__init__.py", False),
    ],
)
def test_what_runs_from_a_user_site_at_start_up(name: str, runs: bool) -> None:
    assert runs_at_start(f"{SITE}/{name}", SITE) is runs
    assert not runs_at_start(f"python/{name}", SITE)
