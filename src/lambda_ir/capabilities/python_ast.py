"""Capabilities of a Python file, read with `ast` (never imported or run).

Names are resolved through the file's imports (`from subprocess import run as r` → `r(...)` is
`subprocess.run`), boto3 clients and resources are followed through the names they are
assigned to (`iam = boto3.client("iam")`, `self.iam = session.client(service_name="iam")`),
so `iam.update_assume_role_policy(...)` is `iam:UpdateAssumeRolePolicy`. A client built from
a computed service name (`boto3.client(os.environ["SVC"])`, `boto3.client(f"i{x}")`,
`boto3.Session().client(svc)`, `boto3.client(**kwargs)`) is followed as `[computed]` when the
call is boto3's by what it is called on (`boto3`, a boto3 Session), never for a name that
merely says session (`http_session.resource(path)`), and `getattr(iam, op)(...)` is
`iam:[computed]` (`iam:CreateUser` for a literal `op`): hiding the name is no reason to take
the call for a read (`extract.is_privileged_call`). A client passed through a function
argument is not followed.

The tree is walked without recursion: valid Python nested as deep as `ast.parse` builds
(`PAD = 1+1+…+1`, a thousand terms) exhausted the stack of a recursive `NodeVisitor`, and
the file's every capability was lost. A file too deep to parse falls back to the patterns.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from lambda_ir.capabilities.text import (
    COMPUTED,
    CREDENTIAL_VARIABLES,
    Capability,
    CapKind,
    literal_capabilities,
)

EXEC_CALLS = frozenset(
    {
        *(f"subprocess.{n}" for n in ("run", "Popen", "call", "check_call", "check_output")),
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "os.system",
        "os.popen",
        *(f"os.exec{s}" for s in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")),
        *(f"os.spawn{s}" for s in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")),
        "os.posix_spawn",
        "os.posix_spawnp",
        "pty.spawn",
        "commands.getoutput",
    }
)
DYNAMIC_CALLS = frozenset(
    {"exec", "eval", "compile", "__import__", "importlib.import_module", "marshal.loads"}
    | {"pickle.loads", "builtins.exec", "builtins.eval", "types.FunctionType"}
)
WHOLE_ENVIRONMENT = "the whole environment (os.environ)"
# Client methods that are not API operations.
NOT_OPERATIONS = frozenset(
    {"meta", "get_waiter", "close", "can_paginate", "exceptions", "generate_presigned_url"}
    | {"generate_presigned_post", "get_paginator", "load", "reload", "wait_until_exists"}
)
WRITE_MODES = ("w", "a", "x", "+")
# What makes a session: boto3's, and aioboto3's (the same clients, awaited).
SESSIONS = frozenset(
    {"boto3.Session", "boto3.session.Session", "aioboto3.Session", "aioboto3.session.Session"}
)

# Sub-resources followed down from a method call to its client (boto3's are a few deep:
# `s3.Bucket(b).Object(k).put()`).
MAX_SUB_RESOURCES = 64


def scan_python(text: str) -> tuple[tuple[Capability, ...], str | None]:
    """(capabilities, None), or ((), why it does not parse) for the fallback to record."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        return (), f"does not parse as Python: {exc.msg} (line {exc.lineno})"
    except (ValueError, RecursionError, MemoryError) as exc:
        return (), f"does not parse as Python: {type(exc).__name__}"
    reader = _Reader()
    for node in _walk(tree):
        reader.read(node)
    return tuple(reader.found), None


def operation_name(method: str) -> str:
    """boto3's `update_assume_role_policy` → the API's `UpdateAssumeRolePolicy`."""
    return "".join(part[:1].upper() + part[1:] for part in method.split("_"))


def _walk(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node in source order, outer before inner, with a list for a stack (no recursion:
    the depth is the file author's to choose)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


class _Reader:
    """Reads nodes in source order: imports and client assignments are seen before their use."""

    def __init__(self) -> None:
        self.found: list[Capability] = []
        self.names: dict[str, str] = {}  # local name → dotted module path
        self.clients: dict[str, str] = {}  # variable (or self.attr) → service
        self.sessions: set[str] = set()  # variables (or self.attr) holding a boto3 Session

    def read(self, node: ast.AST) -> None:
        """What one node does; `_walk` gives its children after it."""
        if isinstance(node, ast.Import):
            self._import(node)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                self.names[alias.asname or alias.name] = f"{node.module or ''}.{alias.name}"
        elif isinstance(node, ast.Assign):
            self._assign(node.targets, node.value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            # `session: boto3.Session = boto3.Session()`, `iam: IAMClient = boto3.client("iam")`
            self._assign([node.target], node.value)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            self.found.extend(literal_capabilities(node.value, node.lineno))
        elif isinstance(node, ast.Subscript) and self._name(node.value) == "os.environ":
            variable = _literal(node.slice)
            if variable in CREDENTIAL_VARIABLES:
                self._add(CapKind.CREDENTIALS, variable, node)
        elif isinstance(node, ast.Call):
            self.found.extend(self._call(node, self._name(node.func)))

    def _import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.names[alias.asname or alias.name.split(".")[0]] = (
                alias.name if alias.asname else alias.name.split(".")[0]
            )

    def _assign(self, targets: list[ast.expr], value: ast.expr) -> None:
        service = self._client_service(value)
        session = isinstance(value, ast.Call) and self._name(value.func) in SESSIONS
        for target in targets if service or session else ():
            key = _key(target)
            if key and service:
                self.clients[key] = service
            elif key:
                self.sessions.add(key)

    def _call(self, node: ast.Call, name: str) -> Iterator[Capability]:
        first = node.args[0] if node.args else None
        if name in EXEC_CALLS:
            yield _cap(CapKind.EXEC, name, node, _literal(first) or "")
        elif name in DYNAMIC_CALLS and first is not None and not isinstance(first, ast.Constant):
            inner = self._name(first.func) if isinstance(first, ast.Call) else "a computed value"
            yield _cap(CapKind.DYNAMIC_CODE, f"{name}({inner})", node)
        elif name in ("os.getenv", "os.environ.get") and _literal(first) in CREDENTIAL_VARIABLES:
            yield _cap(CapKind.CREDENTIALS, str(_literal(first)), node)
        elif name == "os.environ.copy" or (
            first is not None and self._name(first) == "os.environ" and name != "os.environ.get"
        ):
            yield _cap(CapKind.CREDENTIALS, WHOLE_ENVIRONMENT, node, name)
        elif name in ("open", "io.open", "builtins.open", "os.open"):
            yield from _file_write(node)
        if isinstance(node.func, ast.Attribute):
            yield from self._method(node, node.func)
        elif isinstance(node.func, ast.Call):
            yield from self._getattr_call(node, node.func)

    def _getattr_call(self, node: ast.Call, inner: ast.Call) -> Iterator[Capability]:
        """`getattr(client, "create_user")(...)`, or with a computed name `[computed]`."""
        if self._name(inner.func) not in ("getattr", "builtins.getattr") or len(inner.args) < 2:
            return
        service = self._service_of(inner.args[0])
        name = inner.args[1]
        if service is None:
            return
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            if name.value in NOT_OPERATIONS or not name.value[:1].islower():
                return
            yield _cap(CapKind.AWS_CALL, f"{service}:{operation_name(name.value)}", node)
        else:
            yield _cap(CapKind.AWS_CALL, f"{service}:{COMPUTED}", node, "getattr")

    def _method(self, node: ast.Call, func: ast.Attribute) -> Iterator[Capability]:
        method = func.attr
        service = self._service_of(func.value)
        if service and method == "get_paginator" and _literal(node.args[0] if node.args else None):
            yield _cap(
                CapKind.AWS_CALL, f"{service}:{operation_name(str(_literal(node.args[0])))}", node
            )
        elif service and method not in NOT_OPERATIONS and method[:1].islower():
            yield _cap(CapKind.AWS_CALL, f"{service}:{operation_name(method)}", node)
        elif method == "get_credentials":
            yield _cap(CapKind.CREDENTIALS, "SDK credentials (get_credentials)", node)
        elif method in ("connect", "create_connection", "connect_ex") and node.args:
            address = node.args[0]
            if isinstance(address, ast.Tuple) and len(address.elts) == 2:
                host, port = _literal(address.elts[0]), address.elts[1]
                if host and isinstance(port, ast.Constant) and isinstance(port.value, int):
                    yield _cap(CapKind.NETWORK, f"{host}:{port.value}", node, "socket connect")
        elif method in ("write_text", "write_bytes") and isinstance(func.value, ast.Call):
            path = _literal(func.value.args[0] if func.value.args else None)
            if path and not _under_tmp(path):
                yield _cap(CapKind.FS_WRITE, path, node, method)

    def _client_service(self, value: ast.expr) -> str | None:
        """The service of `boto3.client("iam")`, `session.resource(service_name="s3")`,
        `boto3.client(**{"service_name": "iam"})`; `[computed]` for a name not written out
        (a variable, an f-string, `**kwargs`) on what is boto3's (`_boto3_made`)."""
        if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Attribute | ast.Name):
            return None
        name = self._name(value.func)
        if not (name.endswith((".client", ".resource")) or name in ("client", "resource")):
            return None
        given = value.args[0] if value.args else None
        for keyword in value.keywords:
            if keyword.arg == "service_name":
                given = keyword.value
            elif keyword.arg is None and given is None:  # `**kwargs`: the name may be in it
                given = _spread_service(keyword.value)
        if given is None:
            return None
        if isinstance(given, ast.Constant) and isinstance(given.value, str):
            return given.value
        return COMPUTED if self._boto3_made(name, value.func) else None

    def _boto3_made(self, name: str, func: ast.Attribute | ast.Name) -> bool:
        """A `client`/`resource` call that is boto3's by what it is called on: `boto3.client`
        (through the imports), a variable holding a boto3 Session, or `boto3.Session()`
        itself. Not any `x.client(y)`: `http_session.resource(path)` is some other library's,
        and a computed name there would make every method on it an AWS call."""
        if "boto3" in name:
            return True
        receiver = func.value if isinstance(func, ast.Attribute) else None
        if isinstance(receiver, ast.Call):
            return self._name(receiver.func) in SESSIONS
        return receiver is not None and _key(receiver) in self.sessions

    def _service_of(self, receiver: ast.expr) -> str | None:
        """The service a method is called on: a tracked client, an inline one, or a
        sub-resource of a tracked resource (`s3.Bucket("b").put_object`), down at most
        MAX_SUB_RESOURCES steps of sub-resources (a loop, not recursion: every call of a chain
        asks, so an unbounded walk made a chain of a thousand calls quadratic)."""
        for _ in range(MAX_SUB_RESOURCES + 1):
            key = _key(receiver)
            if key and key in self.clients:
                return self.clients[key]
            if not isinstance(receiver, ast.Call):
                return None
            inline = self._client_service(receiver)
            if inline:
                return inline
            func = receiver.func
            if not (isinstance(func, ast.Attribute) and func.attr[:1].isupper()):
                return None
            receiver = func.value
        return None

    def _name(self, node: ast.expr) -> str:
        """`subprocess.run` through the imports; an attribute of anything but a name keeps
        its dots (`.client` of `boto3.Session().client`); a chain of any length."""
        attributes: list[str] = []
        while isinstance(node, ast.Attribute):
            attributes.append(node.attr)
            node = node.value
        head = self.names.get(node.id, node.id) if isinstance(node, ast.Name) else ""
        return ".".join([head, *reversed(attributes)])

    def _add(self, kind: CapKind, value: str, node: ast.expr) -> None:
        self.found.append(_cap(kind, value, node))


def _spread_service(spread: ast.expr) -> ast.expr:
    """The `service_name` of `**{"service_name": "iam"}`, or `spread` itself (a name the
    reader cannot see: `**kwargs`, a dict without that key written out)."""
    if isinstance(spread, ast.Dict):
        for key, value in zip(spread.keys, spread.values, strict=True):
            if isinstance(key, ast.Constant) and key.value == "service_name":
                return value
    return spread


def _file_write(node: ast.Call) -> Iterator[Capability]:
    path = _literal(node.args[0]) if node.args else None
    mode = _literal(node.args[1]) if len(node.args) > 1 else None
    for keyword in node.keywords:
        if keyword.arg == "mode":
            mode = _literal(keyword.value)
    if path and mode and any(flag in mode for flag in WRITE_MODES) and not _under_tmp(path):
        yield _cap(CapKind.FS_WRITE, path, node, f"open(mode={mode!r})")


def _under_tmp(path: str) -> bool:
    return path == "/tmp" or path.startswith("/tmp/")  # noqa: S108 (a comparison, not a use)


def _key(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return None


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        head = node.values[0]
        return (
            head.value if isinstance(head, ast.Constant) and isinstance(head.value, str) else None
        )
    return None


def _cap(kind: CapKind, value: str, node: ast.AST, detail: str = "") -> Capability:
    return Capability(kind, value, getattr(node, "lineno", 0), detail[:200])
