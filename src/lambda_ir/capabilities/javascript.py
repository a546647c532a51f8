"""Capabilities of a JavaScript file, read with tree-sitter's JavaScript grammar (never run).

Names are followed through `require(...)` and `import` (default, namespace, named and
destructured), so `const { exec } = require("child_process")` makes `exec(...)` process
execution. AWS SDK v2 clients (`new AWS.IAM()`, `aws-sdk/clients/iam`) are followed through
the variable they are assigned to (`iam.updateAssumeRolePolicy(...)`); SDK v3 commands are
named by their class (`new UpdateAssumeRolePolicyCommand(...)` from `@aws-sdk/client-iam`).
Names are read as JavaScript evaluates them, not as they are spelled (`javascript_names`):
through `?.`, parentheses and commas (`(0, cp.exec)(…)`, as bundlers write every imported
call), literal keys (`cp["exec"]`) and escapes, from the global object
(`globalThis.process.env`) and through `module.require`, and through the plainest aliases
(`const env = process.env` or `const { env } = process`, then `env.AWS_SECRET_ACCESS_KEY`;
`const r = require`, then `r("child_process")`); a computed name is `[computed]`
(`javascript_sdk` says how SDK classes read then). A file with syntax errors returns its
first error for the fallback to record.

Time grows linearly with the file, however deep it nests (`javascript_tree` says how): a
chain of 100,000 calls reads in about half a second. One cap: a template literal nested
inside MAX_TEMPLATE_NESTING others is read without the templates nested in it; those are
read on their own, at their own lines, so nothing in them is lost, only the copy of their
rows at the outer template's line.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence

import tree_sitter_javascript
from tree_sitter import Language, Node, Parser

from lambda_ir.capabilities.javascript_names import (
    MAX_NAME,
    MEMBERS,
    WRAPPERS,
    is_environment,
    is_global_object,
    is_require,
    key_name,
    may_end_in_env,
    member_name,
    name_text,
    read_by,
    unescape,
    unwrap,
    wrapped,
)
from lambda_ir.capabilities.javascript_sdk import client_service, command_call
from lambda_ir.capabilities.javascript_tree import (
    BINDINGS,
    first_argument,
    first_error,
    holds_binding,
    preorder,
    template_head,
    template_own_text,
    text_start,
)
from lambda_ir.capabilities.text import (
    COMPUTED,
    CREDENTIAL_VARIABLES,
    MAX_DETAIL,
    Capability,
    CapKind,
    literal_capabilities,
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
NOT_OPERATIONS = frozenset({"send", "promise", "then", "config", "on", "makeRequest", "destroy"})
BOUND_VALUES = ("call_expression", "new_expression", *MEMBERS)
# The kinds of node the walker reads; the others are only stepped through.
VISITED = frozenset(
    {*BINDINGS, "import_statement", "call_expression", "new_expression", *MEMBERS}
    | {"string", "template_string"}
)
# A call is one of ours only if its last name is one of these (`cp.exec`, `eval`); a
# computed one (`cp[k]`) may be any.
CALLED = EXEC_METHODS | FS_WRITES | VM_CALLS | {"connect", "createConnection", COMPUTED}
CALLED_BY_NAME = ("eval", "Function", "require")
# Nested template literals are read whole this many deep; deeper ones as their own text only.
MAX_TEMPLATE_NESTING = 4


@functools.cache
def _grammar() -> Language:
    """The JavaScript grammar (a constant, like a compiled regex)."""
    return Language(tree_sitter_javascript.language())


def scan_javascript(source: bytes) -> tuple[tuple[Capability, ...], str | None]:
    """(capabilities, None), or ((), where it does not parse) for the fallback to record."""
    # Read as Node reads a file: a byte that is not UTF-8 is U+FFFD. Equal names then have
    # equal bytes (a client's receiver is compared by length first), and no text read
    # fails (one such byte in a member expression made the old query raise).
    source = source.decode("utf-8", "replace").encode()
    root = Parser(_grammar()).parse(source).root_node
    if root.has_error:
        broken = first_error(root)
        line = broken.start_point[0] + 1 if broken else 0
        return (), f"does not parse as JavaScript: syntax error near line {line}"
    walker = _Walker(source)
    if _ALIAS_HINT.search(source):  # an alias may be used above it: bound before the walk
        for node, _ in preorder(root, HOISTED):
            walker.hoist(node)
    # Source order, outer before inner: imports and bindings are seen before their use.
    for node, ancestors in preorder(root, VISITED):
        walker.visit(node, ancestors)
    return tuple(walker.found), None


# What `_Walker.hoist` reads before the walk, and the bytes that say a file may hold an alias
# of `process` or `require` (`= process…`, `= require;`): most files have none, and the
# first pass costs a walk of the whole tree.
HOISTED = frozenset({"import_statement", "variable_declarator"})
_ALIAS_HINT = re.compile(rb"=\s*(?:process\b|require\s*(?:[;,)}\]]|$))", re.MULTILINE)


class _Walker:
    """Visits nodes in source order, remembering modules, imported names and SDK clients."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.found: list[Capability] = []
        self.names: dict[str, str] = {}  # local name → module or module.export
        self.clients: dict[str, str] = {}  # variable → service
        # The byte lengths of the client variables: a receiver of another length is not one,
        # so the text of a receiver (a chain of calls, say) is read only when it may be.
        self.client_lengths: set[int] = set()
        self.templates: list[int] = []  # where the template literals around this one end
        self.env_aliases: set[str] = set()  # names bound to `process.env` itself
        self.requires: set[str] = set()  # names bound to `require` itself

    def text(self, node: Node | None) -> str:
        if node is None:
            return ""
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def name(self, node: Node | None) -> str:
        """An identifier's name, escapes decoded: `c\\u0070` and `cp` are one name."""
        return name_text(self.source, node) if node is not None else ""

    def hoist(self, node: Node) -> None:
        """Before the walk: imports (hoisted in a module anyway) and the aliases of
        `process.env` and `require`, so a function above `const env = process.env` that
        reads `env.X` when called later is read like one below it. Only the alias shapes are
        bound here (no capability is found twice)."""
        if node.type == "import_statement":
            self._import(node)
            return
        name, value = node.child_by_field_name("name"), unwrap(node.child_by_field_name("value"))
        if name is None or value is None:
            return
        if value.type == "identifier":
            if self.name(value) in ("process", "require"):
                self._bind(name, value)
        elif name.type == "identifier" and is_environment(self.source, value):
            self._bind(name, value)

    def visit(self, node: Node, ancestors: Sequence[Node]) -> None:
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
        elif kind == "subscript_expression" or (
            kind == "member_expression" and may_end_in_env(self.source, node)
        ):
            read = self._environment(node, ancestors) or self._aliased_environment(node)
            if read is not None:
                self.found.append(read)
        elif kind == "member_expression" and self.env_aliases:
            read = self._aliased_environment(node)
            if read is not None:
                self.found.append(read)
        elif kind == "string":
            line = node.start_point[0] + 1
            self.found.extend(literal_capabilities(self.text(node)[1:-1], line))
        elif kind == "template_string":
            line = node.start_point[0] + 1
            self.found.extend(literal_capabilities(self._template_text(node), line))

    def dotted(self, node: Node | None) -> str:
        """`AWS.IAM` → `aws-sdk.IAM`, `cp.exec` → `child_process.exec` (through the imports),
        read through the wrappers `javascript_names` steps through: `(0, cp?.["exec"])` is
        `child_process.exec`, `cp[k]` is `child_process.[computed]`, `globalThis.eval` is
        `eval`.

        A loop down the chain, not recursion: `a.b.b.…` thousands long is valid JavaScript,
        and a RecursionError here lost every capability of the file."""
        properties: list[str] = []
        while node is not None:
            kind = node.type
            if kind in MEMBERS:
                properties.append(member_name(self.source, node))
                node = node.child_by_field_name("object")
            elif kind in WRAPPERS:
                node = wrapped(node)
            else:
                break
        if properties and is_global_object(self.source, node) and self.name(node) not in self.names:
            return ".".join(reversed(properties))
        return ".".join([self._head(node), *reversed(properties)])

    def _head(self, node: Node | None) -> str:
        """What a chain starts from: an imported or local name, `this`, a `require()`."""
        if node is None:
            return ""
        if node.type == "identifier":
            name = self.name(node)
            return self.names.get(name, name)
        if node.type == "this":
            return "this"
        if node.type == "call_expression":
            return self._required(node) or ""
        return ""

    def _required(self, node: Node) -> str | None:
        """The module of `require("m")` (or `module.require("m")`, …), else None.

        The callee's type is asked before its text: in `a.b().c().d()` every call asks, and
        reading each callee's whole text was quadratic."""
        callee = node.child_by_field_name("function")
        if not is_require(self.source, callee) and not (
            self.requires
            and callee is not None
            and callee.type == "identifier"
            and self.name(callee) in self.requires
        ):
            return None
        return _module(self, first_argument(node))

    def _bind(self, name: Node | None, value: Node | None) -> None:
        value = unwrap(value)
        if name is None or value is None:
            return
        if value.type == "identifier":
            # `const r = require`, `const { env } = process` (not a local or imported one)
            given = self.name(value)
            if given in self.names:
                return
            if given == "require" and name.type == "identifier":
                self.requires.add(self.name(name))
            elif given == "process" and name.type == "object_pattern":
                for part in name.named_children:
                    self._bind_part("process", part, environment=False)
            return
        if value.type not in BOUND_VALUES:
            return
        module = self.dotted(value) if value.type != "new_expression" else ""
        if value.type == "new_expression":
            service = self._client_service(value.child_by_field_name("constructor"))
            if service and not holds_binding(name):
                self.clients[self.text(name)] = service
                self.client_lengths.add(name.end_byte - name.start_byte)
        elif module and name.type == "identifier":
            self.names[self.name(name)] = module
            if is_environment(self.source, value):
                self.env_aliases.add(self.name(name))
        elif module and name.type == "object_pattern":
            environment = is_environment(self.source, value)
            for part in name.named_children:
                self._bind_part(module, part, environment)

    def _bind_part(self, module: str, part: Node, environment: bool) -> None:
        """`{ exec: run }`, `{ "exec": run }`, `{ ["exec"]: run }`, `{ exec: run = f }`:
        `run` is `module.exec`; `{ exec }` and `{ exec = f }` bind `exec`. With a computed
        key (`{ [k]: run }`) it is `module.[computed]`. Destructured from `process.env`,
        a credential variable's key is a read of it (`{ AWS_SECRET_ACCESS_KEY } =
        process.env`). Only a name can be looked up later, so only a name is bound (the
        text of a nested pattern was read for nothing), and a key's text only when it is a
        name or a literal (no binding nests in one)."""
        if part.type == "object_assignment_pattern":  # `{ exec = f }`
            part = part.child_by_field_name("left") or part
        key: Node | None = part
        local: Node | None = part
        if part.type == "pair_pattern":
            key, local = part.child_by_field_name("key"), part.child_by_field_name("value")
            if local is not None and local.type == "assignment_pattern":  # `{ exec: run = f }`
                local = local.child_by_field_name("left")
        elif part.type != "shorthand_property_identifier_pattern":
            return  # `{ ...rest }`
        member = key_name(self.source, key, MAX_NAME if environment else None)
        if environment and member in CREDENTIAL_VARIABLES:
            self.found.append(Capability(CapKind.CREDENTIALS, member, part.start_point[0] + 1))
        if local is not None and local.type in (
            "identifier",
            "shorthand_property_identifier_pattern",
        ):
            self.names[self.name(local)] = f"{module}.{member}"
            if module == "process" and member == "env":  # `const { env } = process`
                self.env_aliases.add(self.name(local))

    def _import(self, node: Node) -> None:
        module = _module(self, node.child_by_field_name("source")) or ""
        for clause in node.named_children:
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                if part.type == "identifier":
                    self.names[self.name(part)] = module
                elif part.type == "namespace_import":
                    for ident in part.named_children:
                        self.names[self.name(ident)] = module
                elif part.type == "named_imports":
                    for spec in part.named_children:
                        # `import { "exec" as run }`: an export may be named by a string
                        exported = key_name(self.source, spec.child_by_field_name("name"))
                        local = spec.child_by_field_name("alias")
                        self.names[self.name(local) if local else exported] = f"{module}.{exported}"

    def _client_service(self, constructor: Node | None) -> str | None:
        return client_service(self.dotted(constructor))

    def _call(self, node: Node) -> Iterator[Capability]:
        function = unwrap(node.child_by_field_name("function"))
        if function is None or function.type not in MEMBERS:
            name = self.dotted(function)
            if name.rpartition(".")[2] in CALLED or name in CALLED_BY_NAME:
                yield from self._module_call(node, name)
            return
        # `x.y.last(…)`: the chain is followed only when its last name may be ours (the
        # links of `a.b().c().d()` are calls, each of which asks).
        method = member_name(self.source, function)
        if method == "require" and is_require(self.source, function):  # `module.require(…)`
            yield from self._module_call(node, "require")
            return
        owner = function.child_by_field_name("object")
        if method in CALLED or (
            method in CALLED_BY_NAME and is_global_object(self.source, owner)
        ):  # `globalThis.eval(…)` is `eval(…)`
            yield from self._module_call(node, self.dotted(function))
        service = self._client(owner)
        # An SDK method's name is an identifier; `iam["a b"]()` calls none.
        if (
            service
            and method not in NOT_OPERATIONS
            and (method.isidentifier() or method == COMPUTED)
        ):
            line = node.start_point[0] + 1
            yield Capability(CapKind.AWS_CALL, f"{service}:{method[:1].upper()}{method[1:]}", line)

    def _module_call(self, node: Node, name: str) -> Iterator[Capability]:
        """A call of child_process, fs, net or vm, or of eval, Function or require."""
        module, _, member = name.rpartition(".")
        first = first_argument(node)
        line = node.start_point[0] + 1
        # A computed member of child_process or vm (`cp[k](…)`) is taken for the one the
        # code hides: all but a few of their functions run a process or code.
        if module in CHILD_PROCESS and (member in EXEC_METHODS or member == COMPUTED):
            yield Capability(CapKind.EXEC, name, line, _string(self, first) or "")
        elif module in FS_MODULES and member in FS_WRITES:
            path = _string(self, first)
            if path and not (path == "/tmp" or path.startswith("/tmp/")):  # noqa: S108
                yield Capability(CapKind.FS_WRITE, path, line, name)
        elif module in NET_MODULES and member in ("connect", "createConnection"):
            yield from self._socket(node, line)
        elif (member in VM_CALLS or member == COMPUTED) and module in ("vm", "node:vm"):
            yield Capability(CapKind.DYNAMIC_CODE, name, line)
        elif name in ("eval", "Function") and first is not None and first.type != "string":
            detail = text_start(self.source, first, MAX_DETAIL)
            yield Capability(CapKind.DYNAMIC_CODE, f"{name}(…)", line, detail)
        elif name == "require" and first is not None and first.type != "string":
            yield Capability(CapKind.DYNAMIC_CODE, "require(computed)", line)

    def _client(self, receiver: Node | None) -> str | None:
        """The service of the SDK v2 client a method is called on, if the receiver is one:
        a name a client was assigned to, or the client itself (`new AWS.IAM().createUser()`)."""
        receiver = unwrap(receiver)
        if receiver is not None and receiver.type == "new_expression":
            return self._client_service(receiver.child_by_field_name("constructor"))
        if receiver is None or receiver.end_byte - receiver.start_byte not in self.client_lengths:
            return None
        return self.clients.get(self.text(receiver))

    def _new(self, node: Node) -> Iterator[Capability]:
        name = self.dotted(node.child_by_field_name("constructor"))
        line = node.start_point[0] + 1
        module, _, cls = name.rpartition(".")
        call = command_call(name)
        if call is not None:
            yield Capability(CapKind.AWS_CALL, call, line)
        elif name == "Function" or (module in ("vm", "node:vm") and cls == "Script"):
            yield Capability(CapKind.DYNAMIC_CODE, f"new {name}(…)", line)

    def _environment(self, node: Node, ancestors: Sequence[Node]) -> Capability | None:
        """`process.env.X`, `process.env["X"]`, and `process.env` passed whole to a call
        (`f(process.env)`), however `process.env` is written
        (`javascript_names.is_environment`): asked at `process.env`, of what reads it, seen
        through the parentheses and commas around it (`(0, process.env).X`).

        Every member and subscript may be `process.env`, so a member's last bytes are asked
        first (`may_end_in_env`), and only a bounded part of the tree is read: reading each
        link's whole text made a chain of them quadratic."""
        read = read_by(node, ancestors) if is_environment(self.source, node) else None
        if read is None:
            return None
        value, reader = read
        if reader.type == "arguments":
            line = value.start_point[0] + 1
            return Capability(CapKind.CREDENTIALS, "the whole environment (process.env)", line)
        if reader.type in MEMBERS and reader.child_by_field_name("object") == value:
            variable = member_name(self.source, reader, MAX_NAME)
            if variable in CREDENTIAL_VARIABLES:
                return Capability(CapKind.CREDENTIALS, variable, reader.start_point[0] + 1)
        return None

    def _aliased_environment(self, node: Node) -> Capability | None:
        """`env.AWS_SECRET_ACCESS_KEY` or `env["…"]` where `env` was bound to `process.env`
        itself (`const env = process.env`, `const { env } = process`)."""
        owner = unwrap(node.child_by_field_name("object"))
        if owner is None or owner.type != "identifier" or self.name(owner) not in self.env_aliases:
            return None
        variable = member_name(self.source, node, MAX_NAME)
        if variable in CREDENTIAL_VARIABLES:
            return Capability(CapKind.CREDENTIALS, variable, node.start_point[0] + 1)
        return None

    def _template_text(self, node: Node) -> str:
        """What a template literal says, between its backticks, for the literal patterns.

        The templates nested in it are part of it (their rows show at this line too), unless
        it is itself nested MAX_TEMPLATE_NESTING deep: then each nested one reads as an empty
        ``. Read whole at every depth, a template nested ten thousand deep was quadratic;
        the nested ones are still read on their own, at their own lines."""
        while self.templates and self.templates[-1] <= node.start_byte:
            self.templates.pop()  # templates that ended before this one are not around it
        depth = len(self.templates)
        self.templates.append(node.end_byte)
        if depth < MAX_TEMPLATE_NESTING:
            return self.text(node)[1:-1]
        return template_own_text(self.source, node)

    def _socket(self, node: Node, line: int) -> Iterator[Capability]:
        arguments = node.child_by_field_name("arguments")
        values = [a for a in (arguments.named_children if arguments else []) if a.type != "comment"]
        if len(values) >= 2 and values[0].type == "number" and values[1].type == "string":
            host = _string(self, values[1])
            yield Capability(
                CapKind.NETWORK, f"{host}:{self.text(values[0])}", line, "socket connect"
            )


def _module(walker: _Walker, node: Node | None) -> str | None:
    """The module a `require` or `import` names, its escapes decoded (`"\\x63hild_process"`
    is child_process)."""
    name = _string(walker, node)
    return unescape(name) if name is not None else None


def _string(walker: _Walker, node: Node | None) -> str | None:
    """A string literal's text; a template's up to its first `${` (only that part is read:
    `exec(`${exec(`${…}`)}`)` nested deep read every template whole)."""
    if node is None or node.type not in ("string", "template_string"):
        return None
    if node.type == "string":
        return walker.text(node)[1:-1]
    return template_head(walker.source, node)
