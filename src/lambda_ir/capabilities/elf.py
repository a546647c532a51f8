"""What an ELF file is built as, from its header and program headers (read in memory, never run).

A file's name says nothing: a static executable named `libcrypto.so.3` runs as well as one
named `worker`. What the kernel and the dynamic loader go by is the header: `e_type`
ET_EXEC is an executable; ET_DYN is a shared library unless it names an interpreter
(`PT_INTERP`: a position-independent executable) or its dynamic section flags it a PIE
(`DF_1_PIE`: a static-pie executable, as Rust's musl targets build by default). Both word
sizes and byte orders are read; a header too short or inconsistent to read is UNREADABLE,
never an exception, and the caller decides what that means.
"""

from __future__ import annotations

import struct
from enum import Enum

ET_REL, ET_EXEC, ET_DYN, ET_CORE = 1, 2, 3, 4
PT_DYNAMIC, PT_INTERP = 2, 3
DT_NULL, DT_FLAGS_1 = 0, 0x6FFFFFFB
DF_1_PIE = 0x08000000
# The most program headers Linux loads (`load_elf_phdrs`: 64 KiB of them) and dynamic entries
# read: a hostile count costs at most this.
MAX_PHDR_BYTES = 65536
MAX_DYNAMIC = 4096

# Per word size (EI_CLASS): header layout from e_type on, program header size and the
# (type, offset, file size) fields of one, a dynamic entry's layout.
_LAYOUT = {
    1: ("HHIIIIIHHH", 32, "II8xI", "iI"),
    2: ("HHIQQQIHHH", 56, "I4xQ16xQ", "qQ"),
}


class ElfKind(Enum):
    """What the header says an ELF file is."""

    EXECUTABLE = "executable"
    PIE = "position-independent executable"
    STATIC_PIE = "static-pie executable"
    LIBRARY = "shared library"
    OBJECT = "relocatable object"
    CORE = "core dump"
    UNREADABLE = "ELF file whose header cannot be read"


RUNNABLE = frozenset({ElfKind.EXECUTABLE, ElfKind.PIE, ElfKind.STATIC_PIE})


def elf_kind(data: bytes) -> ElfKind:
    """What an ELF file is built as (UNREADABLE for a truncated, unknown or hostile header)."""
    if len(data) < 16 or data[:4] != b"\x7fELF" or data[4] not in _LAYOUT or data[5] not in (1, 2):
        return ElfKind.UNREADABLE
    order = "<" if data[5] == 1 else ">"
    header, phentsize, phdr, dyn = _LAYOUT[data[4]]
    try:
        e_type, *_, phoff, _, _, _, e_phentsize, phnum = struct.unpack_from(
            order + header, data, 16
        )
    except struct.error:
        return ElfKind.UNREADABLE
    simple = {ET_EXEC: ElfKind.EXECUTABLE, ET_REL: ElfKind.OBJECT, ET_CORE: ElfKind.CORE}
    if e_type != ET_DYN:
        return simple.get(e_type, ElfKind.UNREADABLE)
    if e_phentsize != phentsize or phnum * phentsize > MAX_PHDR_BYTES:
        return ElfKind.UNREADABLE  # no loader reads these program headers
    try:
        segments = [
            struct.unpack_from(order + phdr, data, phoff + n * phentsize) for n in range(phnum)
        ]
    except struct.error:
        return ElfKind.UNREADABLE
    if any(p_type == PT_INTERP for p_type, _, _ in segments):
        return ElfKind.PIE
    dynamic = [(offset, size) for p_type, offset, size in segments if p_type == PT_DYNAMIC]
    if any(_flags_pie(data, order + dyn, offset, size) for offset, size in dynamic):
        return ElfKind.STATIC_PIE
    return ElfKind.LIBRARY


def _flags_pie(data: bytes, entry: str, offset: int, size: int) -> bool:
    """True when the dynamic section at `offset` sets DF_1_PIE in DT_FLAGS_1 (read within
    the file and MAX_DYNAMIC entries; a damaged section reads as no flag)."""
    step = struct.calcsize(entry)
    end = min(offset + size, len(data), offset + MAX_DYNAMIC * step)
    for at in range(offset, end - step + 1, step):
        tag, value = struct.unpack_from(entry, data, at)
        if tag == DT_NULL:
            break
        if tag == DT_FLAGS_1:
            return bool(value & DF_1_PIE)
    return False
