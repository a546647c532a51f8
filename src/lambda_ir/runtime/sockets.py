"""Network sockets from `/proc/net/{tcp,tcp6,udp,udp6}`, each tied to its owning process.

The kernel lists sockets by inode; `procs.list_processes` lists each process's socket inodes,
so `attach_owners` names the process (pid, command) behind each connection.
"""

from __future__ import annotations

import socket
import struct
from pathlib import Path
from typing import Any

TABLES = ("tcp", "tcp6", "udp", "udp6")
TCP_STATES = {
    "01": "ESTABLISHED",
    "02": "SYN_SENT",
    "03": "SYN_RECV",
    "04": "FIN_WAIT1",
    "05": "FIN_WAIT2",
    "06": "TIME_WAIT",
    "07": "CLOSE",
    "08": "CLOSE_WAIT",
    "09": "LAST_ACK",
    "0A": "LISTEN",
    "0B": "CLOSING",
}
MAX_SOCKETS = 5000


def list_sockets(proc: str) -> list[dict[str, Any]]:
    """Every socket of the tables above (a table that cannot be read is skipped)."""
    out: list[dict[str, Any]] = []
    for table in TABLES:
        try:
            with Path(proc, "net", table).open(encoding="ascii", errors="replace") as src:
                lines = src.readlines()[1:]
        except OSError:
            continue
        for line in lines[:MAX_SOCKETS]:
            record = parse_line(table, line)
            if record is not None:
                out.append(record)
    return out


def parse_line(table: str, line: str) -> dict[str, Any] | None:
    """One line of a /proc/net table as a record; None when it is not one."""
    fields = line.split()
    if len(fields) < 10:
        return None
    try:
        local_ip, local_port = _address(fields[1])
        remote_ip, remote_port = _address(fields[2])
        inode = int(fields[9])
        uid = int(fields[7])
    except (ValueError, struct.error, OSError):
        return None
    state = fields[3].upper()
    return {
        "protocol": table,
        "local_ip": local_ip,
        "local_port": local_port,
        "remote_ip": remote_ip,
        "remote_port": remote_port,
        "state": TCP_STATES.get(state, state) if table.startswith("tcp") else state,
        "uid": uid,
        "inode": inode,
    }


def attach_owners(sockets: list[dict[str, Any]], processes: list[dict[str, Any]]) -> None:
    """Add `pid` and `process` (its command line's first word) to each socket it owns."""
    owners: dict[int, dict[str, Any]] = {}
    for process in processes:
        for inode in process.get("socket_inodes") or ():
            owners.setdefault(inode, process)
    for record in sockets:
        owner = owners.get(record["inode"])
        record["pid"] = owner["pid"] if owner else None
        record["process"] = (owner["cmdline"] or [owner["name"]])[0] if owner else None


def _address(text: str) -> tuple[str, int]:
    """`0100007F:1F90` -> ("127.0.0.1", 8080); IPv6 is four little-endian 32-bit words."""
    host, _, port = text.partition(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        ip = socket.inet_ntop(socket.AF_INET, struct.pack("<I", struct.unpack(">I", raw)[0]))
    else:
        words = struct.unpack(">4I", raw)
        ip = socket.inet_ntop(socket.AF_INET6, struct.pack("<4I", *words))
    return ip, int(port, 16)
