"""Capabilities found by patterns: in any text, in string literals, and as the parsers' fallback.

The parsers (`python_ast`, `javascript`) hand every string literal to
`literal_capabilities`; `scan_text` runs the same patterns over a whole file that did not
parse (or is not source), plus patterns for calls that a parser would have resolved. Pattern
rows are what the text says, not what the code does: the `parser` column says which is which.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum


class CapKind(StrEnum):
    """What a capability row is."""

    AWS_CALL = "aws-call"
    NETWORK = "network"
    EXEC = "exec"
    CREDENTIALS = "credentials"
    DYNAMIC_CODE = "dynamic-code"
    FS_WRITE = "fs-write"


@dataclass(frozen=True)
class Capability:
    """One thing a file can do, where (1-based line; 0 for binaries), and the text behind it."""

    kind: CapKind
    value: str
    line: int
    detail: str = ""


MAX_DETAIL = 200
# A name the code computes where the reader looks for one (`AWS[k]`, `cp["ex" + "ec"]`): it
# stands for the service, operation or function the reader cannot name, and is no real one.
COMPUTED = "[computed]"
LineOf = Callable[[int], int]
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IP = rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}"
URL = re.compile(
    r"\b((?:https?|wss?|ftp|tcp|udp|stratum\d?\+(?:tcp|ssl|tls))://)"
    r"([A-Za-z0-9_.\-]+|\[[0-9a-fA-F:]+\])(:\d{1,5})?([^\s'\"`<>()\\]*)"
)
RAW_IP = re.compile(rf"(?<![\w.:/]){_IP}(?::(\d{{1,5}}))?(?![\w.])")
# Ports of cryptocurrency mining pools (stratum): a host:port with one of them is a destination.
MINING_PORTS = frozenset({"3333", "4444", "5555", "7777", "8888", "9999", "14433", "14444"})
HOST_PORT = re.compile(r"(?<![\w.\-/@])([a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}):(\d{2,5})\b")
CREDENTIAL_MARKERS = {
    "AWS_SECRET_ACCESS_KEY": "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN": "AWS_SESSION_TOKEN",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI": "container credentials endpoint",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "container credentials endpoint",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN": "container credentials endpoint",
    "169.254.170.2": "container credentials endpoint",
    "169.254.169.254": "instance metadata endpoint",
    "/proc/self/environ": "/proc/self/environ",
    ".aws/credentials": "~/.aws/credentials",
}
# Environment variables holding the function's credentials (or the way to fetch them).
CREDENTIAL_VARIABLES = frozenset(
    {
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ACCESS_KEY_ID",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    }
)
CREDENTIAL_TEXT = re.compile(
    "|".join(re.escape(k) for k in CREDENTIAL_MARKERS) + r"|/proc/\d+/environ"
)
LOOPBACK = ("127.", "0.0.0.0", "localhost", "255.255.255.255")  # noqa: S104 (a pattern, not a bind)
EXEC_TEXT = re.compile(
    r"\b(subprocess\.(?:run|Popen|call|check_call|check_output|getoutput|getstatusoutput)"
    r"|os\.(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?)"
    r"|child_process|execSync|spawnSync|execFileSync|pty\.spawn)\b"
    r"|(/bin/(?:ba)?sh\b)"
)
DYNAMIC_TEXT = re.compile(r"(?<![\w.])(eval|exec|new\s+Function|Function)\s*\(\s*(?![\s)'\"`])")
SDK_V3_PACKAGE = re.compile(r"@aws-sdk/client-([a-z0-9-]+)")
SDK_V3_COMMAND = re.compile(r"\b([A-Z][A-Za-z0-9]+)Command\b")
CLIENT_CALL = re.compile(r"\.(?:client|resource)\(\s*['\"]([a-z0-9-]+)['\"]")
# What a detail's clipping looks for (see `_clip_line`).
VISIBLE = re.compile(r"\S")
VISIBLE_OR_NEWLINE = re.compile(r"\S|\n")
# IAM/STS/Lambda operations a fallback names by method, as boto3 (snake) or the JS SDK (camel).
FALLBACK_OPERATIONS = {
    name: f"{service}:{name}"
    for service, names in {
        "iam": (
            "UpdateAssumeRolePolicy",
            "CreateAccessKey",
            "CreateLoginProfile",
            "UpdateLoginProfile",
            "AttachRolePolicy",
            "AttachUserPolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "CreatePolicyVersion",
            "SetDefaultPolicyVersion",
            "AddUserToGroup",
            "CreateUser",
            "CreateRole",
        ),
        "sts": ("AssumeRole", "GetSessionToken", "GetFederationToken"),
        "lambda": (
            "UpdateFunctionCode",
            "UpdateFunctionConfiguration",
            "CreateFunction",
            "AddPermission",
            "CreateEventSourceMapping",
            "PublishLayerVersion",
        ),
    }.items()
    for name in names
}
_SNAKE = {re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower(): op for op in FALLBACK_OPERATIONS}
_CAMEL = {op[0].lower() + op[1:]: op for op in FALLBACK_OPERATIONS}
OPERATION_TEXT = re.compile(r"\.(" + "|".join(sorted({*_SNAKE, *_CAMEL})) + r")\s*\(")


def literal_capabilities(text: str, line: int) -> Iterator[Capability]:
    """Destinations and credential markers in one string literal (or any text), at `line`."""
    if len(text) < 7:
        return
    yield from _destinations(text, lambda _offset: line)
    for match in CREDENTIAL_TEXT.finditer(text):
        marker = CREDENTIAL_MARKERS.get(match.group(0), "/proc/<pid>/environ")
        yield Capability(CapKind.CREDENTIALS, marker, line, _clip(text))


def scan_text(text: str) -> tuple[Capability, ...]:
    """Every pattern over a whole text, with the line of each match."""
    starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def line_of(offset: int) -> int:
        return bisect.bisect_right(starts, offset)

    found = list(_destinations(text, line_of))
    for match in CREDENTIAL_TEXT.finditer(text):
        marker = CREDENTIAL_MARKERS.get(match.group(0), "/proc/<pid>/environ")
        found.append(
            Capability(CapKind.CREDENTIALS, marker, line_of(match.start()), _around(text, match))
        )
    # A script's `#!/bin/sh` names its interpreter; it is not the code running a command.
    shebang = len(text.split("\n", 1)[0]) if text.startswith("#!") else -1
    for match in EXEC_TEXT.finditer(text):
        if match.start() > shebang:
            where = line_of(match.start())
            found.append(Capability(CapKind.EXEC, match.group(0), where, _around(text, match)))
    for match in DYNAMIC_TEXT.finditer(text):
        value = re.sub(r"\s+", " ", match.group(1))
        found.append(
            Capability(CapKind.DYNAMIC_CODE, value, line_of(match.start()), _around(text, match))
        )
    found.extend(_aws_calls(text, line_of))
    return tuple(found)


def _aws_calls(text: str, line_of: LineOf) -> Iterator[Capability]:
    packages = {m.group(1) for m in SDK_V3_PACKAGE.finditer(text)}
    if len(packages) == 1:  # commands are only attributable when one client package is used
        service = sdk_v3_service(next(iter(packages)))
        for match in SDK_V3_COMMAND.finditer(text):
            name = match.group(1)
            if name != "Client" and not name.endswith("Client"):
                yield Capability(CapKind.AWS_CALL, f"{service}:{name}", line_of(match.start()))
    for match in OPERATION_TEXT.finditer(text):
        method = match.group(1)
        operation = _SNAKE.get(method) or _CAMEL[method]
        yield Capability(CapKind.AWS_CALL, FALLBACK_OPERATIONS[operation], line_of(match.start()))
    for match in CLIENT_CALL.finditer(text):
        value = f"{match.group(1)}:client"
        yield Capability(CapKind.AWS_CALL, value, line_of(match.start()), _around(text, match))


SERVICE_OF_PACKAGE = {
    "cloudwatch-logs": "logs",
    "eventbridge": "events",
    "cognito-identity-provider": "cognito-idp",
    "lib-dynamodb": "dynamodb",
    "secrets-manager": "secretsmanager",
}


def sdk_v3_service(package: str) -> str:
    """`@aws-sdk/client-<package>` → the IAM service prefix."""
    return SERVICE_OF_PACKAGE.get(package, package)


def _destinations(text: str, line_of: LineOf) -> Iterator[Capability]:
    in_urls: list[tuple[int, int]] = []
    for match in URL.finditer(text):
        in_urls.append(match.span())
        scheme, host, port = match.group(1), match.group(2).lower(), match.group(3) or ""
        if host.startswith(LOOPBACK) or host.startswith(("169.254.",)):
            continue
        value = f"{scheme}{host}{port}"
        yield Capability(CapKind.NETWORK, value, line_of(match.start()), _clip(match.group(0)))
    for match in RAW_IP.finditer(text):
        if _inside(match.start(), in_urls):
            continue
        address = match.group(0)
        if address.startswith(LOOPBACK) or address.startswith("169.254."):
            continue
        yield Capability(CapKind.NETWORK, address, line_of(match.start()), _around(text, match))
    for match in HOST_PORT.finditer(text):
        if match.group(2) in MINING_PORTS and not _inside(match.start(), in_urls):
            value = f"{match.group(1)}:{match.group(2)}"
            yield Capability(CapKind.NETWORK, value, line_of(match.start()), _around(text, match))


def is_aws_endpoint(value: str) -> bool:
    """A destination that is an AWS service endpoint (the SDK's own traffic)."""
    host = value.split("://", 1)[-1].split(":", 1)[0].split("/", 1)[0]
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".aws"))


def is_raw_ip(value: str) -> bool:
    """A destination given as an IPv4 address rather than a name."""
    host = value.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
    return RAW_IP.fullmatch(host) is not None


def _inside(offset: int, spans: list[tuple[int, int]]) -> bool:
    """Whether `offset` is in one of `spans` (in order, apart, as `finditer` gives them).

    A search, not a scan: a string of ten thousand URLs, each with an address in it, checked
    every address against every URL."""
    at = bisect.bisect_right(spans, offset, key=lambda span: span[0]) - 1
    return at >= 0 and offset < spans[at][1]


def _around(text: str, match: re.Match[str]) -> str:
    """The match's line from up to 80 characters before it to the line's end, clipped."""
    start = text.rfind("\n", max(0, match.start() - 80), match.start()) + 1
    return _clip_line(text, max(start, match.start() - 80), match.end())


def _clip_line(text: str, start: int, after: int) -> str:
    """`_clip(text[start:end])`, `end` the first newline from `after` (or the text's end).

    It reads no more of the line than the clipped text shows, and the spaces after that:
    reading a long line (a minified bundle's) to its end for each match was quadratic."""
    visible = VISIBLE.search(text, start)
    if visible is None or (visible.start() >= after and "\n" in text[after : visible.start()]):
        return ""  # nothing but spaces before the line ends
    first = visible.start()
    shown = first + MAX_DETAIL  # the clipped text never shows a character from here on
    rest = max(after, shown)
    end = text.find("\n", after, rest)
    if end != -1:  # the line ends before anything is cut off
        return _clip(text[start:end])
    past = VISIBLE.search(text, shown, rest) or VISIBLE_OR_NEWLINE.search(text, rest)
    if past is not None and past.group() != "\n":
        return text[first : shown - 1] + "…"  # something visible is cut off
    return text[first:shown].rstrip()


def _clip(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"
