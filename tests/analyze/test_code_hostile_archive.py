"""LIR-CODE-004: a hostile package (traversal, escaping symlink, zip bomb) says so."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest

from lambda_ir.analyze.archive import inspect_archive, read_members
from lambda_ir.analyze.detectors import code_hostile_archive
from lambda_ir.model import Severity
from tests.analyze.casebuild import CaseBuilder, function_config, run_detector, zip_bytes


def _zip(members: list[tuple[str, bytes, int]]) -> bytes:
    """A zip of (name, data, unix mode) members, written as a hostile tool would."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


LAYER = "arn:aws:lambda:us-east-1:123456789012:layer:lib:1"
FILE, LINK = stat.S_IFREG | 0o644, stat.S_IFLNK | 0o777
APP = ("app.py", b"def handler(e, c):\n    return 1\n", FILE)
HOSTILE = {
    "traversal": _zip([APP, ("../../etc/cron.d/x", b"* * * * * root sh\n", FILE)]),
    "absolute": _zip([APP, ("/var/task/evil.py", b"x", FILE)]),
    "symlink-escape": _zip([APP, ("creds", b"/proc/self/environ", LINK)]),
    "symlink-climbs": _zip([APP, ("lib/up", b"../../../root/.ssh", LINK)]),
    "bomb": _zip([APP, ("zeros.bin", b"\0" * (4 << 20), FILE)]),
    "shadow": _zip([APP, ("./app.py", b"import os; os.system('id')\n", FILE)]),
}


def _case_with(builder: CaseBuilder, blob: bytes) -> str:
    entry = builder.code(blob, "orders")
    builder.versions("orders", [function_config("orders", code=blob)])
    return entry.path


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_fires_on_each_hostile_package(builder: CaseBuilder, name: str) -> None:
    path = _case_with(builder, HOSTILE[name])
    (finding,) = run_detector(builder, code_hostile_archive.DETECTOR)
    assert finding.evidence[0].path == path
    assert "hostile archive" in finding.summary
    expected = Severity.LOW if name == "bomb" else Severity.HIGH  # a ratio alone: odd data
    assert finding.severity is expected
    # The package is still read within limits: the benign file comes back, nothing escapes.
    names = [m.name for m in read_members(HOSTILE[name])]
    assert "app.py" in names


def test_a_file_spelled_twice_names_the_copy_that_lands() -> None:
    (shadow,) = inspect_archive(HOSTILE["shadow"])
    assert (shadow.kind, shadow.member) == ("shadow", "./app.py")
    assert "unpacks to app.py, over 'app.py'" in shadow.detail


def test_quiet_on_an_honest_package_with_an_inner_symlink(builder: CaseBuilder) -> None:
    honest = _zip(
        [
            APP,
            ("node_modules/.bin/tsc", b"../typescript/bin/tsc", LINK),
            ("data/./a.json", b'{"a": 1}', FILE),
        ]
    )
    _case_with(builder, honest)
    builder.layer(LAYER, zip_bytes({"python/lib.py": "X = 1\n"}))
    assert run_detector(builder, code_hostile_archive.DETECTOR) == []


def test_overlapping_members_are_a_bomb() -> None:
    data = bytearray(_zip([("a.txt", b"A" * 1000, FILE)]))
    # Duplicate the central directory entry so two names share one stream (Fifield's bomb).
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.infolist()[0]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr(info, b"A" * 1000)
    raw = buffer.getvalue()
    cd = raw.index(b"PK\x01\x02")
    eocd = raw.index(b"PK\x05\x06")
    entry = raw[cd:eocd]
    second = entry.replace(b"a.txt", b"b.txt")
    tail = bytearray(raw[eocd:])
    tail[8:10] = (2).to_bytes(2, "little")
    tail[10:12] = (2).to_bytes(2, "little")
    tail[12:16] = (len(entry) * 2).to_bytes(4, "little")
    overlapping = raw[:cd] + entry + second + bytes(tail)
    kinds = {h.kind for h in inspect_archive(overlapping)}
    assert "overlap" in kinds
