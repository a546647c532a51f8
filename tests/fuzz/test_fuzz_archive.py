"""Fuzzing the archive reader: hostile names, links, sizes and damaged bytes never crash it."""

from __future__ import annotations

import contextlib
import io
import stat
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambda_ir.analyze.archive import Limits, ReadReport, inspect_archive, read_members
from lambda_ir.evidence.index_code import ZIP_ERRORS
from lambda_ir.evidence.index_code import read_members as index_members

KINDS = {"traversal", "symlink-escape", "bomb", "overlap", "too-many", "more"}
LIMITS = Limits(max_member=4096, max_total=16384, max_members=20, max_ratio=50)
_NAME = st.one_of(
    st.text(min_size=1, max_size=30),
    st.sampled_from(["../x", "/etc/passwd", "a/../../b", "C:\\x", "a\\..\\b", "./a", "a//b"]),
)
_MODE = st.sampled_from([stat.S_IFREG | 0o644, stat.S_IFLNK | 0o777, stat.S_IFDIR | 0o755, 0])
_DATA = st.one_of(st.binary(max_size=300), st.integers(0, 50_000).map(lambda n: b"\0" * n))


def _zip(members: list[tuple[str, int, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, mode, data in members:
            info = zipfile.ZipInfo(name.replace("\0", "_") or "_")
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


pytestmark = pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")


@given(st.lists(st.tuples(_NAME, _MODE, _DATA), max_size=25))
def test_hostile_zips_are_read_within_limits(members: list[tuple[str, int, bytes]]) -> None:
    package = _zip(members)
    report = ReadReport()
    total = 0
    for member in read_members(package, LIMITS, report):
        assert len(member.data) <= LIMITS.max_member
        assert not stat.S_ISLNK(member.mode)
        total += len(member.data)
    assert total <= LIMITS.max_total
    for problem in inspect_archive(package, LIMITS):
        assert problem.kind in {
            "traversal",
            "symlink-escape",
            "bomb",
            "overlap",
            "shadow",
            "too-many",
            "more",
        }


@given(st.lists(st.tuples(_NAME, _MODE, _DATA), min_size=1, max_size=5), st.data())
def test_damaged_zips_never_crash(
    members: list[tuple[str, int, bytes]], data: st.DataObject
) -> None:
    package = bytearray(_zip(members))
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(package) - 1))
        package[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(package)))
    for candidate in (bytes(package), bytes(package[:cut])):
        list(read_members(candidate, LIMITS, ReadReport()))
        inspect_archive(candidate, LIMITS)
        # The index's reader: a damaged zip raises one of ZIP_ERRORS, reported per package.
        with contextlib.suppress(ZIP_ERRORS):
            list(index_members(io.BytesIO(candidate)))


@given(st.binary(max_size=500))
def test_any_bytes(data: bytes) -> None:
    assert list(read_members(b"PK\x03\x04" + data, LIMITS)) is not None
    inspect_archive(b"PK\x05\x06" + data, LIMITS)
