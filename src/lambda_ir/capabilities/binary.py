"""Capabilities of an ELF, PE or Mach-O binary, from its printable strings (never run).

A dynamically linked binary names the library functions it imports in its string table
(`.dynstr`, the PE import table, Mach-O's symbol strings), so a string that is exactly
`execve` or `popen` is an imported (or exported) symbol; URLs, addresses and credential
markers are found by the same patterns as in text. Symbols are matched as strings, not read
from a parsed symbol table: a statically linked or packed binary shows fewer of them.
Rows carry line 0 and the string's byte offset in `detail`.
"""

from __future__ import annotations

import re

from lambda_ir.capabilities.text import Capability, CapKind, literal_capabilities

STRINGS = re.compile(rb"[\x20-\x7e]{4,}")
EXEC_SYMBOLS = frozenset(
    {"execve", "execvp", "execv", "execl", "execlp", "execle", "execvpe", "system", "popen"}
    | {"posix_spawn", "posix_spawnp", "fexecve", "CreateProcessA", "CreateProcessW"}
    | {"WinExec", "ShellExecuteA", "ShellExecuteW", "os/exec.Command"}
)
DYNAMIC_SYMBOLS = frozenset({"dlopen", "LoadLibraryA", "LoadLibraryW", "mprotect", "memfd_create"})
MAX_STRINGS = 200_000


def scan_binary(data: bytes) -> tuple[Capability, ...]:
    """Imported exec/dynamic-loading symbols, destinations and credential markers."""
    found: list[Capability] = []
    for number, match in enumerate(STRINGS.finditer(data)):
        if number >= MAX_STRINGS:
            break
        text = match.group(0).decode("ascii")
        where = f"offset 0x{match.start():x}"
        if text in EXEC_SYMBOLS:
            found.append(Capability(CapKind.EXEC, f"symbol {text}", 0, where))
        elif text in DYNAMIC_SYMBOLS:
            found.append(Capability(CapKind.DYNAMIC_CODE, f"symbol {text}", 0, where))
        elif len(text) >= 7:
            found.extend(
                Capability(cap.kind, cap.value, 0, f"{where}: {cap.detail}"[:200])
                for cap in literal_capabilities(text, 0)
            )
    return tuple(found)
