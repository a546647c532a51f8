"""The rt_* detectors over snapshots the collector took (files) or a Lambda-shaped one."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambda_ir.analyze.detectors import (
    rt_mining_connection,
    rt_opt_modified,
    rt_process_hook,
    rt_tmp_executable,
    rt_tmp_miner_config,
    rt_unexpected_process,
)
from lambda_ir.analyze.runtime_rows import own_layer_files
from lambda_ir.model import Severity
from lambda_ir.runtime.layer import layer_files
from tests.analyze.casebuild import CaseBuilder, function_config, run_detector, zip_bytes
from tests.runtime.helpers import ELF, malicious_tmp, sha256
from tests.runtime.snapshots import (
    ACCOUNT,
    CONFIGURED,
    LAYER_ARN,
    REGION,
    infected,
    lambda_snapshot,
    process,
    store,
)


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    tmp, opt = tmp_path / "tmp", tmp_path / "opt"
    (tmp / "cache").mkdir(parents=True)
    (tmp / "cache" / "rows.json").write_text('{"rows": 3}')
    (opt / "python").mkdir(parents=True)
    (opt / "python" / "deps.py").write_text("VERSION = 1\n")
    return tmp, opt


def _collector_layer(opt: Path) -> None:
    """The collector's layer as `runtime build-layer` makes it, extracted into /opt."""
    for name, _, content in layer_files():
        (opt / name).parent.mkdir(parents=True, exist_ok=True)
        (opt / name).write_bytes(content)


# The collector's wrapper shell while its cold-start snapshot runs (then it execs the runtime).
WRAPPER_SHELL = process(
    10, "/bin/sh", "/bin/sh", "/opt/lambda-ir/wrapper", "/var/lang/bin/python3.12", "bootstrap"
)


def test_a_tmp_executable_without_a_recorded_size_says_so(
    tmp_path: Path, dirs: tuple[Path, Path]
) -> None:
    """A snapshot (written in the sandbox) whose /tmp entry gives no size: the summary says
    so, never "None bytes"."""
    tmp, opt = dirs
    malicious_tmp(tmp)
    snapshot = infected(lambda_snapshot(tmp, opt))
    for entry in snapshot["tmp"]["entries"]:
        entry.pop("size", None)
    builder = CaseBuilder(tmp_path / "case")
    store(builder, snapshot, "infected")
    (elf,) = run_detector(builder, rt_tmp_executable.DETECTOR)
    assert elf.details["size"] is None
    assert elf.summary.startswith(
        "/tmp/python in the running function orders is an ELF executable (size not recorded, "
        "sha256 "
    )


def test_a_snapshot_naming_no_function_says_so(tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    """A snapshot whose context and record name no function: each runtime finding's
    sentence says the snapshot does not name it, never "in the running function  is"."""
    tmp, opt = dirs
    malicious_tmp(tmp)
    snapshot = infected(lambda_snapshot(tmp, opt))
    snapshot["context"].pop("function_name")
    builder = CaseBuilder(tmp_path / "case")
    store(builder, snapshot, "infected", function="")
    summaries = [
        finding.summary
        for detector in (
            rt_tmp_executable,
            rt_tmp_miner_config,
            rt_unexpected_process,
            rt_mining_connection,
            rt_process_hook,
        )
        for finding in run_detector(builder, detector.DETECTOR)
    ]
    assert len(summaries) >= 5
    for summary in summaries:
        assert "function the snapshot does not name" in summary, summary
        assert "function  " not in summary and " in ," not in summary, summary


def test_quiet_on_a_clean_running_function(tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    builder = CaseBuilder(tmp_path / "case")
    config = function_config("orders", layers=[LAYER_ARN], env=CONFIGURED)
    builder.versions("orders", [config])
    builder.layer(LAYER_ARN, zip_bytes({"python/deps.py": "VERSION = 1\n"}))
    _collector_layer(dirs[1])  # the collector's own files and processes are never findings
    snapshot = lambda_snapshot(*dirs)
    snapshot["processes"].append(WRAPPER_SHELL)
    store(builder, snapshot, "clean")
    for detector in (
        rt_tmp_executable,
        rt_tmp_miner_config,
        rt_unexpected_process,
        rt_mining_connection,
        rt_opt_modified,
        rt_process_hook,
    ):
        assert run_detector(builder, detector.DETECTOR) == [], detector.INFO.id


def test_malicious_tmp_and_process_fire(tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    tmp, opt = dirs
    files = malicious_tmp(tmp)
    builder = CaseBuilder(tmp_path / "case")
    path = store(builder, infected(lambda_snapshot(tmp, opt)), "infected")
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders"

    (elf,) = run_detector(builder, rt_tmp_executable.DETECTOR)
    assert elf.severity is Severity.HIGH and elf.resource == arn
    assert elf.details["path"] == "/tmp/python" and elf.details["sha256"] == sha256(files["python"])
    assert [ref.path for ref in elf.evidence] == [path]

    (config,) = run_detector(builder, rt_tmp_miner_config.DETECTOR)
    assert config.details["path"] == "/tmp/.xmrig.json"
    assert config.details["indicator"] == "stratum+tcp://pool.minexmr.example:4444"

    processes = {
        f.details["program"]: f for f in run_detector(builder, rt_unexpected_process.DETECTOR)
    }
    assert set(processes) == {"/tmp/python (deleted)", "/usr/bin/curl"}
    assert processes["/tmp/python (deleted)"].severity is Severity.HIGH
    assert processes["/usr/bin/curl"].severity is Severity.MEDIUM

    unconfigured = {f.details["variable"] for f in run_detector(builder, rt_process_hook.DETECTOR)}
    assert unconfigured == {"AWS_LAMBDA_EXEC_WRAPPER", "LD_PRELOAD"}  # no version collected yet
    builder.versions("orders", [function_config("orders", env=CONFIGURED)])
    (hook,) = run_detector(builder, rt_process_hook.DETECTOR)
    assert hook.details == {
        "variable": "LD_PRELOAD",
        "value": "/tmp/libprocesshider.so",
        "programs": ["/tmp/python"],
    }
    assert hook.severity is Severity.HIGH and [r.path for r in hook.evidence] == [path]

    (pool,) = run_detector(builder, rt_mining_connection.DETECTOR)
    assert pool.details["remote"] == "203.0.113.9:3333"
    ioc = tmp_path / "iocs.txt"
    ioc.write_text("198.51.100.77\n")
    remotes = {
        f.details["remote"]
        for f in run_detector(builder, rt_mining_connection.DETECTOR, ioc_files=(ioc,))
    }
    assert remotes == {"203.0.113.9:3333", "198.51.100.77:443"}


def test_opt_against_the_layers_and_between_snapshots(
    tmp_path: Path, dirs: tuple[Path, Path]
) -> None:
    tmp, opt = dirs
    builder = CaseBuilder(tmp_path / "case")
    builder.versions("orders", [function_config("orders", layers=[LAYER_ARN])])
    builder.layer(LAYER_ARN, zip_bytes({"python/deps.py": "VERSION = 0\n"}))
    (opt / "python" / "extra.py").write_text("import os\n")
    store(builder, lambda_snapshot(tmp, opt), "first")
    found = {f.details["path"]: f for f in run_detector(builder, rt_opt_modified.DETECTOR)}
    assert set(found) == {"/opt/python/deps.py", "/opt/python/extra.py"}
    assert found["/opt/python/deps.py"].severity is Severity.HIGH  # a layer file, altered
    assert found["/opt/python/deps.py"].details["layer_sha256"] == [sha256(b"VERSION = 0\n")]
    assert found["/opt/python/extra.py"].severity is Severity.MEDIUM  # in no layer

    alone = CaseBuilder(tmp_path / "alone")  # no layer package: compare snapshots
    store(alone, lambda_snapshot(tmp, opt), "before")
    (opt / "python" / "deps.py").write_text("VERSION = 2\n")
    after = lambda_snapshot(tmp, opt)
    after["snapshot_id"] = "after"
    store(alone, after, "after")
    (changed,) = run_detector(alone, rt_opt_modified.DETECTOR)
    assert changed.details["path"] == "/opt/python/deps.py" and len(changed.evidence) == 2


def test_opt_matches_a_layer_member_where_it_unpacks(
    tmp_path: Path, dirs: tuple[Path, Path]
) -> None:
    """A layer zip naming `./python/deps.py` puts it at /opt/python/deps.py: the same bytes
    there are the layer's, other bytes are an altered layer file (HIGH), not one in no layer."""
    tmp, opt = dirs
    builder = CaseBuilder(tmp_path / "case")
    builder.versions("orders", [function_config("orders", layers=[LAYER_ARN])])
    layer = {"./python/deps.py": "VERSION = 1\n", ".//python/extra.py": "X = 0\n"}
    builder.layer(LAYER_ARN, zip_bytes(layer))
    (opt / "python" / "extra.py").write_text("import os\n")
    store(builder, lambda_snapshot(tmp, opt), "first")
    (altered,) = run_detector(builder, rt_opt_modified.DETECTOR)
    assert altered.details["path"] == "/opt/python/extra.py"
    assert altered.severity is Severity.HIGH


def test_a_look_alike_of_the_collector_is_judged_like_any_other(
    tmp_path: Path, dirs: tuple[Path, Path]
) -> None:
    """Only the collector's own files, at their paths with the bytes this lambda-ir builds, and
    a shell or Python running its scripts are left out: a miner a layer puts under
    /opt/lambda-ir/, an altered collect.py, or a program passing a collector script as an
    argument are findings."""
    tmp, opt = dirs
    _collector_layer(opt)
    (opt / "lambda-ir" / "xmrig").write_bytes(ELF)
    (opt / "lambda-ir" / "collect.py").write_text("import os; os.system('id')\n")
    builder = CaseBuilder(tmp_path / "case")
    builder.versions("orders", [function_config("orders", layers=[LAYER_ARN])])
    builder.layer(LAYER_ARN, zip_bytes({"python/deps.py": "VERSION = 1\n"}))
    snapshot = lambda_snapshot(tmp, opt)
    snapshot["processes"] += [
        WRAPPER_SHELL,
        process(30, "/opt/lambda-ir/xmrig", "/opt/lambda-ir/xmrig", "-o", "pool:3333"),
        process(31, "/usr/bin/curl", "curl", "/opt/lambda-ir/collect.py"),
        process(32, "/bin/sh", "sh", "-c", "/tmp/x -o pool:3333", "/opt/lambda-ir/wrapper"),
    ]
    store(builder, snapshot, "look-alike")
    files = {f.details["path"] for f in run_detector(builder, rt_opt_modified.DETECTOR)}
    assert files == {"/opt/lambda-ir/xmrig", "/opt/lambda-ir/collect.py"}
    programs = {
        f.details["program"]: f.severity
        for f in run_detector(builder, rt_unexpected_process.DETECTOR)
    }
    assert programs == {
        "/opt/lambda-ir/xmrig": Severity.HIGH,  # named like a miner
        "/usr/bin/curl": Severity.MEDIUM,
        "/bin/sh": Severity.MEDIUM,  # `sh -c <code>` with a collector script as an argument
    }


def test_a_collector_command_line_run_by_another_program_is_not_ours(
    tmp_path: Path, dirs: tuple[Path, Path]
) -> None:
    """The collector's command lines are left out only when a shell or Python of the image runs
    them: argv is any program's to set, the executable is the kernel's."""
    tmp, opt = dirs
    builder = CaseBuilder(tmp_path / "case")
    builder.versions("orders", [function_config("orders")])
    wrapper = ("sh", "/opt/lambda-ir/wrapper", "/var/lang/bin/python3.12", "bootstrap")
    collect = ("/opt/lambda-ir/collect.py", "snapshot")
    snapshot = lambda_snapshot(tmp, opt)
    snapshot["processes"] += [
        process(20, "/usr/bin/bash", *wrapper),  # Amazon Linux's /bin/sh, resolved
        process(21, "/usr/bin/python3.9", "python3", "-E", "-s", "-B", *collect),
        # not isolated as the layer runs it: PYTHONPATH or a user site could run other code
        process(22, "/usr/bin/python3.9", "python3", *collect),
        process(30, "/tmp/xmrig (deleted)", "python3", "/opt/lambda-ir/collect.py", "snapshot"),
        process(31, "/tmp/kworker (deleted)", *wrapper),
        process(32, "/usr/bin/curl", "sh", "/opt/extensions/lambda-ir"),
        process(33, "/usr/bin/perl", "python3", "-E", "/opt/lambda-ir/collect.py", "snapshot"),
    ]
    store(builder, snapshot, "spoofed")
    found = run_detector(builder, rt_unexpected_process.DETECTOR)
    assert sorted((f.details["program"], f.severity) for f in found) == [
        ("/tmp/kworker (deleted)", Severity.HIGH),
        ("/tmp/xmrig (deleted)", Severity.HIGH),
        ("/usr/bin/curl", Severity.MEDIUM),
        ("/usr/bin/perl", Severity.MEDIUM),
        ("/usr/bin/python3.9", Severity.MEDIUM),
    ]


def test_the_files_of_a_collector_another_lambda_ir_built_are_its_own_when_attached_here(
    tmp_path: Path, dirs: tuple[Path, Path]
) -> None:
    """A layer attached by another lambda-ir release (its wrapper's bytes differ from this
    build's) is ours by the files custody recorded at the attach; without that record its
    files are judged like any other."""
    tmp, opt = dirs
    _collector_layer(opt)
    older = '#!/bin/sh\n# lambda-ir runtime collector, an older release\nexec "$@"\n'
    (opt / "lambda-ir" / "wrapper").write_text(older)
    snapshot = lambda_snapshot(tmp, opt)

    def case(name: str, recorded: bool) -> CaseBuilder:
        builder = CaseBuilder(tmp_path / name)
        builder.versions("orders", [function_config("orders", layers=[LAYER_ARN])])
        builder.layer(LAYER_ARN, zip_bytes({"python/deps.py": "VERSION = 1\n"}))
        if recorded:
            files = [*own_layer_files(), f"/opt/lambda-ir/wrapper|{sha256(older.encode())}"]
            done = {"layer": f"{LAYER_ARN[:-2]}-collector:1", "code_sha256": "x", "files": files}
            builder.case.log("runtime-attach-done", done)
        store(builder, snapshot, "older")
        return builder

    assert run_detector(case("attached", True), rt_opt_modified.DETECTOR) == []
    (found,) = run_detector(case("unknown", False), rt_opt_modified.DETECTOR)
    assert found.details["path"] == "/opt/lambda-ir/wrapper"
