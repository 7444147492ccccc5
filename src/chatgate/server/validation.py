"""Request validation with the specs' own schemas: parameters, JSON bodies and urlencoded bodies.

Every schema comes from the spec (``chatgate.specs.schema_validator``); this module only turns the
wire forms into JSON values first: query strings and urlencoded forms are coerced by the schema's type
(``"7"`` -> 7 for an integer, ``"true"`` -> true for a boolean, repeated keys -> an array), and JSON
bodies are parsed strictly (no NaN/Infinity; too deep or too large numbers are a 400, never a 500).
Lone UTF-16 surrogates (valid JSON escapes, but not Unicode text) become U+FFFD so they can be stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import jsonschema
import jsonschema.exceptions

from chatgate.specs import resolve, schema_validator

__all__ = ["OperationSchemas", "RequestInvalid", "parse_form", "parse_json"]

_INT = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_MESSAGE = 200


class RequestInvalid(Exception):
    """A 400: ``field`` names the offending field when known; ``reason`` is one readable line."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    required: bool
    schema: dict[str, Any]
    validator: jsonschema.protocols.Validator


class OperationSchemas:
    """The query parameters and request bodies of one operation, with validators from the spec."""

    def __init__(self, spec: dict[str, Any], path: str, method: str) -> None:
        op = spec["paths"][path][method]
        self._spec = spec
        self.params: list[_Param] = []
        for raw in op.get("parameters", []):
            p = resolve(spec, raw)
            if p.get("in") != "query":
                continue
            schema = resolve(spec, p.get("schema", {}))
            self.params.append(
                _Param(p["name"], bool(p.get("required")), schema, schema_validator(spec, schema))
            )
        self.bodies: dict[str, tuple[dict[str, Any], jsonschema.protocols.Validator]] = {}
        body = resolve(spec, op.get("requestBody", {}))
        for media, content in (body.get("content") or {}).items():
            schema = resolve(spec, content.get("schema", {}))
            self.bodies[media] = (schema, schema_validator(spec, content.get("schema", {})))

    def query(self, items: Sequence[tuple[str, str]], *, skip: Iterable[str] = ()) -> dict[str, Any]:
        """Validated query parameters with the spec's defaults applied (absent optional ones omitted)."""
        out: dict[str, Any] = {}
        skipped = set(skip)
        for p in self.params:
            values = [sanitize(v) for k, v in items if k == p.name]
            if not values:
                if p.name in skipped:
                    continue
                if p.required:
                    raise RequestInvalid(p.name, f"query parameter '{p.name}' is required")
                if "default" in p.schema:
                    out[p.name] = p.schema["default"]
                continue
            value = _coerce(self._spec, p.schema, values[:1])
            _raise_first(p.validator.iter_errors(value), value, field=p.name)
            out[p.name] = value
        return out

    def body(self, media: str, value: Any) -> dict[str, Any]:
        """``value`` validated against the body schema of ``media``; it must be an object."""
        _, validator = self.bodies[media]
        _raise_first(validator.iter_errors(value), value, field=None)
        if not isinstance(value, dict):
            raise RequestInvalid(None, "request body must be a JSON object")
        return value

    def form(self, media: str, raw: bytes) -> dict[str, Any]:
        """An urlencoded body coerced by the body schema of ``media`` (not yet validated)."""
        schema, _ = self.bodies[media]
        return parse_form(self._spec, schema, raw)

    def param_schema(self, name: str) -> tuple[dict[str, Any], jsonschema.protocols.Validator]:
        for p in self.params:
            if p.name == name:
                return p.schema, p.validator
        raise KeyError(name)


def sanitize(value: Any) -> Any:
    """``value`` with lone surrogates in every string (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if not value.isascii() else value
    if isinstance(value, list):
        return [sanitize(v) for v in value]
    if isinstance(value, dict):
        return {sanitize(k): sanitize(v) for k, v in value.items()}
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes) -> Any:
    """Strict JSON (RFC 8259): a RequestInvalid for anything else, whatever the input."""
    try:
        return sanitize(json.loads(raw, parse_constant=_reject_constant))
    except RecursionError:
        raise RequestInvalid(None, "request body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, huge ints, bad encodings
        raise RequestInvalid(None, f"request body is not valid JSON: {str(exc)[:_MAX_MESSAGE]}") from None


def parse_form(spec: dict[str, Any], schema: dict[str, Any], raw: bytes) -> dict[str, Any]:
    """``application/x-www-form-urlencoded`` -> a JSON object, each field coerced by its schema."""
    pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True, errors="replace")
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    props = schema.get("properties") or {}
    return {key: _coerce(spec, resolve(spec, props.get(key, {})), values) for key, values in grouped.items()}


def _kinds(spec: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    schema = resolve(spec, schema)
    t = schema.get("type")
    kinds = {t} if isinstance(t, str) else set(t) if isinstance(t, list) else set()
    if "const" in schema:
        c = schema["const"]
        kinds.add("boolean" if isinstance(c, bool) else "integer" if isinstance(c, int) else type(c).__name__)
    return kinds


def _coerce(spec: dict[str, Any], schema: dict[str, Any], values: list[str]) -> Any:
    kinds = _kinds(spec, schema)
    if "array" in kinds:
        return [_scalar(_kinds(spec, schema.get("items", {})), v) for v in values]
    if len(values) > 1:
        return values  # a repeated key for a scalar: left as an array, so validation says so
    return _scalar(kinds, values[0])


def _scalar(kinds: set[str], value: str) -> Any:
    if "integer" in kinds and len(value) <= 1000 and _INT.fullmatch(value):
        return int(value)
    if "number" in kinds and len(value) <= 1000 and _NUMBER.fullmatch(value):
        number = float(value)
        return int(value) if _INT.fullmatch(value) else number
    if "boolean" in kinds and value in ("true", "false"):
        return value == "true"
    return value


def _raise_first(
    errors: Iterable[jsonschema.exceptions.ValidationError], instance: Any, field: str | None
) -> None:
    error = jsonschema.exceptions.best_match(errors)
    if error is None:
        return
    name = field
    if error.absolute_path:
        name = str(error.absolute_path[0]) if field is None else field
    elif field is None and isinstance(instance, dict):
        if error.validator == "required":
            missing = [k for k in error.validator_value if k not in instance]
            name = str(missing[0]) if missing else None
        elif error.validator == "additionalProperties":
            known = (
                set((error.schema or {}).get("properties", {})) if isinstance(error.schema, dict) else set()
            )
            extra = sorted(str(k) for k in instance if k not in known)
            name = extra[0] if extra else None
    message = error.message
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 3] + "..."
    where = f"'{name}': " if name and not message.startswith(f"'{name}'") else ""
    raise RequestInvalid(name, f"{where}{message}")
