"""`store.stage` with `behind` (derived outputs): a second thread hashes and writes each chunk
while the next is made; the bytes, hash and size are the ones written in line, and a failure
on either side leaves no temp file."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambda_ir.evidence import store
from lambda_ir.evidence.layout import TMP_DIR


def _chunks(count: int) -> Iterator[bytes]:
    for n in range(count):
        yield f"chunk {n}\n".encode() * (1 + n % 7)


@pytest.mark.parametrize("behind", [False, True])
def test_the_same_bytes_hash_and_size(tmp_path: Path, behind: bool) -> None:
    staged = store.stage(tmp_path, _chunks(500), behind=behind)
    whole = b"".join(_chunks(500))
    assert staged.temp.read_bytes() == whole  # in order
    assert staged.sha256 == hashlib.sha256(whole).hexdigest()
    assert staged.size == len(whole)


def test_a_failing_source_leaves_no_temp_file(tmp_path: Path) -> None:
    def failing() -> Iterator[bytes]:
        yield from _chunks(50)
        raise RuntimeError("the findings could not be serialised")

    with pytest.raises(RuntimeError, match="serialised"):
        store.stage(tmp_path, failing(), behind=True)
    assert list((tmp_path / TMP_DIR).iterdir()) == []


def test_a_failing_write_stops_the_stream(tmp_path: Path) -> None:
    made = []

    def source() -> Iterator[bytes]:
        for n, chunk in enumerate(_chunks(100)):
            made.append(n)
            yield chunk if n != 10 else "not bytes"  # a str: hashing it fails in the writer

    with pytest.raises(TypeError):
        store.stage(tmp_path, source(), behind=True)
    assert len(made) < 100  # the writer's error ended the stream, not its end
    assert list((tmp_path / TMP_DIR).iterdir()) == []


def test_a_limit_holds_behind_too(tmp_path: Path) -> None:
    with pytest.raises(store.OversizeError):
        store.stage(tmp_path, _chunks(100), max_bytes=1000, behind=True)
    assert list((tmp_path / TMP_DIR).iterdir()) == []


def test_a_failing_last_write_is_raised(tmp_path: Path) -> None:
    def source() -> Iterator[bytes]:
        yield from _chunks(5)
        yield "not bytes"  # type: ignore[misc]  # the last: no next chunk waits on its write

    with pytest.raises(TypeError):
        store.stage(tmp_path, source(), behind=True)
    assert list((tmp_path / TMP_DIR).iterdir()) == []
