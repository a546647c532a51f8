"""ELF headers as linkers write them, cut to what LIR-CODE-002 reads (never a program)."""

from __future__ import annotations

import struct

from lambda_ir.capabilities.elf import ET_DYN, ET_EXEC

PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_FLAGS_1, DF_1_PIE = 0x6FFFFFFB, 0x08000000


def elf(
    e_type: int,
    segments: tuple[int, ...] = (),
    *,
    bits: int = 64,
    order: str = "<",
    pie_flag: bool = False,
) -> bytes:
    """An ELF header, its program headers (types `segments`, PT_DYNAMIC pointing at a dynamic
    section after them, with DF_1_PIE when `pie_flag`) and that section: what a linker
    writes, cut to the parts the detector reads."""
    wide = bits == 64
    ehsize, phentsize = (64, 56) if wide else (52, 32)
    ident = b"\x7fELF" + bytes([2 if wide else 1, 1 if order == "<" else 2, 1]) + bytes(9)
    header_fmt = order + ("HHIQQQIHHHHHH" if wide else "HHIIIIIHHHHHH")
    dynamic_at = ehsize + phentsize * len(segments)
    dyn_fmt = order + ("qQ" if wide else "iI")
    dynamic = struct.pack(dyn_fmt, DT_FLAGS_1, DF_1_PIE if pie_flag else 1)
    dynamic += struct.pack(dyn_fmt, 0, 0)
    header = ident + struct.pack(
        header_fmt, e_type, 0x3E, 1, 0x1000, ehsize, 0, 0, ehsize, phentsize, len(segments), 0, 0, 0
    )
    phdrs = b""
    for p_type in segments:
        offset, size = (dynamic_at, len(dynamic)) if p_type == PT_DYNAMIC else (0, 0)
        if wide:
            phdrs += struct.pack(order + "IIQQQQQQ", p_type, 5, offset, 0, 0, size, size, 8)
        else:
            phdrs += struct.pack(order + "IIIIIIII", p_type, offset, 0, 0, size, size, 5, 4)
    return header + phdrs + dynamic


STATIC = elf(ET_EXEC, (PT_LOAD,))
PIE = elf(ET_DYN, (PT_LOAD, PT_INTERP, PT_DYNAMIC))
STATIC_PIE = elf(ET_DYN, (PT_LOAD, PT_DYNAMIC), pie_flag=True)
LIBRARY = elf(ET_DYN, (PT_LOAD, PT_DYNAMIC))
