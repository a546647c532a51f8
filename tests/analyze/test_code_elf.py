"""LIR-CODE-002 decides by the ELF header what a file is built as, never by its name."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambda_ir.analyze.detectors import chg_code_change, code_elf
from lambda_ir.capabilities.elf import ET_CORE, ET_DYN, ET_EXEC, ET_REL, ElfKind, elf_kind
from lambda_ir.model import Severity
from tests.analyze.casebuild import CaseBuilder, function_config, run_detector, zip_bytes
from tests.analyze.elfbuild import (
    LIBRARY,
    PIE,
    PT_DYNAMIC,
    PT_INTERP,
    PT_LOAD,
    STATIC,
    STATIC_PIE,
    elf,
)


@pytest.mark.parametrize("bits", [32, 64])
@pytest.mark.parametrize("order", ["<", ">"])
def test_header_says_what_a_file_is_in_every_word_size_and_byte_order(
    bits: int, order: str
) -> None:
    def kind(e_type: int, segments: tuple[int, ...] = (), pie_flag: bool = False) -> ElfKind:
        return elf_kind(elf(e_type, segments, bits=bits, order=order, pie_flag=pie_flag))

    assert kind(ET_EXEC, (PT_LOAD,)) is ElfKind.EXECUTABLE
    assert kind(ET_DYN, (PT_LOAD, PT_INTERP, PT_DYNAMIC)) is ElfKind.PIE
    assert kind(ET_DYN, (PT_LOAD, PT_DYNAMIC), pie_flag=True) is ElfKind.STATIC_PIE
    assert kind(ET_DYN, (PT_LOAD, PT_DYNAMIC)) is ElfKind.LIBRARY
    assert kind(ET_REL) is ElfKind.OBJECT
    assert kind(ET_CORE, (PT_LOAD,)) is ElfKind.CORE


def test_truncated_and_hostile_headers_are_unreadable_not_a_crash() -> None:
    assert elf_kind(b"\x7fELF\x02") is ElfKind.UNREADABLE
    assert elf_kind(b"\x7fELF\x03\x01\x01" + bytes(64)) is ElfKind.UNREADABLE  # no such class
    assert elf_kind(b"\x7fELF\x02\x01\x01" + bytes(64)) is ElfKind.UNREADABLE  # ET_NONE
    assert elf_kind(PIE[:100]) is ElfKind.UNREADABLE  # program headers cut off
    lying = bytearray(LIBRARY)
    lying[56:58] = (0xFFFF).to_bytes(2, "little")  # e_phnum past what a loader reads
    assert elf_kind(bytes(lying)) is ElfKind.UNREADABLE
    far = bytearray(LIBRARY)
    far[32:40] = (1 << 62).to_bytes(8, "little")  # e_phoff far past the end
    assert elf_kind(bytes(far)) is ElfKind.UNREADABLE


@given(st.binary(max_size=400))
def test_any_bytes_after_the_magic_read_without_raising(tail: bytes) -> None:
    assert isinstance(elf_kind(b"\x7fELF" + tail), ElfKind)


def _function_with(builder: CaseBuilder, files: dict[str, bytes]) -> None:
    blob = zip_bytes({"app.py": "def handler(e, c):\n    return 1\n", **files})
    builder.code(blob, "orders")
    builder.versions("orders", [function_config("orders", code=blob)])


def test_an_executable_named_like_a_library_is_reported(builder: CaseBuilder) -> None:
    """Executables named as libraries or sockets are executables; shared libraries, whatever
    their name, objects and core dumps are not."""
    _function_with(
        builder,
        {
            "lib/libcrypto.so.3": STATIC,
            "bin/worker.sock": PIE,
            "bootstrap.so": STATIC_PIE,
            "vendor/helper.so": b"\x7fELF\x02",  # no loader reads this: not a library either
            "numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so": LIBRARY,
            "cryptography/hazmat/bindings/_rust.abi3.so": LIBRARY,
            "lib/libffi-bare": LIBRARY,  # a library without `.so` in its name
            "build/module.o": elf(ET_REL),
            "core": elf(ET_CORE, (PT_LOAD,)),
        },
    )
    found = {f.details["member"]: f for f in run_detector(builder, code_elf.DETECTOR)}
    assert {member: f.details["elf"] for member, f in found.items()} == {
        "lib/libcrypto.so.3": "executable",
        "bin/worker.sock": "position-independent executable",
        "bootstrap.so": "static-pie executable",
        "vendor/helper.so": "ELF file whose header cannot be read",
    }
    assert all(f.severity is Severity.LOW for f in found.values())
    assert found["lib/libcrypto.so.3"].evidence[0].member == "lib/libcrypto.so.3"


def test_a_code_change_adding_an_executable_named_like_a_library_introduces_it(
    builder: CaseBuilder,
) -> None:
    app = {"app.py": "def handler(e, c):\n    return 1\n"}
    old, new = zip_bytes(app), zip_bytes({**app, "lib/libssl.so.3": STATIC})
    builder.code(old, "orders", "1")
    builder.code(new, "orders", "2")
    builder.versions(
        "orders",
        [function_config("orders", "1", code=old), function_config("orders", "2", code=new)],
    )
    (finding,) = run_detector(builder, chg_code_change.DETECTOR)
    assert finding.details["introduced"] == ["native executable"]
