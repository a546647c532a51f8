"""Reading code and layer zips in memory, bounded, never extracting or running anything.

Packages are attacker-controlled: member names may climb out (`../`), claim huge sizes, or
compress a gigabyte of zeros into a kilobyte. We read members into memory only, skip
symlinks and directories, and stop at per-member, total, count and ratio limits, reporting
what was skipped instead of failing the whole package.
"""

from __future__ import annotations

import io
import lzma
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from lambda_ir.capabilities.paths import unpacked_path

# What a damaged or hostile zip makes the standard library raise: a bad directory, names
# flagged UTF-8 that are not (UnicodeDecodeError is a ValueError), a corrupt deflate stream
# (zlib.error) or LZMA one (lzma.LZMAError, no OSError), data ending early (EOFError),
# methods it cannot read.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    lzma.LZMAError,
    ValueError,
    OSError,
    EOFError,
    zlib.error,
    NotImplementedError,
    IndexError,
    struct.error,
    RuntimeError,  # an encrypted member (no password is ever tried)
)


JAR_SEPARATOR = "!/"  # between a jar's name and a file inside it: `lib/x.jar!/com/A.class`


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
    """One regular file inside a package, read into memory. `name` is the member as the zip
    names it (what evidence cites); `path` is where it unpacks, what path rules judge."""

    name: str
    data: bytes
    mode: int

    @property
    def path(self) -> str:
        """Where this file lands when the package is unpacked (`unpacked_path`); a file
        inside a jar (`lib/x.jar!/com/A.class`) stays inside it, whatever its own name
        climbs to (`lib/x.jar!/../../app.py` is not `app.py`: nothing unpacks a jar)."""
        outer, nested, inner = self.name.partition(JAR_SEPARATOR)
        if not nested:
            return unpacked_path(self.name)
        return unpacked_path(outer) + JAR_SEPARATOR + unpacked_path(inner)

    @property
    def in_jar(self) -> bool:
        """A file inside a `.jar` of the package, not one the package unpacks."""
        return JAR_SEPARATOR in self.name


@dataclass(frozen=True)
class Link:
    """A symlink among a package's own members, never followed: `name` as the zip names it,
    `target` what it holds (at most 4 KB; "" when unreadable)."""

    name: str
    target: str

    @property
    def path(self) -> str:
        """Where the link lands when the package is unpacked (`unpacked_path`)."""
        return unpacked_path(self.name)

    @property
    def target_path(self) -> str:
        """The package path the link leads to, or "" when it leads out of the package (an
        absolute or climbing target, LIR-CODE-004's) or its target was not read."""
        joined = _join(self.path, self.target)
        return "" if not self.target or _climbs_out(joined) else unpacked_path(joined)


@dataclass
class ReadReport:
    """What a bounded read skipped, and why (shown to the responder, never silent), and the
    package's own symlinks it did not follow (`links`: what a reader of installed files must
    judge, since unzip makes them links that Python follows)."""

    skipped: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)


def _is_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def read_members(
    package: bytes,
    limits: Limits | None = None,
    report: ReadReport | None = None,
    *,
    jars: bool = False,
) -> Iterator[Member]:
    """Yield regular files of a zip within limits; skipped members are listed in `report`.
    With `jars`, each `.jar` member (what the Java runtime puts on the class path; any zip
    so named, a launcher script before it included) is given, and after the package's own
    files its files, named `lib/x.jar!/com/a/B.class`, one level deep: a class whose
    strings a rule would match is deflated inside the jar. They spend the package's limits
    (bytes and members): nesting never reads more than the package alone may."""
    yield from _members(package, limits or Limits(), report or ReadReport(), _Spent(), jars, "")


@dataclass
class _Spent:
    """What reading a package has cost so far, shared with the jars nested in it."""

    members: int = 0
    total: int = 0


def _members(
    package: bytes, limits: Limits, report: ReadReport, spent: _Spent, jars: bool, prefix: str
) -> Iterator[Member]:
    """The package's own files first, then (with `jars`) each jar's: a jar of empty entries
    spends no budget the package's own files needed."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(package))
    except _ZIP_ERRORS as exc:
        where = f"{prefix.removesuffix(JAR_SEPARATOR)}: " if prefix else ""
        report.skipped.append(f"{where}not a zip: {exc}")
        return
    found: list[zipfile.ZipInfo] = []
    with archive:
        for index, info in enumerate(archive.infolist()):
            if spent.members >= limits.max_members:
                report.skipped.append(f"more than {limits.max_members} members; rest not read")
                break
            spent.members += 1
            name = prefix + info.filename
            if not info.filename:  # a damaged directory entry (is_dir() would raise)
                report.skipped.append(f"{prefix}member {index}: no name")
                continue
            if _is_link(info) and not prefix and not info.is_dir():
                target = _link_target(archive, info)
                report.links.append(Link(name, "" if target is None else target))
            if info.is_dir() or _is_link(info):
                continue
            data = _member(archive, info, limits, report, spent, name)
            if data is None:
                continue
            yield Member(name, data, info.external_attr >> 16)
            if jars and info.filename.lower().endswith(".jar"):
                found.append(info)
        for info in found:  # read again, one at a time: never all jars held at once
            if spent.members >= limits.max_members:
                break  # said above
            name = prefix + info.filename
            try:
                data = _read_bounded(archive, info, limits.max_member)
            except _ZIP_ERRORS:
                continue  # reported when it was read first
            yield from _members(data, limits, report, spent, False, name + JAR_SEPARATOR)


def _member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    limits: Limits,
    report: ReadReport,
    spent: _Spent,
    name: str,
) -> bytes | None:
    """One member's bytes within the limits (counted as spent), or None, said in `report`."""
    reason = _refuse(info, limits, spent.total)
    if reason:
        report.skipped.append(f"{name}: {reason}")
        return None
    try:
        data = _read_bounded(archive, info, limits.max_member)
    except _ZIP_ERRORS as exc:
        report.skipped.append(f"{name}: unreadable ({exc})")
        return None
    spent.total += len(data)
    return data


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
    except _ZIP_ERRORS:
        return []


@dataclass(frozen=True)
class Hostility:
    """One way a package is built to harm whoever unpacks it (never a crash of ours)."""

    kind: str  # traversal | symlink-escape | bomb | overlap | shadow | too-many | not-a-zip
    member: str
    detail: str


# The most hostile members named per package; the rest are counted in the last entry.
MAX_NAMED_HOSTILE = 20
_LINK_TARGET_BYTES = 4096


def inspect_archive(package: bytes, limits: Limits | None = None) -> list[Hostility]:
    """What in a zip's directory is hostile: names climbing out of the folder it is unpacked
    into, symlinks pointing out of it, members declaring a bomb's ratio or size, entries
    sharing their data (the overlapping-files bomb), a file spelled twice so that one copy
    lands over the other (`app.py` and `./app.py`), more members than the limit.

    Reads the central directory and, for symlinks, at most 4 KB of their target; nothing is
    extracted or run. An archive that is not a zip at all is no finding here (`read_members`
    reports it).
    """
    limits = limits or Limits()
    try:
        archive = zipfile.ZipFile(io.BytesIO(package))
    except _ZIP_ERRORS:
        return []
    found: list[Hostility] = []
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_members:
            found.append(Hostility("too-many", "", f"{len(infos)} members"))
        declared = sum(info.file_size for info in infos)
        if declared > limits.max_total:
            found.append(Hostility("bomb", "", f"declares {declared:,} bytes uncompressed"))
        for info in infos[: limits.max_members]:
            found.extend(_member_hostility(archive, info, limits))
        found.extend(_overlaps(infos[: limits.max_members]))
        found.extend(_shadows(infos[: limits.max_members]))
    if len(found) > MAX_NAMED_HOSTILE:
        extra = len(found) - MAX_NAMED_HOSTILE
        found = [*found[:MAX_NAMED_HOSTILE], Hostility("more", "", f"{extra} more")]
    return found


def _member_hostility(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits
) -> Iterator[Hostility]:
    if _climbs_out(info.filename):
        yield Hostility("traversal", info.filename, "its name leads out of the unpacked folder")
    if _is_link(info):
        target = _link_target(archive, info)
        if target is None or _climbs_out(_join(info.filename, target)):
            shown = "unreadable" if target is None else repr(target)
            yield Hostility("symlink-escape", info.filename, f"symlink to {shown}")
    elif info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
        ratio = info.file_size // info.compress_size
        yield Hostility("bomb", info.filename, f"expands {ratio:,}x to {info.file_size:,} bytes")


def _climbs_out(name: str) -> bool:
    """True for absolute names, drive letters, backslashes or `..` above the top."""
    if name.startswith(("/", "\\")) or "\\" in name or (len(name) > 1 and name[1] == ":"):
        return True
    depth = 0
    for part in name.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def _join(member: str, target: str) -> str:
    if target.startswith("/"):
        return target
    folder = member.rsplit("/", 1)[0] + "/" if "/" in member else ""
    return folder + target


def _link_target(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str | None:
    try:
        with archive.open(info) as src:
            raw = src.read(_LINK_TARGET_BYTES + 1)
    except _ZIP_ERRORS:
        return None
    if len(raw) > _LINK_TARGET_BYTES:
        return None
    return raw.decode("utf-8", "replace")


def _overlaps(infos: list[zipfile.ZipInfo]) -> Iterator[Hostility]:
    """Members whose data lies inside another's: one compressed stream counted many times."""
    ordered = sorted(infos, key=lambda i: i.header_offset)
    end = -1
    for info in ordered:
        if info.header_offset < end:
            yield Hostility("overlap", info.filename, "its data overlaps another member's")
        end = max(end, info.header_offset + 30 + len(info.filename) + info.compress_size)


def _shadows(infos: list[zipfile.ZipInfo]) -> Iterator[Hostility]:
    """Members spelled differently that unpack to one path (`extensions/x`, `./extensions/x`):
    a listing shows two files, the disk holds the later. No build tool writes a file twice
    under two spellings (the same name twice is a sloppy append, not this)."""
    first: dict[str, str] = {}
    for info in infos:
        if not info.filename or info.filename.endswith("/"):
            continue
        path = unpacked_path(info.filename)
        earlier = first.setdefault(path, info.filename)
        if earlier != info.filename:
            yield Hostility("shadow", info.filename, f"unpacks to {path}, over {earlier!r}")
