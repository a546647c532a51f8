"""What a JavaScript receiver, callee or key names, read through the wrappings that hide it.

Code can reach `process.env`, `require` or an SDK class without writing its name plainly:
`process?.env`, `(process).env`, `(0, process.env)`, `process["env"]`,
`globalThis.process.env`, `module.require("child_process")`, `new (AWS.IAM)()`. These
helpers read a node as JavaScript evaluates it: parentheses and the comma operator (whose
value is its last expression) are stepped through, `?.` reads as `.` (the tree has the same
fields), a subscript with a literal key (`x["exec"]`, `` x[`exec`] ``) as the member it
names, and escapes as what they stand for (`x["\\x65xec"]`, `\\u0065nv`). A key the code
computes (`x[k]`, `{ ["IA" + "M"]: C }`) is COMPUTED, never the text of the expression that
computes it.

Each helper looks a fixed number of links below the node it is given (`read_by`: above
it), and through the parentheses and commas around each link (which belong to that link
alone); a key's text is read only when it may be the name asked for (MAX_NAME). So the
walker that asks at every node stays linear in the file however deep the wrappers nest
(see `javascript_tree`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tree_sitter import Node

from lambda_ir.capabilities.text import COMPUTED

MEMBERS = ("member_expression", "subscript_expression")
WRAPPERS = ("parenthesized_expression", "sequence_expression")
# Node's global object by its two names: `globalThis.process` is `process`.
GLOBAL_OBJECTS = (b"globalThis", b"global")
# No name looked for is this long (escapes included); a longer key is not read.
MAX_NAME = 256
NAMES = (
    "identifier",
    "property_identifier",
    "private_property_identifier",
    "shorthand_property_identifier_pattern",
)
ESCAPE = re.compile(
    r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[0-3][0-7]{0,2}|[4-7][0-7]?|\r\n|[\s\S])"
)
SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}
# The last character of an escaped name (`en\\u0076`, `en\\u{76}`).
ESCAPE_ENDS = frozenset(b"0123456789abcdefABCDEF}")
LINE_CONTINUATIONS = ("\n", "\r\n", "\r", "\u2028", "\u2029")


def unwrap(node: Node | None) -> Node | None:
    """The expression a node evaluates to: `(x)`, `(0, x)` and `((x))` are `x`."""
    while node is not None and node.type in WRAPPERS:
        node = wrapped(node)
    return node


def wrapped(wrapper: Node) -> Node | None:
    """The expression a parenthesis or a comma gives, one level down: `(x)` or `(0, x)`."""
    node: Node | None
    if wrapper.type == "parenthesized_expression":
        node = wrapper.named_child(0)
        while node is not None and node.type == "comment":
            node = node.next_named_sibling
    else:
        node = wrapper.named_child(wrapper.named_child_count - 1)
        while node is not None and node.type == "comment":
            node = node.prev_named_sibling
    return node


def read_by(node: Node, ancestors: Sequence[Node]) -> tuple[Node, Node] | None:
    """What reads a node's value, through the parentheses and commas around it, with the
    outermost of those (or the node): in `(0, process.env).X`, `process.env` is read by the
    member `.X`, as `(0, process.env)`; in `(process.env, 0).X` by nothing. `ancestors` is
    the root first, the parent last (`javascript_tree.preorder`)."""
    value, depth = node, len(ancestors)
    while depth and ancestors[depth - 1].type in WRAPPERS:
        wrapper = ancestors[depth - 1]
        # A parenthesis holds one expression; a comma's value is the one it ends with (its
        # bytes say: finding its last child takes a walk over all of them, and each
        # `process.env` in `(process.env, process.env, …, x)` asks).
        if wrapper.type == "sequence_expression" and value.end_byte != wrapper.end_byte:
            return None
        value, depth = wrapper, depth - 1
    return (value, ancestors[depth - 1]) if depth else None


def name_text(source: bytes, node: Node) -> str:
    """An identifier's name, its escapes decoded (`c\\u0070` is `cp`)."""
    return unescape(source[node.start_byte : node.end_byte].decode("utf-8", "replace"))


def member_name(source: bytes, node: Node, longest: int | None = None) -> str:
    """The member a member or subscript expression reads: `exec` in `cp.exec`, `cp?.exec`,
    `cp["exec"]`; COMPUTED for `cp[k]`, or for a name over `longest` bytes (left unread)."""
    if node.type == "subscript_expression":
        return literal_name(source, unwrap(node.child_by_field_name("index")), longest)
    name = node.child_by_field_name("property")  # every link of a chain asks: kept short
    if name is None or (longest is not None and name.end_byte - name.start_byte > longest):
        return COMPUTED
    text = source[name.start_byte : name.end_byte].decode("utf-8", "replace")
    return unescape(text) if "\\" in text else text


def key_name(source: bytes, key: Node | None, longest: int | None = None) -> str:
    """The name of a property or a destructuring key: `exec`, `"exec"`, `["exec"]`;
    COMPUTED for `[k]` or `["ex" + "ec"]` (see `member_name` for `longest`)."""
    if key is None or (longest is not None and key.end_byte - key.start_byte > longest):
        return COMPUTED
    if key.type in NAMES:
        return name_text(source, key)
    if key.type == "computed_property_name":
        inner = next((c for c in key.named_children if c.type != "comment"), None)
        return literal_name(source, unwrap(inner), longest)
    return literal_name(source, key, longest)


def literal_name(source: bytes, node: Node | None, longest: int | None = None) -> str:
    """A string, a template without `${}` or a number as a name (escapes decoded), else
    COMPUTED (see `member_name` for `longest`)."""
    if node is None or node.type not in ("string", "template_string", "number"):
        return COMPUTED
    if longest is not None and node.end_byte - node.start_byte > longest:
        return COMPUTED
    if node.type == "template_string" and any(
        c.type == "template_substitution" for c in node.children
    ):
        return COMPUTED
    text = source[node.start_byte : node.end_byte].decode("utf-8", "replace")
    return text if node.type == "number" else unescape(text[1:-1])


def is_named(source: bytes, node: Node | None, name: bytes) -> bool:
    """Whether a node (through wrappers) is the identifier `name`."""
    node = unwrap(node)
    return node is not None and node.type == "identifier" and _spells(source, node, name)


def is_process(source: bytes, node: Node | None) -> bool:
    """`process`, or `globalThis.process` / `global.process`, however written."""
    node = unwrap(node)
    if node is None or node.type not in MEMBERS:
        return is_named(source, node, b"process")
    owner = node.child_by_field_name("object")
    return member_name(source, node, MAX_NAME) == "process" and is_global_object(source, owner)


def is_environment(source: bytes, node: Node | None) -> bool:
    """`process.env`, however written: `process?.env`, `(0, process).env`, `process["env"]`,
    `globalThis.process.env`."""
    node = unwrap(node)
    if node is None:
        return False
    if node.type == "member_expression":
        name = node.child_by_field_name("property")
    elif node.type == "subscript_expression":
        name = unwrap(node.child_by_field_name("index"))
    else:
        return False
    return (
        name is not None
        and _spells(source, name, b"env")
        and is_process(source, node.child_by_field_name("object"))
    )


def may_end_in_env(source: bytes, node: Node) -> bool:
    """Whether a member expression's last bytes may spell `env` (`.env`, `.\\u0065nv`,
    `.en\\u0076`), asked before `is_environment` at every link of every chain: it reads
    bytes, where `is_environment` reads nodes."""
    end = node.end_byte
    last = source[end - 1]
    if last == ord("v"):
        return True
    if last not in ESCAPE_ENDS:
        return False
    return source.find(b"\\", end - MAX_NAME if end > MAX_NAME else 0, end) != -1


def is_require(source: bytes, callee: Node | None) -> bool:
    """Whether a callee loads a module: `require`, `module.require`,
    `process.mainModule.require` or `require.main.require` (each, like `require`, takes a
    module name and returns its exports)."""
    callee = unwrap(callee)
    if callee is None or callee.type not in MEMBERS:
        return is_named(source, callee, b"require")
    if member_name(source, callee, MAX_NAME) != "require":
        return False
    owner = unwrap(callee.child_by_field_name("object"))
    if owner is None or owner.type not in MEMBERS:
        return is_named(source, owner, b"module")
    name = member_name(source, owner, MAX_NAME)
    inner = owner.child_by_field_name("object")
    return (name == "mainModule" and is_process(source, inner)) or (
        name == "main" and is_named(source, inner, b"require")
    )


def is_global_object(source: bytes, node: Node | None) -> bool:
    """Whether a node is `globalThis` or `global`: `globalThis.eval` is `eval`."""
    return any(is_named(source, node, name) for name in GLOBAL_OBJECTS)


def unescape(text: str) -> str:
    """A JavaScript string's or name's escapes decoded (`\\x65xec` is `exec`); a lone
    surrogate, which no name holds, becomes U+FFFD."""
    if "\\" not in text:
        return text
    return ESCAPE.sub(_decode_escape, text)


def _decode_escape(match: re.Match[str]) -> str:
    escape = match.group(1)
    if escape in LINE_CONTINUATIONS:
        return ""
    if len(escape) > 1 and escape[0] in "ux":
        code = int(escape.strip("ux{}"), 16)
        if code > 0x10FFFF:
            return match.group(0)
        return "\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code)
    if escape[0] in "01234567":  # `\0`, and the octal escapes of sloppy mode (`\101` is A)
        return chr(int(escape, 8))
    return SIMPLE_ESCAPES.get(escape, escape)


def _spells(source: bytes, node: Node, name: bytes) -> bool:
    """Whether a name or a literal key spells `name`: its bytes are compared when it is as
    long, and its escapes decoded only when it is longer (as an escaped spelling is) yet
    short. `key_name` says the same, reading more."""
    kind = node.type
    quoted = kind in ("string", "template_string")
    if not quoted and kind not in NAMES:
        return False
    start, end = node.start_byte + quoted, node.end_byte - quoted
    if end - start == len(name):
        return source.startswith(name, start)
    if not len(name) < end - start <= MAX_NAME or source.find(b"\\", start, end) == -1:
        return False
    return key_name(source, node) == name.decode()
