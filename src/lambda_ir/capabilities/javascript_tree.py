"""Reading a tree-sitter JavaScript tree in time linear in the file, however deep it nests.

A bundle is attacker-controlled input, and valid JavaScript nests as deep as it likes:
`a.b.c.…`, `a().b().c()…` or `f(f(f(…)))` tens of thousands deep. So these helpers use a
cursor, never recursion; never `Node.parent`, which tree-sitter finds by searching down from
the root; never a tree-sitter query, whose cursor keeps depths in 16 bits (below 65,535
levels it slowed to minutes and skipped the nodes there: a `require("child_process")` nested
that deep was not seen); and never read a node's text once for each node nested in it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from tree_sitter import Node

# The nodes that bind a name: a name holding one of these holds other names (see below).
BINDINGS = ("variable_declarator", "assignment_expression")


def preorder(root: Node, kinds: frozenset[str]) -> Iterator[tuple[Node, Sequence[Node]]]:
    """The nodes of these kinds in source order, outer before inner, with their ancestors
    (the root first, the parent last): one list, changed as the walk goes on, so read it
    before the next node is drawn."""
    cursor = root.walk()
    parents: list[Node] = []
    while True:
        node = cursor.node
        if node is None:  # a cursor always stands on a node; this satisfies the type
            return
        if node.type in kinds:
            yield node, parents
        if cursor.goto_first_child():
            parents.append(node)
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return
            parents.pop()


def first_error(root: Node) -> Node | None:
    """The first syntax error or missing node, searched only under nodes that hold one."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            return node
        stack.extend(reversed([child for child in node.children if child.has_error]))
    return None


def holds_binding(node: Node | None) -> bool:
    """Whether an assignment or declaration is nested in a node (a name, an object's key).

    The text of such a name holds the names nested in it, so reading each one's text was
    quadratic (`a[b[c = new AWS.IAM()] = new AWS.IAM()] = …`); no real name holds one. The
    search stops at the first it meets, so no part of the tree is searched for two names."""
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if current.type in BINDINGS:
            return True
        stack.extend(current.named_children)
    return False


def first_argument(call: Node) -> Node | None:
    """The first argument of a call or `new`, comments left out."""
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return None
    named = [a for a in arguments.named_children if a.type != "comment"]
    return named[0] if named else None


def text_start(source: bytes, node: Node, characters: int) -> str:
    """The first `characters` characters of a node's text, reading no more of it than that
    (`eval(eval(eval(…)))` nested a thousand deep asked for each one's whole text)."""
    end = min(node.end_byte, node.start_byte + 4 * characters + 4)  # ≤ 4 bytes a character
    return source[node.start_byte : end].decode("utf-8", "replace")[:characters]


def template_head(source: bytes, template: Node) -> str:
    """A template literal's text up to its first `${`, reading no further."""
    end = next(
        (c.start_byte for c in template.children if c.type == "template_substitution"),
        max(template.start_byte + 1, template.end_byte - 1),
    )
    return source[template.start_byte + 1 : end].decode("utf-8", "replace").split("${", 1)[0]


def template_own_text(source: bytes, template: Node) -> str:
    """A template's text between its backticks, each template nested in it an empty ``."""
    pieces, start = [], template.start_byte + 1
    stack = template.children[::-1]
    while stack:
        node = stack.pop()
        if node.type == "template_string":
            pieces += [source[start : node.start_byte], b"``"]
            start = node.end_byte
        elif node.child_count:
            stack.extend(reversed(node.children))
    pieces.append(source[start : max(start, template.end_byte - 1)])
    return b"".join(pieces).decode("utf-8", "replace")
