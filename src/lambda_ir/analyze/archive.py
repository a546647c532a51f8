"""Reading code and layer zips in memory, bounded, never extracting or running anything.

Packages are attacker-controlled: member names may climb out (`../`), claim huge sizes, or
compress a gigabyte of zeros into a kilobyte. We read members into memory only, skip
symlinks and directories, and stop at per-member, total, count and ratio limits, reporting
what was skipped instead of failing the whole package.
"""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    """Bounds for one package."""

    max_package: int = 512 * 1024 * 1024  # bytes of the zip itself
    max_member: int = 256 * 1024 * 1024  # uncompressed bytes of one file
    max_total: int = 1024 * 1024 * 1024  # uncompressed bytes of all files
    max_members: int = 50_000
    max_ratio: int = 200  # uncompressed / compressed, per member


@dataclass(frozen=True)
class Member:
    """One regular file inside a package, read into memory."""

    name: str
    data: bytes
    mode: int


@dataclass
class ReadReport:
    """What a bounded read skipped, and why (shown to the responder, never silent)."""

    skipped: list[str] = field(default_factory=list)


def _is_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def read_members(
    package: bytes, limits: Limits | None = None, report: ReadReport | None = None
) -> Iterator[Member]:
    """Yield regular files of a zip within limits; skipped members are listed in `report`."""
    limits = limits or Limits()
    report = report if report is not None else ReadReport()
    try:
        archive = zipfile.ZipFile(io.BytesIO(package))
    except zipfile.BadZipFile as exc:
        report.skipped.append(f"not a zip: {exc}")
        return
    total = 0
    with archive:
        for index, info in enumerate(archive.infolist()):
            if index >= limits.max_members:
                report.skipped.append(f"more than {limits.max_members} members; rest not read")
                return
            if info.is_dir() or _is_link(info):
                continue
            reason = _refuse(info, limits, total)
            if reason:
                report.skipped.append(f"{info.filename}: {reason}")
                continue
            try:
                data = _read_bounded(archive, info, limits.max_member)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
                report.skipped.append(f"{info.filename}: unreadable ({exc})")
                continue
            total += len(data)
            yield Member(info.filename, data, info.external_attr >> 16)


def _refuse(info: zipfile.ZipInfo, limits: Limits, total: int) -> str:
    if info.file_size > limits.max_member:
        return f"{info.file_size} bytes exceeds the per-file limit"
    if total + info.file_size > limits.max_total:
        return "total uncompressed size limit reached"
    if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
        return f"compression ratio above {limits.max_ratio} (zip bomb?)"
    return ""


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    # The header's size can lie; read at most limit+1 bytes and refuse when exceeded.
    with archive.open(info) as src:
        data = src.read(limit + 1)
    if len(data) > limit:
        raise ValueError("larger than its header says")
    return data


def member_names(package: bytes) -> list[str]:
    """The names listed in a zip (no content read), or [] when it is not a zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            return archive.namelist()
    except zipfile.BadZipFile:
        return []
