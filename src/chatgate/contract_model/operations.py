"""An operation as the spec states it: parameters, request body, documented responses and their media
types (streams included), links, and the security schemes it accepts.

Labels stay ``METHOD /path`` (reports, fingerprints and baselines key on them); code finds an operation
by its operationId or by the rule it carries (:mod:`chatgate.contract_model.model`), never by a path
written in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from chatgate.contract_model.auth import AuthScheme, build_schemes
from chatgate.contract_model.expressions import Expression, ExpressionError, parse_expression
from chatgate.contract_model.spec_doc import SpecDoc, escape
from chatgate.contract_model.stream import StreamModel, build_stream
from chatgate.errors import UsageError
from chatgate.options import parse_size

__all__ = [
    "HTTP_METHODS",
    "Link",
    "MediaModel",
    "Operation",
    "Parameter",
    "RequestBody",
    "Response",
    "build_operation",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SSE = "text/event-stream"


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    location: str  # query | path | header | cookie
    required: bool
    schema: dict[str, Any]  # the parameter's schema, its top-level $ref followed
    pointer: str
    body_forms: tuple[str, ...] = ()
    role: str | None = None  # x-chatgate-role: session

    @property
    def default(self) -> Any:
        return self.schema.get("default")

    @property
    def minimum(self) -> Any:
        return self.schema.get("minimum")

    @property
    def maximum(self) -> Any:
        return self.schema.get("maximum")

    @property
    def enum(self) -> list[Any]:
        values = self.schema.get("enum")
        return list(values) if isinstance(values, list) else []


@dataclass(frozen=True, slots=True)
class RequestBody:
    required: bool
    media: dict[str, str]  # media type -> schema pointer
    roles: dict[str, str]  # x-chatgate-role -> field name (message, session)
    properties: dict[str, dict[str, Any]]  # field -> its schema (the first JSON-like media type's)
    required_fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Link:
    name: str
    operation_id: str
    parameters: dict[str, Expression]
    media_type: str | None
    pointer: str


@dataclass(frozen=True, slots=True)
class MediaModel:
    media_type: str
    pointer: str
    schema_pointer: str | None
    stream: StreamModel | None = None


@dataclass(frozen=True, slots=True)
class Response:
    status: str
    pointer: str  # the response object (its $ref followed)
    media: dict[str, MediaModel]
    headers: tuple[str, ...]
    links: dict[str, Link]
    field_errors: str | None
    body_limit: int | None = None  # x-chatgate-body-limit: a request body over it gets this response


@dataclass(frozen=True)
class Operation:
    api: str
    operation_id: str
    method: str  # upper case
    path: str
    pointer: str
    summary: str
    parameters: tuple[Parameter, ...]
    body: RequestBody | None
    responses: dict[str, Response]
    schemes: tuple[AuthScheme, ...]
    auth_optional: bool
    _regex: re.Pattern[str] = field(default=re.compile("$^"), repr=False, compare=False)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def response(self, status: int | str) -> Response | None:
        code = str(status)
        for key in (code, f"{code[:1]}XX", "default"):
            if key in self.responses:
                return self.responses[key]
        return None

    def media(self, status: int | str, media_type: str) -> MediaModel | None:
        found = self.response(status)
        return found.media.get(media_type) if found is not None else None

    @property
    def stream(self) -> StreamModel | None:
        """The rules of the operation's streamed success answer, if it has one."""
        for status, response in self.responses.items():
            if status.startswith("2") and SSE in response.media and response.media[SSE].stream is not None:
                return response.media[SSE].stream
        return None

    def success(self, media_type: str) -> MediaModel | None:
        """The documented 2xx answer in ``media_type``."""
        for status, response in sorted(self.responses.items()):
            if status.startswith("2") and media_type in response.media:
                return response.media[media_type]
        return None

    @property
    def body_limit(self) -> tuple[str, int] | None:
        """(status, bytes): the largest request body the spec says the operation accepts
        (``x-chatgate-body-limit``) and the documented response a larger one gets; None when it states
        none."""
        for status, response in sorted(self.responses.items()):
            if response.body_limit is not None:
                return status, response.body_limit
        return None

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def path_matches(self, path: str) -> bool:
        return self._regex.fullmatch(path) is not None

    @property
    def links(self) -> dict[str, Link]:
        out: dict[str, Link] = {}
        for status, response in sorted(self.responses.items()):
            if status.startswith("2"):
                out.update(response.links)
        return out


def _parameters(doc: SpecDoc, path_at: str, op_at: str) -> tuple[Parameter, ...]:
    found: dict[tuple[str, str], Parameter] = {}
    for base in (path_at, op_at):
        raw = doc.node(f"{base}/parameters")
        for i, _ in enumerate(raw if isinstance(raw, list) else []):
            at = doc.follow(f"{base}/parameters/{i}")
            p = doc.node(at)
            if not isinstance(p, dict):
                continue
            schema = doc.resolved(f"{at}/schema")
            forms = tuple(str(m) for m in p.get("x-chatgate-body-forms") or ())
            name, where = str(p.get("name", "")), str(p.get("in", ""))
            role = p.get("x-chatgate-role")
            found[(name, where)] = Parameter(
                name, where, bool(p.get("required")), dict(schema or {}), at, forms, role
            )
    return tuple(found.values())


def _body(doc: SpecDoc, op_at: str) -> RequestBody | None:
    at = doc.follow(f"{op_at}/requestBody")
    raw = doc.node(at)
    if not isinstance(raw, dict):
        return None
    media = {str(m): doc.follow(f"{at}/content/{escape(m)}/schema") for m in (raw.get("content") or {})}
    main = next((p for m, p in media.items() if "json" in m), next(iter(media.values()), ""))
    schema = doc.node(main) if main else None
    props = {str(k): dict(doc.resolved(f"{main}/properties/{escape(k)}") or {})
             for k in (schema.get("properties") or {})} if isinstance(schema, dict) else {}  # fmt: skip
    raw_props = (schema.get("properties") or {}) if isinstance(schema, dict) else {}
    roles = {str(v["x-chatgate-role"]): str(k) for k, v in raw_props.items()
             if isinstance(v, dict) and "x-chatgate-role" in v}  # fmt: skip
    required = tuple(str(r) for r in (schema.get("required") or [])) if isinstance(schema, dict) else ()
    return RequestBody(bool(raw.get("required")), media, roles, props, required)


def _links(doc: SpecDoc, response_at: str) -> dict[str, Link]:
    out: dict[str, Link] = {}
    raw = doc.node(f"{response_at}/links")
    for name in raw if isinstance(raw, dict) else {}:
        at = doc.follow(f"{response_at}/links/{escape(name)}")
        link = doc.node(at)
        if not isinstance(link, dict) or "operationId" not in link:
            continue
        params: dict[str, Expression] = {}
        for key, expr in (link.get("parameters") or {}).items():
            try:
                params[str(key)] = parse_expression(expr)
            except ExpressionError as exc:
                raise doc.error(f"{at}/parameters/{escape(key)}", str(exc)) from None
        media = (link.get("x-chatgate-link") or {}).get("media_type")
        out[str(name)] = Link(str(name), str(link["operationId"]), params, media, at)
    return out


def _body_limit(doc: SpecDoc, at: str, resp: dict[str, Any]) -> int | None:
    raw = resp.get("x-chatgate-body-limit")
    if raw is None:
        return None
    try:
        return parse_size(str(raw), "x-chatgate-body-limit")
    except UsageError as exc:
        raise doc.error(f"{at}/x-chatgate-body-limit", str(exc)) from None


def _responses(doc: SpecDoc, op_at: str) -> dict[str, Response]:
    out: dict[str, Response] = {}
    raw = doc.node(f"{op_at}/responses")
    for status in raw if isinstance(raw, dict) else {}:
        at = doc.follow(f"{op_at}/responses/{escape(status)}")
        resp = doc.node(at)
        if not isinstance(resp, dict):
            continue
        media: dict[str, MediaModel] = {}
        for m in resp.get("content") or {}:
            m_at = f"{at}/content/{escape(m)}"
            schema = doc.follow(f"{m_at}/schema") if doc.node(f"{m_at}/schema") is not None else None
            stream = build_stream(doc, m_at) if str(m) == SSE else None
            media[str(m)] = MediaModel(str(m), m_at, schema, stream)
        errors = resp.get("x-chatgate-field-errors")
        out[str(status)] = Response(
            str(status), at, media, tuple(resp.get("headers") or {}), _links(doc, at),
            str(errors) if isinstance(errors, str) else None, _body_limit(doc, at, resp),
        )  # fmt: skip
    return out


def _regex(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", path)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts if p))


def build_operation(doc: SpecDoc, api: str, path: str, method: str) -> Operation:
    """One operation as the spec states it (its rules: :mod:`chatgate.contract_model.rules`)."""
    path_at = f"/paths/{escape(path)}"
    op_at = f"{path_at}/{method}"
    raw = doc.node(op_at)
    security = raw.get("security") if "security" in raw else doc.doc.get("security")
    sec_at = f"{op_at}/security" if "security" in raw else "/security"
    schemes, optional = build_schemes(doc, security, sec_at)
    return Operation(
        api=api,
        operation_id=str(raw.get("operationId") or f"{method} {path}"),
        method=method.upper(),
        path=path,
        pointer=op_at,
        summary=str(raw.get("summary", "")),
        parameters=_parameters(doc, path_at, op_at),
        body=_body(doc, op_at),
        responses=_responses(doc, op_at),
        schemes=schemes,
        auth_optional=optional,
        _regex=_regex(path),
    )
