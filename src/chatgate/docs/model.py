"""What a docs page says beyond the rendered reference, derived from the spec (nothing restated here).

:func:`api_doc` reads one spec and returns an :class:`ApiDoc`: its operations, the stream's event
catalogue and grammar (``x-chatgate-stream-grammar`` on a ``text/event-stream`` response), the error
catalogue (every non-2xx response, grouped by status and body), the ``x-chatgate-assumption`` list
and the runnable examples.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from chatgate.docs.examples import Example, env_names, request_examples
from chatgate.specs import Assumption, assumptions, load_spec, operations, resolve

__all__ = ["ApiDoc", "ErrorDoc", "EventDoc", "FieldDoc", "OperationDoc", "StreamDoc", "api_doc"]

_SSE = "text/event-stream"


@dataclass(frozen=True, slots=True)
class OperationDoc:
    method: str
    path: str
    operation_id: str
    summary: str
    statuses: list[str]


@dataclass(frozen=True, slots=True)
class FieldDoc:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True, slots=True)
class EventDoc:
    """One named event of a stream: its data's fields and an example."""

    name: str
    description: str
    fields: list[FieldDoc]
    example: str
    terminal: bool


@dataclass(frozen=True, slots=True)
class StreamDoc:
    """A streamed response: where it is, its grammar and its events."""

    operation: str
    how: str
    grammar: dict[str, Any]
    events: list[EventDoc]


@dataclass(slots=True)
class ErrorDoc:
    """One error answer: a status and body kind, when it happens, which operations give it."""

    status: str
    code: str
    when: str
    schema: str
    example: str
    headers: list[str]
    assumed: bool
    operations: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ApiDoc:
    api: str
    title: str
    version: str
    summary: str
    env: tuple[str, str]
    operations: list[OperationDoc]
    streams: list[StreamDoc]
    errors: list[ErrorDoc]
    assumptions: list[tuple[str, str]]  # (where, what)
    examples: list[Example]


def _type_of(spec: dict[str, Any], schema: dict[str, Any]) -> str:
    schema = resolve(spec, schema)
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    if kind == "array":
        return f"array of {_type_of(spec, schema.get('items', {}))}"
    fmt = schema.get("format")
    return f"{kind} ({fmt})" if fmt else str(kind)


def _fields(spec: dict[str, Any], schema: dict[str, Any]) -> list[FieldDoc]:
    schema = resolve(spec, schema)
    required = set(schema.get("required") or [])
    return [
        FieldDoc(name, _type_of(spec, sub), name in required, str(resolve(spec, sub).get("description", "")))
        for name, sub in (schema.get("properties") or {}).items()
    ]


def _streams(spec: dict[str, Any]) -> list[StreamDoc]:
    out: list[StreamDoc] = []
    for op in operations(spec):
        for status, raw in (op.definition.get("responses") or {}).items():
            media = (resolve(spec, raw).get("content") or {}).get(_SSE)
            if not media:
                continue
            grammar = dict(media.get("x-chatgate-stream-grammar") or {})
            grammar.pop("x-chatgate-assumption", None)
            event_schema = resolve(spec, media.get("schema") or {})
            data_schema = (event_schema.get("properties") or {}).get("data") or {}
            kinds = (data_schema.get("contentSchema") or {}).get("oneOf") or []
            examples = {
                str((ex.get("value") or {}).get("event")): str((ex.get("value") or {}).get("data"))
                for ex in (media.get("examples") or {}).values()
                if isinstance(ex, dict)
            }
            terminal = set(grammar.get("terminal") or [])
            events = []
            for kind in kinds:
                schema = resolve(spec, kind)
                name = str(((schema.get("properties") or {}).get("type") or {}).get("const", "?"))
                events.append(
                    EventDoc(
                        name=name,
                        description=str(schema.get("description", "")),
                        fields=_fields(spec, schema),
                        example=examples.get(name, ""),
                        terminal=name in terminal,
                    )
                )
            how = f"{op.method.upper()} {op.path} → {status} {_SSE}"
            out.append(StreamDoc(op.label, how, grammar, events))
    return out


def _errors(spec: dict[str, Any]) -> list[ErrorDoc]:
    found: dict[tuple[str, str], ErrorDoc] = {}
    for op in operations(spec):
        for status, raw in (op.definition.get("responses") or {}).items():
            if str(status).startswith("2"):
                continue
            response = resolve(spec, raw)
            media = (response.get("content") or {}).get("application/json") or {}
            example = media.get("example")
            schema_ref = str((media.get("schema") or {}).get("$ref", ""))
            schema = schema_ref.rsplit("/", 1)[-1] if schema_ref else "—"
            code = ""
            if isinstance(example, dict):
                inner = example.get("error")
                code = str(inner.get("code")) if isinstance(inner, dict) else str(example.get("message", ""))
            key = (str(status), code)
            doc = found.get(key)
            if doc is None:
                doc = ErrorDoc(
                    status=str(status),
                    code=code,
                    when=" ".join(str(response.get("description", "")).split()),
                    schema=schema,
                    example=json.dumps(example, indent=2, ensure_ascii=False) if example is not None else "",
                    headers=sorted((response.get("headers") or {}).keys()),
                    assumed="x-chatgate-assumption" in response,
                )
                found[key] = doc
            doc.operations.append(op.label)
    return sorted(found.values(), key=lambda d: (d.status, d.code))


def _where(spec: dict[str, Any], pointer: str) -> str:
    """A JSON pointer as a reader's path: ``paths › /api/v1/chat › get › parameter identifier``."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.strip("/").split("/") if p]
    shown: list[str] = []
    node: Any = spec
    for part in parts:
        node = (
            node[int(part)] if isinstance(node, list) else node.get(part) if isinstance(node, dict) else None
        )
        if shown and shown[-1] == "parameters" and isinstance(node, dict):
            shown[-1] = f"parameter {resolve(spec, node).get('name', part)}"
        else:
            shown.append(part)
    return " › ".join(shown) or "(whole API)"


def api_doc(api: str, spec: dict[str, Any] | None = None) -> ApiDoc:
    """Everything a docs page shows about ``api`` besides the rendered reference."""
    spec = load_spec(api) if spec is None else spec
    info = spec.get("info") or {}
    ops = [
        OperationDoc(
            o.method.upper(),
            o.path,
            o.operation_id,
            str(o.definition.get("summary", "")),
            [str(s) for s in (o.definition.get("responses") or {})],
        )
        for o in operations(spec)
    ]
    found: list[Assumption] = assumptions(spec)
    return ApiDoc(
        api=api,
        title=str(info.get("title", api)),
        version=str(info.get("version", "")),
        summary=str(info.get("summary", "")),
        env=env_names(api),
        operations=ops,
        streams=_streams(spec),
        errors=_errors(spec),
        assumptions=[(_where(spec, a.pointer), a.text) for a in found],
        examples=request_examples(api, spec),
    )
