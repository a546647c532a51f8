"""The JSON syntax of CloudWatch Logs filter patterns: `{ $.level = "ERROR" && $.ms > 1000 }`,
`IS TRUE/FALSE/NULL`, `NOT EXISTS`, `$.list[0].name`, parentheses (`logs_filter`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

from lambda_ir.emulator.logs_filter_values import InvalidPattern, value_matches

MAX_NESTING = 16
_JSON_TOKEN = re.compile(
    r'\s*(\$[^\s=!<>()&|]*|"(?:[^"\\]|\\.)*"|%[^%]*%|&&|\|\||[()]|!=|<=|>=|=|<|>'
    r"|IS\s+(?:TRUE|FALSE|NULL)|NOT\s+EXISTS|[^\s=!<>()&|]+)"
)


def json_pattern(text: str) -> Callable[[str], bool]:
    if not text.endswith("}"):
        raise InvalidPattern("a JSON filter pattern ends with '}'")
    tokens = _json_tokens(text[1:-1])
    parser = _JsonParser(tokens)
    expression = parser.parse()

    def match(message: str) -> bool:
        try:
            document = orjson.loads(message)
        except orjson.JSONDecodeError:
            return False
        return expression(document)

    return match


def _json_tokens(body: str) -> list[str]:
    tokens: list[str] = []
    at = 0
    while at < len(body):
        if body[at:].strip() == "":
            break
        found = _JSON_TOKEN.match(body, at)
        if found is None:
            raise InvalidPattern(f"invalid JSON filter pattern near: {body[at : at + 20]}")
        tokens.append(found.group(1))
        at = found.end()
    return tokens


class _JsonParser:
    """expression := term (('&&' | '||') term)*; term := '(' expression ')' | comparison."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.at = 0
        self.depth = 0

    def parse(self) -> Callable[[Any], bool]:
        expression = self._expression()
        if self.at != len(self.tokens):
            raise InvalidPattern(f"unexpected '{self.tokens[self.at]}' in JSON filter pattern")
        return expression

    def _next(self) -> str:
        if self.at >= len(self.tokens):
            raise InvalidPattern("JSON filter pattern ends too early")
        self.at += 1
        return self.tokens[self.at - 1]

    def _expression(self) -> Callable[[Any], bool]:
        terms = [self._term()]
        operators: list[str] = []
        while self.at < len(self.tokens) and self.tokens[self.at] in ("&&", "||"):
            operators.append(self._next())
            terms.append(self._term())
        # && binds tighter than ||: split on || into groups of &&-ed terms.
        groups: list[list[Callable[[Any], bool]]] = [[terms[0]]]
        for operator, term in zip(operators, terms[1:], strict=True):
            if operator == "||":
                groups.append([term])
            else:
                groups[-1].append(term)
        return lambda doc: any(all(t(doc) for t in group) for group in groups)

    def _term(self) -> Callable[[Any], bool]:
        word = self._next()
        if word == "(":
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise InvalidPattern("JSON filter pattern nested too deep")
            inner = self._expression()
            if self._next() != ")":
                raise InvalidPattern("unbalanced parentheses in JSON filter pattern")
            self.depth -= 1
            return inner
        if not word.startswith("$"):
            raise InvalidPattern(f"expected a $.selector in JSON filter pattern, got '{word}'")
        path = _selector(word)
        operator = self._next()
        if operator.startswith("IS"):
            wanted = operator.split()[-1]
            return lambda doc: _is(_lookup(doc, path), wanted)
        if operator.startswith("NOT"):
            return lambda doc: _lookup(doc, path) is _MISSING
        if operator not in ("=", "!=", "<", "<=", ">", ">="):
            raise InvalidPattern(f"expected an operator after {word}, got '{operator}'")
        expected = self._next()
        if expected in ("&&", "||", "(", ")"):
            raise InvalidPattern(f"expected a value after {word} {operator}")
        value_matches(None, operator, expected)  # refuse `< abc` now, not per event

        def compare(doc: Any) -> bool:
            actual = _lookup(doc, path)
            if actual is _MISSING or isinstance(actual, dict | list):
                return False
            return value_matches(actual, operator, expected)

        return compare


_MISSING = object()


def _selector(selector: str) -> list[str | int]:
    if selector == "$":
        return []
    if not selector.startswith("$."):
        raise InvalidPattern(f"invalid selector {selector}")
    path: list[str | int] = []
    for part in re.findall(r"\.([^.\[\]]+)|\[(\d+|\*)\]", selector[1:]):
        name, index = part
        path.append(name if name else (int(index) if index != "*" else "*"))
    return path


def _lookup(document: Any, path: list[str | int]) -> Any:
    value = document
    for step in path:
        if isinstance(value, list) and isinstance(step, int) and step < len(value):
            value = value[step]
            continue
        if isinstance(value, dict) and isinstance(step, str) and step in value:
            value = value[step]
            continue
        return _MISSING
    return value


def _is(value: Any, wanted: str) -> bool:
    if wanted == "NULL":
        return value is None
    return value is (wanted == "TRUE")
