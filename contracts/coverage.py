"""What the run exercised, counted where it happens: at the one transport (``contracts.transport``).

:class:`Coverage` is the transport's :class:`~contracts.transport.Observer`: for every attempt it counts
the answer (API, operation, status, media type; a stream's events by name, as the wire read them) and
every value the request carried for each parameter and body field the operation's spec documents, valid
or invalid as the parameter's own schema judges the value sent (a query, header or path value read as
its schema's type first, as a server reads it; a form body's values as the text they are), and which
value of a closed set (an ``enum``, a boolean) it was. What the checks judged is counted by the ledger
itself (each judgement names its exchange). Nothing here names a parameter, a field or a status: each
comes from the operation's model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import jsonschema_rs

from chatgate.contract_model import ContractModel, Operation, model_for, schema_at
from chatgate.contract_model.spec_doc import escape
from chatgate.gate.coverage_record import CoverageLedger
from contracts.validation import validator_for
from contracts.wire import Wire

__all__ = ["Coverage", "media_of"]

Value = tuple[str, str, bool | None, str | None]  # (location, name, valid or None: absent, a closed value)

FORM = "application/x-www-form-urlencoded"
_INTEGER = re.compile(r"-?\d+")


def media_of(headers: Mapping[str, str]) -> str:
    """The media type of a Content-Type header (lower case, parameters left out)."""
    value = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return value.split(";", 1)[0].strip().lower()


def _scalar(kinds: list[Any], text: str) -> Any:
    """A text as the first of ``kinds`` it reads as (else the text itself, which a non-string schema
    then refuses)."""
    for kind in kinds:
        if kind == "integer" and _INTEGER.fullmatch(text):
            return int(text)
        if kind == "number":
            try:
                number = float(text)
            except ValueError:
                continue
            if number == number and abs(number) != float("inf"):
                return int(number) if _INTEGER.fullmatch(text) else number
        if kind == "boolean" and text in ("true", "false"):
            return text == "true"
        if kind == "null" and text == "":
            return None
    return text


def _typed(schema: Mapping[str, Any], texts: list[str]) -> Any:
    """Values of a query, header or path parameter as their schema's type reads them."""
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds] if kinds else []
    if "array" in kinds:
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        inner = items.get("type") if items else None
        inner_kinds = inner if isinstance(inner, list) else [inner] if inner else []
        return [_scalar(inner_kinds, t) for t in texts]
    if len(texts) != 1:
        return texts  # the same parameter twice: a list where one value is documented
    return _scalar(kinds, texts[0])


def _closed(schema: Mapping[str, Any], value: Any) -> str | None:
    """``value`` as JSON text when the schema's values are a closed set (enum, boolean) holding it."""
    enum = schema.get("enum")
    kinds = schema.get("type")
    boolean = kinds == "boolean" or (isinstance(kinds, list) and "boolean" in kinds)
    if isinstance(enum, list) and any(value == e and type(value) is type(e) for e in enum):
        return json.dumps(value)
    if boolean and isinstance(value, bool):
        return json.dumps(value)
    return None


class Coverage:
    """Counts each attempt into ``ledger`` (see the module docstring)."""

    def __init__(self, ledger: CoverageLedger) -> None:
        self.ledger = ledger
        self._validators: dict[tuple[int, str], tuple[ContractModel, Any]] = {}
        self._fields: dict[tuple[int, str, str, str], str | None] = {}

    def sent(self, api: str, operation: str, request: Any, wire: Wire | None) -> None:
        model = model_for(api)
        op = model.by_label(operation)
        if op is None:
            return  # a method the path does not document (an unsupported-method probe)
        values: list[Value] = []
        self._parameters(model, op, request, values)
        self.ledger.values(api, operation, values)
        if wire is not None:
            events = wire.names if wire.stream else None
            self.ledger.received(api, operation, wire.status, media_of(wire.headers), events)

    def retried(self, api: str, operation: str, wire: Wire) -> None:
        self.ledger.retried(api, operation, wire.status, media_of(wire.headers))

    def _valid(self, model: ContractModel, pointer: str, value: Any) -> bool:
        """Whether ``value`` is valid by the schema at ``pointer`` (jsonschema-rs: a value validates in
        well under a microsecond, so counting every value sent costs the run next to nothing)."""
        key = (id(model), pointer)
        found = self._validators.get(key)
        if found is None or found[0] is not model:
            at = "#" + quote(pointer, safe="/~-._!$&'()*+,;=:@")  # a path template's braces, encoded
            rs = jsonschema_rs.Draft202012Validator({**model.spec, "$ref": at}, validate_formats=True)
            found = self._validators[key] = (model, rs)
        try:
            return bool(found[1].is_valid(value))
        except (ValueError, OverflowError):  # a value jsonschema-rs cannot take (an integer past 64 bits)
            return bool(validator_for(model.api, pointer).is_valid(value))

    def _parameters(self, model: ContractModel, op: Operation, request: Any, out: list[Value]) -> None:
        url = urlsplit(str(request.url))
        query = parse_qs(url.query, keep_blank_values=True)
        headers = request.headers or {}
        raw = request.body if isinstance(request.body, bytes | str) else None
        for p in op.parameters:
            texts = _texts(op, p.location, p.name, query, headers, url.path)
            value = (
                _typed(p.schema, texts) if texts is not None else _in_body(p.body_forms, headers, raw, p.name)
            )
            if value is _ABSENT:
                if p.required:
                    out.append((p.location, p.name, None, None))
                continue
            valid = self._valid(model, f"{p.pointer}/schema", value)
            out.append((p.location, p.name, valid, _closed(p.schema, value)))
        if op.body is not None and raw:
            self._body(model, op, media_of(headers), raw, out)

    def _body(
        self, model: ContractModel, op: Operation, media: str, raw: bytes | str, out: list[Value]
    ) -> None:
        body = op.body
        if body is None or media not in body.media:
            return  # an undocumented media type: nothing to hold its fields to
        doc = _document(media, raw)
        if not isinstance(doc, dict):
            return  # not an object: no field to count
        for name, schema in body.properties.items():
            if name not in doc:
                if name in body.required_fields:
                    out.append(("body", name, None, None))
                continue
            pointer = self._field(model, op, media, name)
            if pointer is not None:
                out.append(("body", name, self._valid(model, pointer, doc[name]), _closed(schema, doc[name])))

    def _field(self, model: ContractModel, op: Operation, media: str, name: str) -> str | None:
        """The pointer of the schema of body field ``name`` in ``media`` (None: that form lacks it)."""
        key = (id(model), op.operation_id, media, name)
        if key not in self._fields:
            assert op.body is not None
            self._fields[key] = schema_at(model.doc, op.body.media[media], "/" + escape(name))
        return self._fields[key]


def _texts(op: Operation, where: str, name: str, query: dict[str, list[str]], headers: Mapping[str, str],
           path: str) -> list[str] | None:  # fmt: skip
    """The texts a request gave a query, header or path parameter (None: none)."""
    if where == "query":
        return query.get(name)
    if where == "header":
        found = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
        return None if found is None else [found]
    if where == "path":
        return _path_value(op.path, name, path)
    return None


_ABSENT = object()


def _document(media: str, raw: bytes | str) -> Any:
    """A request body as a document: a form's fields (a repeated key: a list), else JSON (None: neither)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if media == FORM:
        return {k: v[0] if len(v) == 1 else v for k, v in parse_qs(text, keep_blank_values=True).items()}
    try:
        return json.loads(text)
    except ValueError:
        return None


def _in_body(forms: tuple[str, ...], headers: Mapping[str, str], raw: bytes | str | None, name: str) -> Any:
    """A parameter's value from a body form the spec lets it take (x-chatgate-body-forms), else absent."""
    media = media_of(headers)
    if not raw or media not in forms:
        return _ABSENT
    doc = _document(media, raw)
    return doc[name] if isinstance(doc, dict) and name in doc else _ABSENT


def _path_value(template: str, name: str, path: str) -> list[str] | None:
    """The value a request path gives the template's ``{name}`` segment."""
    wanted, got = template.strip("/").split("/"), path.strip("/").split("/")
    marker = "{" + name + "}"
    for i, part in enumerate(wanted):
        if part == marker and i < len(got):
            return [got[len(got) - len(wanted) + i]] if len(got) >= len(wanted) else None
    return None
