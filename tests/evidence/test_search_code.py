"""search --in code: one read budget for a package and every zip nested in it, and what it
left unread said (the hostile packages are built here, small, with the limits set low)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from click.testing import CliRunner

from lambda_ir.cli.main import cli
from lambda_ir.evidence import Case
from lambda_ir.evidence.search import build_query, search_all
from lambda_ir.evidence.search_code import CodeLimits, code_hits

MEMBER = 64 << 10  # each inner file inflates to 64 KiB from ~100 bytes (ratio ~600)
NEEDLE = build_query(["NEEDLE"], literal=True)


def _zip(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _bomb_of_bombs() -> bytes:
    """3 stored inner zips of 8 files each, every file ending in a line that says which."""
    inner = {
        f"lib{z}.zip": _zip(
            {f"m{m}.txt": b"x" * (MEMBER - 16) + f"\nNEEDLE {z}/{m}  \n".encode() for m in range(8)}
        )
        for z in range(3)
    }
    return _zip(inner, zipfile.ZIP_STORED)


def _case(root: Path, package: bytes) -> Case:
    case = Case.create(root)
    case.put_bytes(
        package,
        kind="layer-code",
        api="lambda:GetLayerVersionByArn",
        params={"Arn": "arn:aws:lambda:eu-west-1:111122223333:layer:x:1"},
    )
    return case


def test_nested_zips_share_one_byte_budget_and_the_rest_is_said(tmp_path: Path) -> None:
    case = _case(tmp_path / "c", _bomb_of_bombs())
    unread: dict[str, str] = {}
    hits = list(code_hits(case, NEEDLE, 1000, unread, CodeLimits(total=16 * MEMBER)))
    # The budget pays for the inner zips first, so 15 of the 24 files fit (each nested zip
    # given a budget of its own read all 24: 24 x 64 KiB from a budget of 16).
    assert len(hits) == 15
    (note,) = unread.values()
    assert note.startswith("9 file(s) not read: lib1.zip!m7.txt (package read budget exhausted")
    assert note.endswith("and 4 more")


def test_nested_zips_share_one_member_and_time_budget(tmp_path: Path) -> None:
    case = _case(tmp_path / "c", _bomb_of_bombs())
    counted: dict[str, str] = {}
    hits = list(code_hits(case, NEEDLE, 1000, counted, CodeLimits(members=5)))
    assert [h.member for h in hits] == [f"lib0.zip!m{m}.txt" for m in range(4)]
    assert list(counted.values()) == ["member limit reached; the rest not read"]
    timed: dict[str, str] = {}
    assert list(code_hits(case, NEEDLE, 1000, timed, CodeLimits(seconds=-1.0))) == []
    assert list(timed.values()) == ["time limit reached; the rest not read"]


def test_search_says_which_files_it_did_not_read(tmp_path: Path) -> None:
    # Real limits: 4 MiB of zeros deflate past the ratio of 1,000, so it is never inflated.
    package = _zip({"app.py": b"x = 'NEEDLE'\n", "pad.bin": bytes(4 << 20) + b"NEEDLE"})
    case = _case(tmp_path / "c", package)
    found = search_all(case, [NEEDLE], ["code"])
    assert [h.member for h in found.hits] == ["app.py"]
    (line,) = found.unread
    assert line.startswith("blobs/sha256/")
    assert line.endswith(": 1 file(s) not read: pad.bin (compression ratio above 1000 "
                         "(possible zip bomb); not read)")  # fmt: skip
    said = CliRunner().invoke(cli, ["search", "--case", str(case.root), "NEEDLE", "--in", "code"])
    assert said.exit_code == 0, said.output
    assert "warning not searched: blobs/sha256/" in " ".join(said.output.split())
    as_json = CliRunner().invoke(
        cli, ["--json", "search", "--case", str(case.root), "NEEDLE", "--in", "code"]
    )
    document = json.loads(as_json.stdout)
    assert document["unread"] == [line]
