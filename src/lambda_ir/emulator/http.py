"""HTTP responses inside the emulator's WSGI layer, and AWS's error shapes per protocol."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Any

import orjson


@dataclass(frozen=True)
class Response:
    """A complete HTTP response: status, headers (in order) and body bytes."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    extras: dict[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> str:
        """The first value of a header (case-insensitive), '' when absent."""
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), "")

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON."""
        try:
            return orjson.loads(self.body) if self.body else None
        except orjson.JSONDecodeError:
            return None

    def with_json(self, document: Any) -> Response:
        """The same response with a new JSON body (Content-Length fixed up)."""
        body = orjson.dumps(document)
        headers = tuple((k, v) for k, v in self.headers if k.lower() != "content-length")
        return replace(self, body=body, headers=(*headers, ("Content-Length", str(len(body)))))


def json_response(
    document: Any, status: int = 200, *, content_type: str = "application/json"
) -> Response:
    """A JSON response with AWS's request-id header."""
    body = b"" if document is None else orjson.dumps(document)
    return Response(
        status,
        (
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ),
        body,
    )


def rest_error(status: int, code: str, message: str, **fields: str) -> Response:
    """A REST-JSON error as Lambda sends it: `x-amzn-ErrorType` header plus Type/message body."""
    response = json_response({"Type": "User", "message": message, **fields}, status)
    return replace(response, headers=(*response.headers, ("x-amzn-ErrorType", code)))


def json_error(code: str, message: str, status: int = 400) -> Response:
    """A JSON-1.1 protocol error (CloudTrail, Logs): `__type` in the body, HTTP 400."""
    return json_response(
        {"__type": code, "message": message}, status, content_type="application/x-amz-json-1.1"
    )


def error_code(response: Response) -> tuple[str, str]:
    """(errorCode, errorMessage) of a failed response in any protocol, as CloudTrail logs it."""
    code = response.header("x-amzn-ErrorType").split(":")[0]
    document = response.json()
    message = ""
    if isinstance(document, dict):
        code = code or str(document.get("__type", "")).rpartition("#")[2]
        message = str(document.get("message") or document.get("Message") or "")
    elif response.body.lstrip().startswith(b"<"):
        code = code or _xml_text(response.body, "Code")
        message = _xml_text(response.body, "Message")
    return code or str(response.status), message


def _xml_text(body: bytes, tag: str) -> str:
    text = body.decode("utf-8", "replace")
    start = text.find(f"<{tag}>")
    end = text.find(f"</{tag}>", start)
    return text[start + len(tag) + 2 : end] if start >= 0 and end > start else ""
