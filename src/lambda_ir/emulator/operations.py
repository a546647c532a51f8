"""Which AWS operation an HTTP request is, read from botocore's own service models.

The emulator must name every call (CloudTrail eventName, quota bucket, gap handler) exactly
as AWS does, for every protocol boto3 speaks: REST (Lambda, S3) by matching the request line
against each operation's `requestUri`, JSON (Logs, CloudTrail, ECR) by `X-Amz-Target`, and
query (IAM, STS) by the `Action` form field. Models load lazily, once per `OperationIndex`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import botocore.session
import orjson

# SigV4 signing names that differ from botocore's service model names.
_MODEL_NAMES = {"monitoring": "cloudwatch", "states": "stepfunctions", "execute-api": "apigateway"}


@dataclass(frozen=True)
class Operation:
    """One matched API call: model name, operation name and the input members it carried."""

    service: str
    name: str
    params: dict[str, Any]
    protocol: str


@dataclass(frozen=True)
class _Route:
    """A REST operation's request line, compiled: method, path pattern, required query keys."""

    name: str
    method: str
    pattern: re.Pattern[str]
    labels: dict[str, str]
    query_keys: tuple[str, ...]
    literal_weight: int


@dataclass
class OperationIndex:
    """Lazily built routing tables per service; one per emulator (no module-level caches)."""

    _session: Any = field(default_factory=botocore.session.get_session)
    _models: dict[str, Any] = field(default_factory=dict)
    _routes: dict[str, list[_Route]] = field(default_factory=dict)

    def model(self, service: str) -> Any | None:
        """The botocore ServiceModel for a signing name, or None for unknown services."""
        name = _MODEL_NAMES.get(service, service)
        if name not in self._models:
            try:
                self._models[name] = self._session.get_service_model(name)
            except Exception:  # unknown service names are data, not errors
                self._models[name] = None
        return self._models[name]

    def identify(
        self, service: str, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Operation | None:
        """Name the operation and decode its input members, or None when nothing matches."""
        model = self.model(service)
        if model is None:
            return None
        protocol = model.metadata.get("protocol", "")
        if protocol in ("json",):
            return _identify_json(model, headers, body)
        if protocol in ("query", "ec2"):
            return _identify_query(model, query, body)
        return self._identify_rest(model, method, path, query, body)

    def _identify_rest(
        self, model: Any, method: str, path: str, query: str, body: bytes
    ) -> Operation | None:
        routes = self._routes.get(model.service_name)
        if routes is None:
            routes = sorted(
                _compile_routes(model), key=lambda r: (-len(r.query_keys), -r.literal_weight)
            )
            self._routes[model.service_name] = routes
        query_pairs = parse_qsl(query, keep_blank_values=True)
        query_keys = {key for key, _ in query_pairs}
        for route in routes:
            if route.method != method or not set(route.query_keys) <= query_keys:
                continue
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            params = _rest_params(
                model.operation_model(route.name), match, route, query_pairs, body
            )
            return Operation(model.service_name, route.name, params, model.metadata["protocol"])
        return None


def _compile_routes(model: Any) -> list[_Route]:
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = http.get("requestUri", "/")
        path, _, query = uri.partition("?")
        labels: dict[str, str] = {}
        regex = ""
        for piece in re.split(r"(\{[^}]+\})", path):
            if piece.startswith("{"):
                label = piece[1:-1]
                greedy = label.endswith("+")
                label = label.rstrip("+")
                group = f"g{len(labels)}"
                labels[group] = label
                regex += f"(?P<{group}>.+)" if greedy else f"(?P<{group}>[^/]+)"
            else:
                regex += re.escape(piece)
        # Trailing slashes differ between SDKs and moto's own routes; accept both.
        regex = regex.rstrip("/") + "/?" if regex not in ("/", "") else "/?"
        keys = tuple(part.split("=")[0] for part in query.split("&") if part)
        literal = len(re.sub(r"\{[^}]+\}", "", path))
        routes.append(
            _Route(name, http.get("method", "GET"), re.compile(regex), labels, keys, literal)
        )
    return routes


def _rest_params(
    operation: Any,
    match: re.Match[str],
    route: _Route,
    query_pairs: list[tuple[str, str]],
    body: bytes,
) -> dict[str, Any]:
    """Input members by their model names, from URI labels, the query string and a JSON body."""
    shape = operation.input_shape
    by_location: dict[tuple[str, str], str] = {}
    payload_member = None
    if shape is not None:
        payload_member = shape.serialization.get("payload")
        for member, member_shape in shape.members.items():
            location = member_shape.serialization.get("location", "")
            name = member_shape.serialization.get("name", member)
            by_location[(location, name)] = member
    params: dict[str, Any] = {}
    if body and payload_member is None and operation.metadata.get("protocol") == "rest-json":
        try:
            decoded = orjson.loads(body)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            params.update(decoded)
    for group, label in route.labels.items():
        member = by_location.get(("uri", label), label)
        params[member] = unquote(match.group(group))
    for key, value in query_pairs:
        member = by_location.get(("querystring", key))
        if member is not None:
            params[member] = value
    return params


def _identify_json(model: Any, headers: dict[str, str], body: bytes) -> Operation | None:
    target = headers.get("x-amz-target", "")
    name = target.rpartition(".")[2]
    if name not in model.operation_names:
        return None
    try:
        params = orjson.loads(body) if body else {}
    except ValueError:
        params = {}
    return Operation(model.service_name, name, params if isinstance(params, dict) else {}, "json")


def _identify_query(model: Any, query: str, body: bytes) -> Operation | None:
    pairs = dict(parse_qsl(query)) | dict(parse_qsl(body.decode("utf-8", "replace")))
    name = pairs.pop("Action", "")
    pairs.pop("Version", None)
    if name not in model.operation_names:
        return None
    return Operation(model.service_name, name, pairs, model.metadata.get("protocol", "query"))
