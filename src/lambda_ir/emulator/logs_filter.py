"""CloudWatch Logs filter patterns, as FilterLogEvents applies them (moto ignores most).

moto 5.2.5 understands one bare or quoted term and answers every other pattern with every
event: a test double that silently ignores a filter hides bugs. This implements the
documented syntax (FilterAndPatternSyntax) and refuses what AWS refuses:

- terms: `ERROR` (case-sensitive; several terms must all appear), `"exact phrase"`,
  `?ERROR ?WARN` (any), `-term` (must not appear); an unquoted term holds only letters,
  digits and `_`;
- regex: `%ERROR|WARN%`, with only AWS's characters (letters, digits, `:_#=@/;,-`, the
  operators `^$?[]{}|\\*+.`; no groups, nothing multi-byte);
- space-delimited: `[ip, user, ..., status = 4*, bytes > 100]`, `...` skipping fields,
  `=`/`!=`/`<`/`<=`/`>`/`>=`, `*` wildcards, `&&`/`||` on one field;
- JSON: `{ $.level = "ERROR" }`, `{ ($.a > 5) && ($.b = %x% ) || $.c IS TRUE }`,
  `IS NULL`, `NOT EXISTS`, `$.list[0].name`.

An invalid pattern raises `InvalidPattern`, answered as InvalidParameterException.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from typing import Any

import orjson

from lambda_ir.emulator.http import Response, json_error, json_response

Matcher = Callable[[str], bool]
MAX_PATTERN = 1024  # FilterLogEvents' documented length limit
MAX_NESTING = 16
_TERM = re.compile(r"[A-Za-z0-9_]+")
_REGEX_OK = re.compile(r"[A-Za-z0-9:_#=@/;,\-^$?\[\]{}|\\*+. ]*")
_JSON_TOKEN = re.compile(
    r'\s*(\$[^\s=!<>()&|]*|"(?:[^"\\]|\\.)*"|%[^%]*%|&&|\|\||[()]|!=|<=|>=|=|<|>'
    r"|IS\s+(?:TRUE|FALSE|NULL)|NOT\s+EXISTS|[^\s=!<>()&|]+)"
)
_FIELD_CONDITION = re.compile(r"^\s*(\w+)\s*(!=|<=|>=|=|<|>)\s*(.+?)\s*$")
_MESSAGE_FIELD = re.compile(r'\[[^\]]*\]|"[^"]*"|\S+')


class InvalidPattern(ValueError):
    """A filter pattern FilterLogEvents refuses (InvalidParameterException)."""


def compile_pattern(pattern: str) -> Matcher:
    """The matcher for one filterPattern; `InvalidPattern` when AWS would refuse it."""
    if len(pattern) > MAX_PATTERN:
        raise InvalidPattern(f"filterPattern longer than {MAX_PATTERN} characters")
    text = pattern.strip()
    if not text:
        return lambda _message: True
    if text.startswith("{"):
        return _json_pattern(text)
    if text.startswith("["):
        return _delimited_pattern(text)
    if len(text) > 1 and text.startswith("%") and text.endswith("%"):
        return _regex(text).search_bool
    return _terms_pattern(text)


class _Regex:
    def __init__(self, compiled: re.Pattern[str]) -> None:
        self.compiled = compiled

    def search_bool(self, message: str) -> bool:
        return self.compiled.search(message) is not None


def _regex(text: str) -> _Regex:
    body = text[1:-1]
    if not body or not body.isascii() or not _REGEX_OK.fullmatch(body):
        raise InvalidPattern(f"invalid regex in filter pattern: {text}")
    try:
        return _Regex(re.compile(body))
    except re.error as exc:
        raise InvalidPattern(f"invalid regex in filter pattern: {text}: {exc}") from exc


def _terms_pattern(text: str) -> Matcher:
    words = re.findall(r'[?-]?"(?:[^"\\]|\\.)*"|\S+', text)
    required: list[str] = []
    optional: list[str] = []
    excluded: list[str] = []
    for word in words:
        prefix = word[0] if word[0] in "?-" and len(word) > 1 else ""
        term = _term(word[len(prefix) :])
        {"?": optional, "-": excluded, "": required}[prefix].append(term)

    def match(message: str) -> bool:
        if any(term in message for term in excluded):
            return False
        if not all(term in message for term in required):
            return False
        return not optional or any(term in message for term in optional)

    return match


def _term(word: str) -> str:
    if len(word) >= 2 and word.startswith('"') and word.endswith('"'):
        return word[1:-1].replace('\\"', '"')
    if not _TERM.fullmatch(word):
        raise InvalidPattern(f"Invalid character(s) in term '{word}'")
    return word


def _value_matches(actual: Any, operator: str, expected: str) -> bool:
    """One comparison as the delimited and JSON syntaxes define it."""
    if expected.startswith("%") and expected.endswith("%") and len(expected) > 1:
        found = actual is not None and _regex(expected).search_bool(str(actual))
        return found if operator == "=" else not found
    number = _number(expected)
    if operator in ("<", "<=", ">", ">="):
        value = _number(actual)
        if number is None:
            raise InvalidPattern(f"'{operator}' needs a number, not {expected}")
        if value is None:
            return False
        return {"<": value < number, "<=": value <= number, ">": value > number}.get(
            operator, value >= number
        )
    if number is not None and _number(actual) is not None and not expected.startswith('"'):
        equal = _number(actual) == number
    else:
        wanted = expected[1:-1] if expected.startswith('"') else expected
        text = "" if actual is None else _text(actual)
        equal = fnmatch.fnmatchcase(text, wanted) if "*" in wanted else text == wanted
    return equal if operator == "=" else not equal


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _delimited_pattern(text: str) -> Matcher:
    if not text.endswith("]"):
        raise InvalidPattern("a space-delimited filter pattern ends with ']'")
    specs = [spec.strip() for spec in text[1:-1].split(",")]
    if not specs or any(not spec for spec in specs):
        raise InvalidPattern("empty field in space-delimited filter pattern")
    fields = [_field_spec(spec) for spec in specs]

    def match(message: str) -> bool:
        values = [v[1:-1] if v[:1] in '["' else v for v in _MESSAGE_FIELD.findall(message)]
        return _fields_match(fields, values)

    return match


def _field_spec(spec: str) -> Matcher | None:
    """None for `...`; else a test on one field (a bare name matches any value)."""
    if spec == "...":
        return None
    alternatives = spec.split("||")
    checks: list[list[tuple[str, str]]] = []
    for alternative in alternatives:
        conjunction = []
        for part in alternative.split("&&"):
            condition = _FIELD_CONDITION.match(part)
            if condition is None:
                if not re.fullmatch(r"\s*\w+\s*", part):
                    raise InvalidPattern(f"invalid field in filter pattern: {spec}")
                continue
            conjunction.append((condition.group(2), condition.group(3)))
        checks.append(conjunction)
    return lambda value: any(all(_value_matches(value, o, e) for o, e in c) for c in checks)


def _fields_match(fields: list[Matcher | None], values: list[str]) -> bool:
    """Match field specs against values; `...` (None) absorbs any number of fields."""
    # Positions reachable so far, as a set: iterative, no backtracking recursion.
    reachable = {0}
    for spec in fields:
        if spec is None:
            reachable = set(range(min(reachable), len(values) + 1)) if reachable else set()
        else:
            reachable = {i + 1 for i in reachable if i < len(values) and spec(values[i])}
        if not reachable:
            return False
    return len(values) in reachable


def _json_pattern(text: str) -> Matcher:
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
        _value_matches(None, operator, expected)  # refuse `< abc` now, not per event

        def compare(doc: Any) -> bool:
            actual = _lookup(doc, path)
            if actual is _MISSING or isinstance(actual, dict | list):
                return False
            return _value_matches(actual, operator, expected)

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


def filter_log_events(params: dict[str, Any], forward: Callable[[bytes], Response]) -> Response:
    """FilterLogEvents with its filterPattern applied by us (moto sees none) or refused.

    Each page moto returns is filtered after the fact: AWS too may return fewer events than
    `limit` on a page (or none) with a nextToken, so paging callers already handle it.
    """
    try:
        matches = compile_pattern(str(params.get("filterPattern") or ""))
    except InvalidPattern as exc:
        return json_error("InvalidParameterException", str(exc))
    unfiltered = {k: v for k, v in params.items() if k != "filterPattern"}
    response = forward(orjson.dumps(unfiltered))
    document = response.json()
    if response.status != 200 or not isinstance(document, dict):
        return response
    events = document.get("events") or []
    document["events"] = [e for e in events if matches(str(e.get("message", "")))]
    return json_response(document, content_type="application/x-amz-json-1.1")
