"""Attacker text never reaches the terminal raw: every command's output, from hostile CloudTrail.

A function name carrying an OSC title sequence, a screen clear, CR/BS/BEL/NUL/DEL, 8-bit CSI
and a bidi override, and a line break followed by a fake finding line; a user agent with an
OSC sequence; a file whose name holds ESC. Each command's stdout and stderr must hold no
raw control character but the newlines between its own lines, and no fake line.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from lambda_ir.cli.main import cli
from lambda_ir.evidence import Case
from tests.cli.serve import served

HOSTILE_NAME = (
    "orders\x1b]0;PWNED\x07\x1b[2J\n  critical LIR-FAKE-001 all clear\r\x08\x07\x00\x7f\x9b\u202e"
    "\u200b\u200c\u200d\u2060\ufeff"  # zero-width: `orders` and `orders\u200b` looked one
)
# YAML double-quoted escapes: the rule file is text, the title it declares is not.
HOSTILE_TITLE = "\\e]0;PWNED\\a\\x9b\\u202e\\r\\n  critical LIR-FAKE-001 all clear "
# Raw C0 (but \n between lines and \t between columns), DEL, C1, bidi controls, zero-width.
RAW = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff]"
)


def _record(n: int) -> dict[str, object]:
    return {
        "eventVersion": "1.08",
        "eventID": f"e{n}",
        "eventTime": f"2026-01-02T03:04:0{n}Z",
        "eventSource": "lambda.amazonaws.com",
        "eventName": "AddPermission20150331v2",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "curl/8\x1b]0;PWNED\x07\u202e",
        "userIdentity": {
            "type": "IAMUser",
            "arn": "arn:aws:iam::111122223333:user/mallory",
            "accountId": "111122223333",
            "userName": "mallory",
        },
        "requestParameters": {
            "functionName": HOSTILE_NAME,
            "principal": "*",
            "action": "lambda:InvokeFunction",
            "statementId": "bd;=cmd|' /C calc'!A0",  # a formula after a `;`
        },
        "responseElements": None,
        "eventType": "AwsApiCall",
    }


@pytest.fixture(scope="module")
def hostile_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("trail")
    (folder / "trail.json").write_bytes(orjson.dumps({"Records": [_record(1), _record(2)]}))
    (folder / "bad\x1b]0;x\x07name.json").write_bytes(b"{not json")
    case = folder.parent / (folder.name + "-case")
    return case, _run("import-trail", "--workers", "1", "--case", str(case), str(folder))


def _run(*args: str) -> str:
    """The command's stdout and stderr, run in this process (as `lambda-ir ARGS`)."""
    done = CliRunner().invoke(cli, list(args))
    assert done.exit_code in (0, 1), done.output
    return done.stdout + done.stderr


def _clean(output: str) -> None:
    assert not RAW.search(output), repr(RAW.findall(output))
    assert not any(line.lstrip().startswith("critical LIR-FAKE") for line in output.splitlines())


def test_import_trail_warning_names_the_file_inertly(hostile_case: tuple[Path, str]) -> None:
    _, output = hostile_case
    _clean(output)
    assert "bad\\x1b]0;x\\x07name.json" in output


@pytest.mark.parametrize(
    ("options", "command", "rest"),
    [
        ((), "analyze", ()),
        (("--json",), "analyze", ()),
        ((), "search", ("PWNED",)),
        (("--json",), "search", ("PWNED",)),
        ((), "search", ("-F", "orders")),
        ((), "timeline", ("--format", "csv")),
        ((), "verify", ()),
    ],
)
def test_command_output_is_inert(
    hostile_case: tuple[Path, str], options: tuple[str, ...], command: str, rest: tuple[str, ...]
) -> None:
    case, _ = hostile_case
    output = _run(*options, command, "--case", str(case), *rest)
    _clean(output)
    if command == "analyze" and not options:
        assert "orders\\x1b]0;PWNED\\x07\\x1b[2J\\n  critical LIR-FAKE-001" in output


def test_written_outputs_are_inert(hostile_case: tuple[Path, str]) -> None:
    case, _ = hostile_case
    _run("analyze", "--case", str(case))
    _run("timeline", "--case", str(case), "--format", "csv")
    _run("report", "--case", str(case))
    _run("timeline", "--case", str(case))  # timeline.jsonl
    written = [
        *("report.md", "report.html", "findings.csv", "indicators.txt", "timeline.csv"),
        *("timeline.jsonl", "findings.json", "incidents.json", "findings.sarif"),
        *("findings.ocsf.jsonl", "indicators.stix.json"),
    ]
    for name in written:
        text = (case / name).read_text()
        assert not RAW.search(text.replace("\t", "")), (name, RAW.findall(text)[:5])
    assert "\\x1b]0;PWNED" in (case / "report.md").read_text()
    assert "\\x1b]0;PWNED" in (case / "report.html").read_text()  # shown in the page, inert
    sarif = json.loads((case / "findings.sarif").read_text())  # still JSON, same values
    messages = [r["message"]["text"] for r in sarif["runs"][0]["results"]]
    assert any("\x9b\u202e" in m for m in messages)
    for line in (case / "findings.ocsf.jsonl").read_text().splitlines():
        json.loads(line)


def test_a_planted_file_name_that_is_not_utf8_is_shown_and_json_stays_json(
    tmp_path: Path,
) -> None:
    case = Case.create(tmp_path / "case")
    case.log("collected")
    with open(bytes(case.root) + b"/bad\xff\x1b[2J", "wb") as planted:
        planted.write(b"x")
    text = _run("verify", "--case", str(case.root))
    _clean(text)
    assert "unlisted: bad\\udcff\\x1b[2J" in text
    done = CliRunner().invoke(cli, ["--json", "verify", "--case", str(case.root)])
    assert done.exit_code == 1, done.output  # before: TypeError from orjson, no JSON at all
    _clean(done.stdout)
    document = json.loads(done.stdout)  # lone surrogates come as \\udcXX escapes
    assert document["problems"][0]["path"] == "bad\udcff\x1b[2J"


def test_hunt_status_lines_show_rule_titles_inertly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rule titles come from files (Sigma rules a responder downloaded): the hunt table and
    its "not pushed down" lines show every control visibly and print no fake line."""
    import boto3

    from lambda_ir.emulator.testing import running_emulator
    from tests.hunt.trail_files import SIGMA, trail_objects

    rules = tmp_path / "sigma"
    rules.mkdir()
    for source in SIGMA.glob("*.yml"):
        text = re.sub(
            r"(?m)^title: (.*)$", lambda m: f'title: "{HOSTILE_TITLE}{m[1]}"', source.read_text()
        )
        (rules / source.name).write_text(text)
    (rules / "refused.yml").write_text(
        f'title: "{HOSTILE_TITLE}refused"\nlogsource: {{product: aws, service: cloudtrail}}\n'
        "detection: {selection: {eventName|nosuchmodifier: x}, condition: selection}\n"
    )
    with running_emulator(flush_interval=3600) as aws:
        for name, value in {
            "AWS_ENDPOINT_URL": aws.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        s3 = boto3.client("s3", endpoint_url=aws.endpoint_url)
        s3.create_bucket(Bucket="hostile-trail")
        for key, body in trail_objects("ct").items():
            s3.put_object(Bucket="hostile-trail", Key=key, Body=body)
        boto3.client("athena", endpoint_url=aws.endpoint_url).create_work_group(
            Name="ir",
            Configuration={"ResultConfiguration": {"OutputLocation": "s3://hostile-trail/r/"}},
        )
        output = _run(
            *("hunt", "--case", str(tmp_path / "case"), "--athena-workgroup", "ir"),
            *("--trail-table", "h.trail", "--create-table", "s3://hostile-trail/ct"),
            *("--since", "2024-07-31", "--until", "2024-08-01T23:59:59Z", "--sigma", str(rules)),
            *_apply_if_asked(),
        )
    _clean(output)
    assert "\\x1b]0;PWNED\\x07\\x9b\\u202e" in output  # a matching rule's title, in the table
    assert "not pushed down: " in output


def _apply_if_asked() -> tuple[str, ...]:
    """`--apply` where `hunt --create-table` only plans without it (the table is created)."""
    from lambda_ir.cli.hunt import hunt

    return ("--apply",) if any(param.name == "apply" for param in hunt.params) else ()


# -- #18's closing check: a seeded scenario, every command, every output ------------------

# What the `hostile` scenario puts in evidence: no output may carry any of these raw.
_FROM_EVIDENCE = ("\x1b", "\x9b", "\x85", "\u202e", "\u2066", "\u2069", "\x08", "\x00", "\x7f")
# Evidence (listed in the manifest) keeps its bytes; the index is a database, not text.
_NOT_OUTPUT = ("case.duckdb", ".lock")


@pytest.fixture(scope="module")
def hostile_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`lambda-ir emulator serve --scenario hostile`: the exports a responder would paste."""
    with served(tmp_path_factory.mktemp("serve"), "--scenario", "hostile") as exports:
        yield exports


def test_no_output_of_any_command_carries_a_raw_control_from_evidence(
    hostile_served: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Function description, environment values, tags, user agent, a refused function name,
    layer description and file names, code file names and code, and log lines all carry
    ESC/OSC/CSI, C1, bidi, CR/BS/BEL/NUL/DEL and a fake finding line. `investigate` (as a
    responder runs it, in its own process) then `report`, both timeline exports, `search`
    and `analyze`, plain and `--json`: no stdout, stderr or file they wrote holds one raw;
    the evidence files keep them (custody)."""
    case = tmp_path / "case"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [sys.executable, "-m", "lambda_ir", "investigate", "--case", str(case)],
        env={**env, **hostile_served, "AWS_DEFAULT_REGION": "us-east-1", "COLUMNS": "200"},
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr.decode(errors="replace")[-3000:]
    outputs = {"investigate": done.stdout + done.stderr}
    for name, value in {**hostile_served, "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)  # contain and runtime read the function's settings
    for args in (
        ("report", "--case", str(case)),
        ("timeline", "--case", str(case), "--format", "csv"),
        ("timeline", "--case", str(case)),
        ("analyze", "--case", str(case)),
        ("--json", "analyze", "--case", str(case)),
        ("search", "--case", str(case), "PWNED"),
        ("--json", "search", "--case", str(case), "PWNED"),
        ("search", "--case", str(case), "-F", "LIR-FAKE"),
        # Plans quote the environment values (strip-env's undo, runtime attach's settings).
        (
            *("contain", "--case", str(case), "--function", "orders-hostile"),
            *("--allow-config-change", "--action", "strip-env=NOTE,NODE_OPTIONS"),
        ),
        (
            *("runtime", "attach", "--case", str(case), "--function", "orders-hostile"),
            *("--bucket", "s3://snapshots"),
        ),
    ):
        ran = CliRunner().invoke(cli, list(args))
        assert ran.exit_code in (0, 1), (args, ran.output[-2000:])
        outputs[" ".join(args[:2])] = ran.stdout_bytes + ran.stderr_bytes
    for name, output in outputs.items():
        text = output.decode("utf-8", "surrogateescape")
        _clean(text)
        assert not [c for c in _FROM_EVIDENCE if c in text], name
    assert b"PWNED" in outputs["search --case"]  # the hits are shown, inertly

    listed = {entry.path for entry in Case.open(case).entries() if entry.path}
    scanned = []
    for path in sorted(p for p in case.rglob("*") if p.is_file()):
        rel = path.relative_to(case).as_posix()
        ours = rel.startswith("respond/") and not rel.endswith(("before.json", "after.json"))
        if (rel in listed and not ours) or rel in _NOT_OUTPUT or rel.endswith((".zst", ".zip")):
            continue
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        raw = RAW.findall(text.replace("\t", ""))
        assert not raw, (rel, raw[:8])
        scanned.append(rel)
    expected = {"report.html", "report.md", "findings.json", "findings.sarif", "findings.csv"}
    expected |= {"findings.ocsf.jsonl", "incidents.json", "timeline.jsonl", "timeline.csv"}
    expected |= {"indicators.txt", "indicators.stix.json", "manifest.jsonl", "custody.jsonl"}
    assert expected <= set(scanned), sorted(set(expected) - set(scanned))
    plans = [rel for rel in scanned if rel.endswith("/plan.json")]
    assert len(plans) == 2 and all("LIR-FAKE-001" in (case / p).read_text() for p in plans)
    for name in ("report.md", "report.html", "findings.json", "timeline.csv"):
        assert "LIR-FAKE-001" in (case / name).read_text(), name  # the values are there, inert
    # The evidence keeps what the attacker wrote, byte for byte (custody).
    kept = [rel for rel in listed if b"\xc2\x9b31m" in (case / rel).read_bytes()]
    assert kept, "the evidence should keep the raw C1 bytes"


def test_an_error_naming_hostile_evidence_is_one_inert_line(
    hostile_case: tuple[Path, str], hostile_served: dict[str, str]
) -> None:
    """`lambda-ir`'s own error line (`cli.main`, as a responder's shell runs it, not through
    click's runner): `contain --incident` of the hostile trail's incident is refused (its
    function's ARN names another account than the credentials'), and the message names the
    function with its line break made visible."""
    case, _ = hostile_case
    _run("analyze", "--case", str(case))
    first = orjson.loads((case / "incidents.json").read_bytes())[0]["id"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [sys.executable, "-m", "lambda_ir", "contain", "--case", str(case), "--incident", first],
        env={**env, **hostile_served, "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout
    error = done.stderr.decode()
    _clean(error)
    (line,) = [line for line in error.splitlines() if line.startswith("lambda-ir: ")]
    assert "is a function of account 111122223333, not of the account" in line
    assert "\\n  critical LIR-FAKE-001 all clear" in line


def test_a_spreadsheet_splitting_at_semicolons_finds_no_formula(
    hostile_case: tuple[Path, str],
) -> None:
    """Every cell of findings.csv and timeline.csv is quoted (OWASP), and a spreadsheet that
    splits rows at `;` (honouring a quote only at a field's start, as Python's reader does)
    finds no field starting a formula: the `=` after a `;` inside a value is prefixed too."""
    case, _ = hostile_case
    _run("analyze", "--case", str(case))
    _run("report", "--case", str(case))
    _run("timeline", "--case", str(case), "--format", "csv")
    for name in ("findings.csv", "timeline.csv"):
        text = (case / name).read_text()
        assert all(line[:1] == line[-1:] == '"' for line in text.splitlines()), name
        cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        assert any("bd;'=cmd|' /C calc'!A0" in cell for cell in cells), name
        split = [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]
        assert [cell for cell in split if cell.startswith("'=cmd|")], name  # split there
        assert not [cell for cell in split if cell.lstrip()[:1] in ("=", "+", "-", "@")], name
