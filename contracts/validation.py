"""Validation the gate adds on top of schemathesis: jsonschema on bodies and on every event of a stream.

Pure functions over what came back on the wire; each returns a list of
:class:`~chatgate.gate.model.Problem` (a stable title, a message with the details, a signature that tells
violations apart, and the spec pointer of the violated schema keyword). Schemas are looked up in the
spec's model by operation, status and media type (an event's data schema by its name, as the stream's
discriminator maps it): nothing here restates a schema or names one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import jsonschema

from chatgate.contract_model import Operation, StreamModel, model_for
from chatgate.gate.model import Problem
from chatgate.specs import schema_validator
from contracts.streams import decode_stream

__all__ = [
    "Problem",
    "body_problems",
    "documented_schema",
    "event_problems",
    "schema_defect",
    "validator_for",
    "violations",
]


def _escape(part: object) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def json_path(error: jsonschema.ValidationError, root: str = "$") -> str:
    out = root
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def stable(path: str) -> str:
    """A JSON path with array indexes generalised (``$.data[3].id`` -> ``$.data[*].id``)."""
    return re.sub(r"\[\d+\]", "[*]", path)


def spec_pointer(spec: dict[str, Any], base: str, schema_path: Iterable[object]) -> str:
    """The JSON pointer into ``spec`` of a violated keyword: ``base`` (the pointer of the validator's root
    schema) followed along ``schema_path``, through every ``$ref`` on the way."""
    pointer = base
    node: Any = _at(spec, base)
    for part in schema_path:
        # jsonschema leaves "$ref" out of schema paths: follow a reference wherever the path goes on past it.
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and part not in node:
            pointer = node["$ref"].split("#", 1)[-1]
            node = _at(spec, pointer)
        pointer += "/" + _escape(part)
        node = _child(node, part)
    return pointer


def _at(spec: dict[str, Any], pointer: str) -> Any:
    """The node at ``pointer``, without following a ``$ref`` found there."""
    node: Any = spec
    for raw in pointer.lstrip("/").split("/") if pointer else []:
        part: object = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and str(part).isdigit():
            part = int(str(part))
        node = _child(node, part)
    return node


def _child(node: Any, part: object) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def violations(
    validator: Any, instance: Any, root: str = "$", *, spec: dict[str, Any] | None = None, base: str = "",
    context: str = "",
) -> list[Problem]:  # fmt: skip
    """One problem per jsonschema error, titled by its JSON path (indexes generalised) and keyword;
    signed by the spec pointer of the violated keyword (when ``spec`` and ``base`` are given)."""
    problems = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
        path = json_path(err, root)
        pointer = spec_pointer(spec, base, err.absolute_schema_path) if spec is not None and base else None
        where = stable(path)
        keyword = str(err.validator)
        missing = re.match(r"'(.+)' is a required property", err.message) if keyword == "required" else None
        if missing:  # each missing property is its own violation
            keyword = f"required: {missing.group(1)}"
        problems.append(
            Problem(
                f"schema violation at {where} ({keyword})",
                f"{path}: {err.message[:300]}" + (f" (schema: #{pointer})" if pointer else ""),
                signature=f"{context} {pointer or ''} ({keyword}) at {where}".strip(),
                spec_pointer=pointer,
                defect=schema_defect(pointer, where),
                fields=_fields(err, where, missing.group(1) if missing else None),
            )
        )
    return problems


def _fields(err: jsonschema.ValidationError, where: str, missing: str | None) -> tuple[str, ...]:
    """The values a violation is about: the missing property, the unexpected ones, else the value."""
    if missing is not None:
        return (f"{where}.{missing}",)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        known = set((err.schema or {}).get("properties") or {}) if isinstance(err.schema, dict) else set()
        return tuple(sorted(f"{where}.{k}" for k in err.instance if k not in known)) or (where,)
    return (where,)


def schema_defect(pointer: str | None, where: str) -> str | None:
    """The defect a schema violation shows: the schema object its keyword belongs to, at one place of the
    body (every keyword that object's value breaks there is one wrong value, one finding)."""
    if pointer is None:
        return None
    return f"schema {pointer.rsplit('/', 1)[0]} at {where}"


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def documented_schema(api: str, method: str, path: str, status: int, media: str) -> tuple[str, Any] | None:
    """(spec pointer, schema) for a documented (status, media type) answer of the operation, or None."""
    model = model_for(api)
    op = model.find(method, path)
    pointer = model.schema(op, status, media) if op is not None else None
    return None if pointer is None else (pointer, model.doc.node(pointer))


_VALIDATORS: dict[tuple[int, str], tuple[Any, Any]] = {}  # (id of the model, pointer) -> (model, validator)


def validator_for(api: str, pointer: str) -> Any:
    """A validator of the schema at ``pointer`` in ``api``'s spec, built once per model (an edited spec
    is a new model, with new validators)."""
    model = model_for(api)
    key = (id(model), pointer)
    found = _VALIDATORS.get(key)
    if found is None or found[0] is not model:
        found = _VALIDATORS[key] = (model, schema_validator(model.spec, f"#{pointer}"))
    return found[1]


def body_problems(
    api: str, method: str, path: str, status: int, content_type: str | None, body: bytes
) -> list[Problem] | None:
    """jsonschema violations of a response body; None when no documented schema applies (not judged)."""
    media = _media(content_type)
    model = model_for(api)
    op = model.find(method, path)
    if op is None:
        return None
    stream = op.media(status, media)
    if stream is not None and stream.stream is not None:
        return event_problems(api, op, stream.stream, body)
    pointer = model.schema(op, status, media)
    if pointer is None:
        return None
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return [Problem("body is not valid JSON", f"{status} {media} body is not JSON: {body[:120]!r}",
                        signature=f"{status} {media} not JSON")]  # fmt: skip
    return violations(validator_for(api, pointer), doc, spec=model.spec, base=pointer, context=str(status))


def event_problems(api: str, op: Operation, s: StreamModel, body: bytes) -> list[Problem]:
    """jsonschema violations of every event of a stream: its envelope, then its data by event name
    (an event the spec does not list is the grammar's to judge)."""
    model = model_for(api)
    envelope = validator_for(api, s.envelope_pointer)
    events, _ = decode_stream(body)
    problems: list[Problem] = []
    for i, ev in enumerate(events):
        if not s.known(ev.event) and s.unknown_events == "ignore":
            continue
        root = f"$.events[{i}]"
        fields = {"event": ev.event, "data": ev.data}
        problems += violations(envelope, fields, root, spec=model.spec, base=s.envelope_pointer)
        pointer = s.data_pointers.get(ev.event)
        if pointer is None:
            continue
        try:
            data = json.loads(ev.data)
        except ValueError:
            problems.append(
                Problem(f"event data is not JSON ({ev.event})", f"{root}.data: {ev.data[:120]!r}")
            )
            continue
        problems += violations(validator_for(api, pointer), data, f"{root}.data", spec=model.spec,
                               base=pointer, context=ev.event)  # fmt: skip
    return problems
