"""Shapes of JavaScript that reach `process.env`, `require` or an SDK class without writing
its name plainly (`javascript_names`): each read as the plain shape is. The reader parses the
code with tree-sitter and never runs it."""

from __future__ import annotations

import pytest

from lambda_ir.capabilities.javascript import scan_javascript

Row = tuple[str, str, int]
V2 = 'const AWS = require("aws-sdk");\n'
CP = 'const cp = require("child_process");\n'

# Each shape, and a row the reader gives for it (at line 1, or 2 after the V2/CP line).
SHAPES: dict[str, tuple[str, Row]] = {
    # Optional chaining: `?.` reads as `.`.
    "process?.env?.X": (
        "const k = process?.env?.AWS_SECRET_ACCESS_KEY;",
        ("credentials", "AWS_SECRET_ACCESS_KEY", 1),
    ),
    "process?.env.X": (
        "const k = process?.env.AWS_ACCESS_KEY_ID;",
        ("credentials", "AWS_ACCESS_KEY_ID", 1),
    ),
    "process.env?.X": (
        "const k = process.env?.AWS_ACCESS_KEY_ID;",
        ("credentials", "AWS_ACCESS_KEY_ID", 1),
    ),
    'process?.["env"].X': (
        'const k = process?.["env"].AWS_ACCESS_KEY_ID;',
        ("credentials", "AWS_ACCESS_KEY_ID", 1),
    ),
    "f(process?.env)": (
        "post(process?.env);",
        ("credentials", "the whole environment (process.env)", 1),
    ),
    'require("child_process")?.exec()': (
        'require("child_process")?.exec("id");',
        ("exec", "child_process.exec", 1),
    ),
    'require("child_process")?.["exec"]()': (
        'require("child_process")?.["exec"]("id");',
        ("exec", "child_process.exec", 1),
    ),
    "new AWS?.IAM()": (
        V2 + "const iam = new AWS?.IAM();\niam.createUser({});",
        ("aws-call", "iam:CreateUser", 3),
    ),
    # Parentheses and the comma operator: `(x)` and `(0, x)` are `x`.
    "(process.env).X": (
        "const k = (process.env).AWS_SECRET_ACCESS_KEY;",
        ("credentials", "AWS_SECRET_ACCESS_KEY", 1),
    ),
    "(0, process.env).X": (
        "const k = (0, process.env).AWS_SESSION_TOKEN;",
        ("credentials", "AWS_SESSION_TOKEN", 1),
    ),
    "(process).env.X": (
        "const k = (process).env.AWS_SECRET_ACCESS_KEY;",
        ("credentials", "AWS_SECRET_ACCESS_KEY", 1),
    ),
    "f((0, process.env))": (
        "post((0, process.env));",
        ("credentials", "the whole environment (process.env)", 1),
    ),
    '(require("child_process")).exec()': (
        '(require("child_process")).exec("id");',
        ("exec", "child_process.exec", 1),
    ),
    # What esbuild and Babel write for every imported function they call.
    "(0, cp.spawn)()": (
        CP + '(0, cp.spawn)("sh", ["-c", cmd]);',
        ("exec", "child_process.spawn", 2),
    ),
    "(iam).createUser()": (
        V2 + "const iam = new AWS.IAM();\n(iam).createUser({});",
        ("aws-call", "iam:CreateUser", 3),
    ),
    # `new` of a parenthesised class.
    'new (require("aws-sdk").IAM)()': (
        'const iam = new (require("aws-sdk").IAM)();\niam.createUser({});',
        ("aws-call", "iam:CreateUser", 2),
    ),
    'new (require("aws-sdk")).IAM()': (
        'const iam = new (require("aws-sdk")).IAM();\niam.createUser({});',
        ("aws-call", "iam:CreateUser", 2),
    ),
    "new (AWS.IAM)()": (
        V2 + "const iam = new (AWS.IAM)();\niam.createUser({});",
        ("aws-call", "iam:CreateUser", 3),
    ),
    # A client called where it is made, not through a name.
    "new AWS.IAM().createUser()": (
        V2 + "new AWS.IAM().createUser({});",
        ("aws-call", "iam:CreateUser", 2),
    ),
    "new (AWS.IAM)().createUser()": (
        V2 + "(0, new (AWS.IAM)()).createUser({});",
        ("aws-call", "iam:CreateUser", 2),
    ),
    # The global object, and the other ways to call require.
    "globalThis.process.env.X": (
        "const k = globalThis.process.env.AWS_SECRET_ACCESS_KEY;",
        ("credentials", "AWS_SECRET_ACCESS_KEY", 1),
    ),
    "f(global.process.env)": (
        "post(global.process.env);",
        ("credentials", "the whole environment (process.env)", 1),
    ),
    "globalThis.eval()": ("globalThis.eval(code);", ("dynamic-code", "eval(…)", 1)),
    "(0, eval)()": ("(0, eval)(code);", ("dynamic-code", "eval(…)", 1)),
    'module.require("child_process")': (
        'module.require("child_process").exec("id");',
        ("exec", "child_process.exec", 1),
    ),
    'process.mainModule.require("child_process")': (
        'process.mainModule.require("child_process").execSync("id");',
        ("exec", "child_process.execSync", 1),
    ),
    "module.require(computed)": ("module.require(name);", ("dynamic-code", "require(computed)", 1)),
    # Literal keys and escapes name what they spell.
    'cp["exec"]()': (CP + 'cp["exec"]("id");', ("exec", "child_process.exec", 2)),
    'iam["createUser"]()': (
        V2 + 'const iam = new AWS.IAM();\niam["createUser"]({});',
        ("aws-call", "iam:CreateUser", 3),
    ),
    '{ "exec": run } = cp': (
        'const { "exec": run } = require("child_process");\nrun("id");',
        ("exec", "child_process.exec", 2),
    ),
    '{ ["exec"]: run } = cp': (
        'const { ["exec"]: run } = require("child_process");\nrun("id");',
        ("exec", "child_process.exec", 2),
    ),
    'import { "exec" as run }': (
        'import { "exec" as run } from "child_process";\nrun("id");',
        ("exec", "child_process.exec", 2),
    ),
    "process.\\u0065nv.X": (
        "const k = process.\\u0065nv.AWS_SECRET_ACCESS_KEY;",
        ("credentials", "AWS_SECRET_ACCESS_KEY", 1),
    ),
    'process.env["\\x41WS_SECRET_ACCESS_KEY"]': (
        'const k = process.env["\\x41WS_SECRET_ACCESS_KEY"];',
        ("credentials", "AWS_SECRET_ACCESS_KEY", 1),
    ),
    'process.env["\\101WS_SESSION_TOKEN"]': (
        'const k = process.env["\\101WS_SESSION_TOKEN"];',
        ("credentials", "AWS_SESSION_TOKEN", 1),
    ),
    'require("\\x63hild_process")': (
        'require("\\x63hild_process").exec("id");',
        ("exec", "child_process.exec", 1),
    ),
    # Destructuring, from `process.env` too, and with defaults.
    "{ X } = process.env": (
        "const { AWS_SECRET_ACCESS_KEY } = process.env;",
        ("credentials", "AWS_SECRET_ACCESS_KEY", 1),
    ),
    "{ X: t } = process?.env": (
        "const { REGION, AWS_SESSION_TOKEN: token } = process?.env;",
        ("credentials", "AWS_SESSION_TOKEN", 1),
    ),
    "({ X: k } = process.env)": (
        "let k;\n({ AWS_ACCESS_KEY_ID: k } = process.env);",
        ("credentials", "AWS_ACCESS_KEY_ID", 2),
    ),
    "{ exec: run = f } = cp": (
        'const { exec: run = null } = require("child_process");\nrun("id");',
        ("exec", "child_process.exec", 2),
    ),
    "{ execSync = f } = cp": (
        'const { execSync = null } = require("child_process");\nexecSync("id");',
        ("exec", "child_process.execSync", 2),
    ),
    # Computed keys: the row names what is known, and `[computed]` for what is not.
    '{ ["IA" + "M"]: Client } = require("aws-sdk")': (
        'const { ["IA" + "M"]: Client } = require("aws-sdk");\nnew Client().createUser({});',
        ("aws-call", "[computed]:CreateUser", 2),
    ),
    "new AWS[k]()": (
        V2 + "const client = new AWS[k]();\nclient.attachRolePolicy({});",
        ("aws-call", "[computed]:AttachRolePolicy", 3),
    ),
    "iam[operation]()": (
        V2 + "const iam = new AWS.IAM();\niam[operation]({});",
        ("aws-call", "iam:[computed]", 3),
    ),
    "{ [k]: Command } = v3 client": (
        'const { [k]: Command } = require("@aws-sdk/client-iam");\nclient.send(new Command({}));',
        ("aws-call", "iam:[computed]", 2),
    ),
    "{ [k]: run } = cp": (
        'const { [k]: run } = require("child_process");\nrun("id");',
        ("exec", "child_process.[computed]", 2),
    ),
    "cp[k]()": (CP + 'cp[k]("id");', ("exec", "child_process.[computed]", 2)),
    # The plainest aliases: `process.env` or `require` kept in a name of one's own.
    "const env = process.env; env.X": (
        "const env = process.env;\nconst k = env.AWS_SECRET_ACCESS_KEY;",
        ("credentials", "AWS_SECRET_ACCESS_KEY", 2),
    ),
    'const env = process?.["env"]; env["X"]': (
        'const env = process?.["env"];\nconst k = env["AWS_SESSION_TOKEN"];',
        ("credentials", "AWS_SESSION_TOKEN", 2),
    ),
    "const { env } = process; env.X": (
        "const { env } = process;\nconst k = env.AWS_ACCESS_KEY_ID;",
        ("credentials", "AWS_ACCESS_KEY_ID", 2),
    ),
    "const { env: e } = process; e.X": (
        "const { env: e } = process;\nconst k = e.AWS_SECRET_ACCESS_KEY;",
        ("credentials", "AWS_SECRET_ACCESS_KEY", 2),
    ),
    "const r = require; r(cp).exec()": (
        'const r = require;\nr("child_process").exec("id");',
        ("exec", "child_process.exec", 2),
    ),
    # used above the alias, in a function called later
    "function f() { env.X } const env = process.env": (
        "function f() { return env.AWS_SECRET_ACCESS_KEY; }\nconst env = process.env;",
        ("credentials", "AWS_SECRET_ACCESS_KEY", 1),
    ),
    "function f() { r(cp).exec() } const r = require": (
        'function f() { r("child_process").exec("id"); }\nconst r = require;',
        ("exec", "child_process.exec", 1),
    ),
    "const r = require; const c = r(cp); c.spawn()": (
        'const r = require;\nconst c = r("child_process");\nc.spawn("sh");',
        ("exec", "child_process.spawn", 3),
    ),
}


def _rows(source: str) -> set[Row]:
    found, error = scan_javascript(source.encode())
    assert error is None, error
    return {(c.kind.value, c.value, c.line) for c in found}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_hidden_name_is_read_as_the_plain_one(shape: str) -> None:
    source, row = SHAPES[shape]
    assert row in _rows(source)


QUIET = {
    "(process.env, 0).X": "const k = (process.env, 0).AWS_SECRET_ACCESS_KEY;",  # is `0.X`
    "x[process.env]": "const k = table[process.env];",
    "process.env[k]": "const k = process.env[name];",
    "f(process.env.X)": "post(process.env.HOME);",
    "{ REGION } = process.env": "const { REGION, ...rest } = process.env;",
    'iam["not a method"]()': V2 + 'const iam = new AWS.IAM();\niam["a b"]({});',
    "local.eval()": "sandbox.eval(code);",
    "other.require()": 'loader.require("child_process").exec("id");',
    # aliases of something else, or of an imported `process`
    "const { argv } = process; argv.X": "const { argv } = process;\nargv.AWS_SECRET_ACCESS_KEY;",
    "const env = config.env; env.X": "const env = config.env;\nenv.AWS_SECRET_ACCESS_KEY;",
    "imported process alias": (
        'import process from "./fake.js";\nconst { env } = process;\nenv.AWS_ACCESS_KEY_ID;'
    ),
}


@pytest.mark.parametrize("shape", list(QUIET))
def test_a_look_alike_is_not_read_as_one(shape: str) -> None:
    rows = _rows(QUIET[shape])
    assert not {r for r in rows if r[0] in ("credentials", "exec", "dynamic-code", "aws-call")}


def test_a_bogus_computed_name_never_reaches_a_row() -> None:
    """The text of a computed key is not a name: the old reader made a service of it
    (`["ia" + "m"]:CreateUser`)."""
    source = 'const { ["IA" + "M"]: C } = require("aws-sdk");\nnew C().listUsers({});'
    assert {r[1] for r in _rows(source)} == {"[computed]:ListUsers"}
