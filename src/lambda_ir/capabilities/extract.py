"""What a package's code can do, read offline: AWS calls, destinations, exec, credentials.

`extract(name, data)` reads one file of a code or layer package and returns what it can do,
never running or importing it: Python through `ast`, JavaScript through tree-sitter's
JavaScript grammar, ELF/PE/Mach-O binaries through their strings (imported symbol names
included), any other text through patterns. A source file that does not parse (broken,
obfuscated) falls back to the patterns, and the fallback is recorded in `parser`/`note`, so
a responder knows which rows come from a parser and which from a guess. Minified JavaScript
(lines of thousands of characters) goes to the patterns too, recorded as such.

Kinds (`CapKind`): `aws-call` (`iam:UpdateAssumeRolePolicy`), `network` (a URL, host:port,
raw IP address, `stratum+tcp://`), `exec` (subprocess, os.system, child_process, execve),
`credentials` (AWS key variables, /proc/self/environ, the metadata or container credentials
endpoint, the whole environment), `dynamic-code` (exec/eval of computed data, Function()),
`fs-write` (a file opened for writing outside /tmp).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lambda_ir.capabilities import binary, javascript, python_ast
from lambda_ir.capabilities.paths import SDK_PATHS, in_paths
from lambda_ir.capabilities.text import COMPUTED, Capability, CapKind, scan_text

__all__ = [
    "CapKind",
    "Capability",
    "FileCapabilities",
    "Parser",
    "extract",
    "is_sensitive",
    "is_vendored",
]

# Larger source files are read by the patterns only (a parser over a 20 MB bundle costs more
# than it tells); patterns and binary strings read at most the first MAX_SCAN bytes.
MAX_PARSE = 4 << 20
MAX_SCAN = 32 << 20
# JavaScript with lines this long (on average, or any one) is minified: read by patterns.
MINIFIED_AVERAGE = 300
MINIFIED_LINE = 5000
PYTHON = (".py",)
JAVASCRIPT = (".js", ".mjs", ".cjs")
TEXT: tuple[str, ...] = (
    ".ts",
    ".sh",
    ".bash",
    ".rb",
    ".pl",
    ".php",
    ".ps1",
    ".json",
    ".yml",
    ".yaml",
    ".txt",
    ".cfg",
    ".ini",
    ".conf",
    ".env",
    ".toml",
    ".html",
)
BINARY_MAGIC = (b"\x7fELF", b"MZ", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe")


class Parser(StrEnum):
    """How a file was read: a real parser, or the recorded pattern fallback."""

    PYTHON = "python-ast"
    JAVASCRIPT = "javascript-tree-sitter"
    BINARY = "binary-strings"
    TEXT = "text-patterns"
    FALLBACK = "fallback-patterns"


@dataclass(frozen=True)
class FileCapabilities:
    """Everything found in one file, how it was read, and why a fallback was used."""

    file: str
    parser: Parser
    capabilities: tuple[Capability, ...]
    note: str | None = None

    def __post_init__(self) -> None:
        # One row per (kind, value, line): a parser and a literal can both see one access.
        unique = {(c.kind, c.value, c.line): c for c in reversed(self.capabilities)}
        ordered = sorted(unique.values(), key=lambda c: (c.line, c.kind, c.value))
        object.__setattr__(self, "capabilities", tuple(ordered))


def extract(name: str, data: bytes) -> FileCapabilities | None:
    """The capabilities of one file, or None for a file we do not read (images, archives)."""
    lower = name.lower()
    if data.startswith(BINARY_MAGIC) and not lower.endswith(PYTHON + JAVASCRIPT + TEXT):
        found = binary.scan_binary(data[:MAX_SCAN])
        return FileCapabilities(name, Parser.BINARY, found)
    if lower.endswith(PYTHON + JAVASCRIPT) and len(data) <= MAX_PARSE:
        return _parsed(name, lower, data)
    if lower.endswith(PYTHON + JAVASCRIPT + TEXT) or _is_script(data):
        text = data[:MAX_SCAN].decode("utf-8", "replace")
        parser = Parser.TEXT if not lower.endswith(PYTHON + JAVASCRIPT) else Parser.FALLBACK
        note = None if parser is Parser.TEXT else f"larger than {MAX_PARSE} bytes; not parsed"
        return FileCapabilities(name, parser, scan_text(text), note)
    return None


def is_vendored(name: str) -> bool:
    """A file of a vendored AWS SDK or HTTP library (it calls AWS and reads keys by design)."""
    return in_paths(name, SDK_PATHS)


def _parsed(name: str, lower: str, data: bytes) -> FileCapabilities:
    text = data.decode("utf-8", "replace")
    if lower.endswith(PYTHON):
        found, error = python_ast.scan_python(text)
        parser = Parser.PYTHON
    elif _minified(text):
        # A bundle on a few long lines: every row would be line 1, and tree-sitter spends
        # tens of milliseconds per 32 KB of it; the patterns read it, and say so.
        longest = max(len(line) for line in text.splitlines())
        note = f"minified (longest line {longest} characters); read by patterns"
        return FileCapabilities(name, Parser.FALLBACK, scan_text(text), note)
    else:
        found, error = javascript.scan_javascript(data)
        parser = Parser.JAVASCRIPT
    if error is not None:
        return FileCapabilities(name, Parser.FALLBACK, scan_text(text), error)
    return FileCapabilities(name, parser, found)


def _minified(text: str) -> bool:
    """Bundled or minified JavaScript: lines far longer than anyone writes them."""
    lines = text.count("\n") + 1
    return len(text) / lines > MINIFIED_AVERAGE or any(
        len(line) > MINIFIED_LINE for line in text.splitlines()
    )


def _is_script(data: bytes) -> bool:
    return data.startswith(b"#!")


# Operations that change IAM, mint credentials or change Lambda: gaining one is a finding.
_WRITE_PREFIXES = (
    "Create",
    "Update",
    "Put",
    "Attach",
    "Detach",
    "Delete",
    "Add",
    "Remove",
    "Set",
    "Tag",
    "Untag",
    "Publish",
    "Upload",
    "Change",
    "Enable",
    "Deactivate",
    "Reset",
)
# The services with privileged calls: a computed one may be any of them.
_PRIVILEGED_SERVICES = ("iam", "lambda", "sts")
_CREDENTIAL_OPERATIONS = frozenset(
    {
        "sts:AssumeRole",
        "sts:AssumeRoleWithWebIdentity",
        "sts:AssumeRoleWithSAML",
        "sts:GetFederationToken",
        "sts:GetSessionToken",
    }
)


def is_sensitive(kind: str, value: str) -> bool:
    """True for what a version should not quietly gain: IAM/STS/Lambda writes, exec,
    credential access, dynamic code, and every outbound destination."""
    if kind == CapKind.AWS_CALL:
        return is_privileged_call(value)
    return kind in (CapKind.NETWORK, CapKind.EXEC, CapKind.CREDENTIALS, CapKind.DYNAMIC_CODE)


def is_privileged_call(value: str) -> bool:
    """An IAM or Lambda write, or an STS call that mints credentials.

    A service or an operation the code computes (`[computed]:CreateUser` from
    `new AWS[k]()`, `iam:[computed]` from `iam[op]()`) is one when it could be: hiding the
    name is no reason to take the call for a read."""
    service, _, operation = value.partition(":")
    services = _PRIVILEGED_SERVICES if service == COMPUTED else (service,)
    return any(_privileged(name, operation) for name in services)


def _privileged(service: str, operation: str) -> bool:
    if operation == COMPUTED:
        return service in _PRIVILEGED_SERVICES
    if f"{service}:{operation}" in _CREDENTIAL_OPERATIONS:
        return True
    return service in ("iam", "lambda") and operation.startswith(_WRITE_PREFIXES)
