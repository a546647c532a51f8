"""Capabilities of a JavaScript file, read with tree-sitter's JavaScript grammar (never run).

Names are followed through `require(...)` and `import` (default, namespace, named and
destructured), so `const { exec } = require("child_process")` makes `exec(...)` process
execution. AWS SDK v2 clients (`new AWS.IAM()`, `aws-sdk/clients/iam`) are followed through
the variable they are assigned to (`iam.updateAssumeRolePolicy(...)`); SDK v3 commands are
named by their class (`new UpdateAssumeRolePolicyCommand(...)` from `@aws-sdk/client-iam`).
A file with syntax errors returns its first error for the fallback to record.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import tree_sitter_javascript
from tree_sitter import Language, Node, Parser, Query, QueryCursor

from lambda_ir.capabilities.text import (
    CREDENTIAL_VARIABLES,
    Capability,
    CapKind,
    literal_capabilities,
    sdk_v3_service,
)

CHILD_PROCESS = ("child_process", "node:child_process")
EXEC_METHODS = frozenset(
    {"exec", "execSync", "spawn", "spawnSync", "execFile", "execFileSync", "fork"}
)
FS_MODULES = ("fs", "node:fs", "fs/promises", "node:fs/promises", "fs-extra")
FS_WRITES = frozenset(
    {"writeFile", "writeFileSync", "appendFile", "appendFileSync", "createWriteStream"}
    | {"outputFile", "outputFileSync", "copyFile", "copyFileSync"}
)
NET_MODULES = ("net", "node:net", "tls", "node:tls")
VM_CALLS = frozenset({"runInNewContext", "runInThisContext", "runInContext", "Script"})
# SDK v2 class names whose IAM prefix is not their lower-cased name.
V2_SERVICES = {
    "cloudwatchlogs": "logs",
    "cloudwatchevents": "events",
    "eventbridge": "events",
    "cognitoidentityserviceprovider": "cognito-idp",
    "documentclient": "dynamodb",
    "secretsmanager": "secretsmanager",
    "stepfunctions": "states",
}
NOT_OPERATIONS = frozenset({"send", "promise", "then", "config", "on", "makeRequest", "destroy"})


# Only the nodes the walker reads, so a 1 MB bundle is not walked node by node in Python.
QUERY = r"""
(variable_declarator value: [(call_expression) (member_expression) (new_expression)]) @bind
(assignment_expression right: [(call_expression) (member_expression) (new_expression)]) @bind
(import_statement) @import
(call_expression) @call
(new_expression) @new
((member_expression) @env (#match? @env "^process[.]env"))
((subscript_expression) @env (#match? @env "^process[.]env"))
(string) @string
(template_string) @string
"""


@functools.cache
def _grammar() -> tuple[Language, Query]:
    """The JavaScript grammar and the compiled query (constants, like a compiled regex)."""
    language = Language(tree_sitter_javascript.language())
    return language, Query(language, QUERY)


def scan_javascript(source: bytes) -> tuple[tuple[Capability, ...], str | None]:
    """(capabilities, None), or ((), where it does not parse) for the fallback to record."""
    language, query = _grammar()
    root = Parser(language).parse(source).root_node
    if root.has_error:
        broken = _first_error(root)
        line = broken.start_point[0] + 1 if broken else 0
        return (), f"does not parse as JavaScript: syntax error near line {line}"
    walker = _Walker(source)
    captured = {
        node.id: node for nodes in QueryCursor(query).captures(root).values() for node in nodes
    }
    # Source order, outer before inner: imports and bindings are seen before their use.
    for node in sorted(captured.values(), key=lambda n: (n.start_byte, -n.end_byte)):
        walker.visit(node)
    return tuple(walker.found), None


def _first_error(root: Node) -> Node | None:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            return node
        stack.extend(reversed([child for child in node.children if child.has_error]))
    return None


class _Walker:
    """Visits nodes in source order, remembering modules, imported names and SDK clients."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.found: list[Capability] = []
        self.names: dict[str, str] = {}  # local name → module or module.export
        self.clients: dict[str, str] = {}  # variable → service

    def text(self, node: Node | None) -> str:
        if node is None:
            return ""
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def visit(self, node: Node) -> None:
        kind = node.type
        if kind == "variable_declarator":
            self._bind(node.child_by_field_name("name"), node.child_by_field_name("value"))
        elif kind == "assignment_expression":
            self._bind(node.child_by_field_name("left"), node.child_by_field_name("right"))
        elif kind == "import_statement":
            self._import(node)
        elif kind == "call_expression":
            self.found.extend(self._call(node))
        elif kind == "new_expression":
            self.found.extend(self._new(node))
        elif kind in ("member_expression", "subscript_expression"):
            self.found.extend(self._environment(node))
        elif kind in ("string", "template_string"):
            line = node.start_point[0] + 1
            self.found.extend(literal_capabilities(self.text(node)[1:-1], line))

    def dotted(self, node: Node | None) -> str:
        """`AWS.IAM` → `aws-sdk.IAM`, `cp.exec` → `child_process.exec` (through the imports).

        A loop down the chain, not recursion: `a.b.b.…` thousands long is valid JavaScript,
        and a RecursionError here lost every capability of the file."""
        properties: list[str] = []
        while node is not None and node.type == "member_expression":
            properties.append(self.text(node.child_by_field_name("property")))
            node = node.child_by_field_name("object")
        return ".".join([self._head(node), *reversed(properties)])

    def _head(self, node: Node | None) -> str:
        """What a chain starts from: an imported or local name, `this`, a `require()`."""
        if node is None:
            return ""
        if node.type == "identifier":
            name = self.text(node)
            return self.names.get(name, name)
        if node.type == "this":
            return "this"
        if node.type == "call_expression":
            return self._required(node) or ""
        return ""

    def _required(self, node: Node) -> str | None:
        """The module of `require("m")`, else None."""
        if self.text(node.child_by_field_name("function")) != "require":
            return None
        return _string(self, _first_argument(node))

    def _bind(self, name: Node | None, value: Node | None) -> None:
        if name is None or value is None:
            return
        module = (
            self.dotted(value) if value.type in ("call_expression", "member_expression") else ""
        )
        if value.type == "new_expression":
            service = self._client_service(value.child_by_field_name("constructor"))
            if service:
                self.clients[self.text(name)] = service
        elif module and name.type == "identifier":
            self.names[self.text(name)] = module
        elif module and name.type == "object_pattern":
            for part in name.named_children:
                if part.type == "shorthand_property_identifier_pattern":
                    self.names[self.text(part)] = f"{module}.{self.text(part)}"
                elif part.type == "pair_pattern":
                    key = self.text(part.child_by_field_name("key"))
                    self.names[self.text(part.child_by_field_name("value"))] = f"{module}.{key}"

    def _import(self, node: Node) -> None:
        module = _string(self, node.child_by_field_name("source")) or ""
        for clause in node.named_children:
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                if part.type == "identifier":
                    self.names[self.text(part)] = module
                elif part.type == "namespace_import":
                    for ident in part.named_children:
                        self.names[self.text(ident)] = module
                elif part.type == "named_imports":
                    for spec in part.named_children:
                        exported = self.text(spec.child_by_field_name("name"))
                        local = spec.child_by_field_name("alias")
                        self.names[self.text(local) if local else exported] = f"{module}.{exported}"

    def _client_service(self, constructor: Node | None) -> str | None:
        name = self.dotted(constructor)
        if name.startswith("aws-sdk/clients/"):
            return _v2_service(name.removeprefix("aws-sdk/clients/").split(".")[0])
        if name.startswith("aws-sdk."):
            parts = name.split(".")
            return _v2_service(parts[-1] if parts[-1] == "DocumentClient" else parts[1])
        if name.startswith("@aws-sdk/client-") and not name.endswith("Command"):
            return sdk_v3_service(name.removeprefix("@aws-sdk/client-").split(".")[0])
        return None

    def _call(self, node: Node) -> Iterator[Capability]:
        function = node.child_by_field_name("function")
        name = self.dotted(function)
        module, _, member = name.rpartition(".")
        first = _first_argument(node)
        line = node.start_point[0] + 1
        if module in CHILD_PROCESS and member in EXEC_METHODS:
            yield Capability(CapKind.EXEC, name, line, _string(self, first) or "")
        elif module in FS_MODULES and member in FS_WRITES:
            path = _string(self, first)
            if path and not (path == "/tmp" or path.startswith("/tmp/")):  # noqa: S108
                yield Capability(CapKind.FS_WRITE, path, line, name)
        elif module in NET_MODULES and member in ("connect", "createConnection"):
            yield from self._socket(node, line)
        elif member in VM_CALLS and module in ("vm", "node:vm"):
            yield Capability(CapKind.DYNAMIC_CODE, name, line)
        elif name in ("eval", "Function") and first is not None and first.type != "string":
            yield Capability(CapKind.DYNAMIC_CODE, f"{name}(…)", line, self.text(first)[:200])
        elif name == "require" and first is not None and first.type != "string":
            yield Capability(CapKind.DYNAMIC_CODE, "require(computed)", line)
        if function is not None and function.type == "member_expression":
            receiver = self.text(function.child_by_field_name("object"))
            service = self.clients.get(receiver)
            method = self.text(function.child_by_field_name("property"))
            if service and method not in NOT_OPERATIONS:
                yield Capability(
                    CapKind.AWS_CALL, f"{service}:{method[:1].upper()}{method[1:]}", line
                )

    def _new(self, node: Node) -> Iterator[Capability]:
        name = self.dotted(node.child_by_field_name("constructor"))
        line = node.start_point[0] + 1
        module, _, cls = name.rpartition(".")
        if module.startswith("@aws-sdk/client-") and cls.endswith("Command"):
            service = sdk_v3_service(module.removeprefix("@aws-sdk/client-"))
            yield Capability(CapKind.AWS_CALL, f"{service}:{cls.removesuffix('Command')}", line)
        elif name == "Function" or (module in ("vm", "node:vm") and cls == "Script"):
            yield Capability(CapKind.DYNAMIC_CODE, f"new {name}(…)", line)

    def _environment(self, node: Node) -> Iterator[Capability]:
        parent = node.child_by_field_name("object")
        if self.text(parent) != "process.env":
            if self.text(node) == "process.env" and node.parent and node.parent.type == "arguments":
                yield Capability(
                    CapKind.CREDENTIALS,
                    "the whole environment (process.env)",
                    node.start_point[0] + 1,
                )
            return
        field = node.child_by_field_name("property") or node.child_by_field_name("index")
        variable = self.text(field).strip("'\"`")
        if variable in CREDENTIAL_VARIABLES:
            yield Capability(CapKind.CREDENTIALS, variable, node.start_point[0] + 1)

    def _socket(self, node: Node, line: int) -> Iterator[Capability]:
        arguments = node.child_by_field_name("arguments")
        values = [a for a in (arguments.named_children if arguments else []) if a.type != "comment"]
        if len(values) >= 2 and values[0].type == "number" and values[1].type == "string":
            host = _string(self, values[1])
            yield Capability(
                CapKind.NETWORK, f"{host}:{self.text(values[0])}", line, "socket connect"
            )


def _first_argument(node: Node) -> Node | None:
    arguments = node.child_by_field_name("arguments")
    if arguments is None:
        return None
    named = [a for a in arguments.named_children if a.type != "comment"]
    return named[0] if named else None


def _string(walker: _Walker, node: Node | None) -> str | None:
    if node is None or node.type not in ("string", "template_string"):
        return None
    text = walker.text(node)[1:-1]
    return text.split("${", 1)[0] if node.type == "template_string" else text


def _v2_service(name: str) -> str:
    lower = name.lower()
    return V2_SERVICES.get(lower, lower)
