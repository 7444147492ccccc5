"""What a docs page says beyond the rendered reference, derived from the spec (nothing restated here).

:func:`api_doc` asks the contract model of one API (:func:`chatgate.contract_model.model_for`) and
returns an :class:`ApiDoc`: its operations; each stream's events, roles and grammar
(``x-chatgate-stream``); the rules each operation states, in an integrator's words
(:mod:`chatgate.docs.rules`); the identity a key carries; the error catalogue (every non-2xx response,
grouped by status and response); the ``x-chatgate-assumption`` list and the runnable examples. A spec
that renames an event, adds one or changes a rule changes the page with no code change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from chatgate.contract_model import ContractModel, StreamModel, model_for
from chatgate.contract_model.spec_doc import SpecDoc, split_pointer
from chatgate.docs.examples import Example, env_names, request_examples
from chatgate.docs.rules import IdentityDoc, OperationRulesDoc, identity_doc, operation_rules
from chatgate.specs import assumptions, resolve

__all__ = ["ApiDoc", "ErrorDoc", "EventDoc", "FieldDoc", "OperationDoc", "StreamDoc", "api_doc"]

_SSE = "text/event-stream"
_JSON = "application/json"


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
    """One named event of a stream: its data's fields, its schema's name, an example and its roles."""

    name: str
    description: str
    fields: list[FieldDoc]
    example: str
    schema: str
    roles: tuple[str, ...]  # opening, content, terminal, error

    @property
    def terminal(self) -> bool:
        return "terminal" in self.roles


@dataclass(frozen=True, slots=True)
class StreamDoc:
    """A streamed response: where it is, its grammar, its events and the roles they play."""

    operation: str
    how: str
    description: str
    grammar: str
    opening: tuple[str, ...]
    between: tuple[str, ...]
    terminal: tuple[str, ...]
    rules: tuple[tuple[str, str], ...]  # (what, said in an integrator's words)
    events: list[EventDoc]
    error_event: str | None


@dataclass(slots=True)
class ErrorDoc:
    """One error answer: a status and the response it documents, when it happens, which operations."""

    status: str
    response: str
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
    env: tuple[str, ...]  # base URL, key, and the identity's variable when keys carry one
    operations: list[OperationDoc]
    streams: list[StreamDoc]
    rules: list[OperationRulesDoc]
    identity: IdentityDoc | None
    errors: list[ErrorDoc]
    assumptions: list[tuple[str, str]]  # (where, what)
    examples: list[Example]


def _name(pointer: str | None) -> str:
    """A schema's name when it is a component (``/components/schemas/X``), else ``—``."""
    parts = split_pointer(pointer or "")
    return str(parts[-1]) if len(parts) == 3 and parts[:2] == ["components", "schemas"] else "—"


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


def _event_examples(doc: SpecDoc, stream: StreamModel) -> dict[str, str]:
    """Event name -> the data of the media type's example of it (``example`` or ``examples``): one SSE
    event each, by SSE's own field names."""
    media = doc.node(stream.pointer) or {}
    values = [media["example"]] if "example" in media else []
    values += [e.get("value") for e in (media.get("examples") or {}).values() if isinstance(e, dict)]
    return {
        str(v["event"]): v["data"] if isinstance(v["data"], str) else json.dumps(v["data"])
        for v in values
        if isinstance(v, dict) and "event" in v and "data" in v
    }


def _stream_rules(s: StreamModel) -> tuple[tuple[str, str], ...]:
    out = []
    if s.select_field is not None:
        out.append(
            ("asked for", f"by sending `{s.select_field}` = `{json.dumps(s.select_value)}` in the body")
        )
    index = f", in the order of its `{s.index_field}` (from 0, no gaps)" if s.index_field else ""
    out.append(("the reply's text", f"the `{s.content_field}` of each `{s.content_event}` event{index}"))
    if s.error_event is not None:
        out.append(("failure", f"`{s.error_event}` ends a stream whose reply failed after it started"))
    if s.link_field is not None:
        out.append(("one reply", f"every event that carries `{s.link_field}` carries the same value"))
    unknown = {
        "reject": "an event the spec does not list is a contract violation",
        "ignore": "ignore an event you do not know: new kinds may be added",
    }
    out.append(("other events", unknown.get(s.unknown_events, s.unknown_events)))
    if s.idle_s is not None:
        out.append(("liveness", f"the next event comes within {s.idle_s:g} s"))
    if s.total_s is not None:
        out.append(("length", f"the stream ends within {s.total_s:g} s of its headers"))
    return tuple(out)


def _roles(s: StreamModel, name: str) -> tuple[str, ...]:
    roles = [("opening", name in s.opening), ("content", name == s.content_event),
             ("terminal", name in s.terminal), ("error", name == s.error_event)]  # fmt: skip
    return tuple(role for role, holds in roles if holds)


def _streams(model: ContractModel) -> list[StreamDoc]:
    out: list[StreamDoc] = []
    spec, doc = model.spec, model.doc
    for op in model.streamed():
        s = op.stream
        assert s is not None
        names = list(s.events) or list(s.grammar.names)
        names += [n for n in s.data_pointers if n not in names]
        examples = _event_examples(doc, s)
        events = []
        for name in names:
            at = s.data_pointers.get(name)
            schema = doc.resolved(at) if at else {}
            description = str(schema.get("description", "")) if isinstance(schema, dict) else ""
            fields = _fields(spec, schema) if isinstance(schema, dict) else []
            events.append(
                EventDoc(name, description, fields, examples.get(name, ""), _name(at), _roles(s, name))
            )
        media = doc.node(s.pointer) or {}
        status = next((k for k, r in op.responses.items() if _SSE in r.media), "200")
        between = tuple(n for n in s.grammar.names if n not in s.opening and n not in s.terminal)
        ext = media.get("x-chatgate-stream") or {}
        out.append(
            StreamDoc(
                operation=op.label, how=f"{op.label} → {status} {_SSE}",
                description=" ".join(str(ext.get("description", "")).split()), grammar=s.grammar.text,
                opening=tuple(sorted(s.opening)), between=between, terminal=tuple(sorted(s.terminal)),
                rules=_stream_rules(s), events=events, error_event=s.error_event,
            )
        )  # fmt: skip
    return out


def _errors(model: ContractModel) -> list[ErrorDoc]:
    found: dict[tuple[str, str], ErrorDoc] = {}
    doc = model.doc
    for op in model.operations:
        for status, response in op.responses.items():
            if status.startswith("2"):
                continue
            raw = doc.node(response.pointer) or {}
            media = response.media.get(_JSON) or next(iter(response.media.values()), None)
            example = (doc.node(media.pointer) or {}).get("example") if media is not None else None
            parts = split_pointer(response.pointer)
            name = str(parts[-1]) if parts[:2] == ["components", "responses"] else ""
            key = (status, name or op.label)
            if key not in found:
                found[key] = ErrorDoc(
                    status=status,
                    response=name,
                    when=" ".join(str(raw.get("description", "")).split()),
                    schema=_name(media.schema_pointer if media is not None else None),
                    example=json.dumps(example, indent=2, ensure_ascii=False) if example is not None else "",
                    headers=sorted(response.headers),
                    assumed="x-chatgate-assumption" in raw,
                )
            found[key].operations.append(op.label)
    return sorted(found.values(), key=lambda d: (d.status, d.response))


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


def api_doc(api: str) -> ApiDoc:
    """Everything a docs page shows about ``api`` besides the rendered reference."""
    model = model_for(api)
    spec = model.spec
    ops = [
        OperationDoc(o.method, o.path, o.operation_id, o.summary, list(o.responses)) for o in model.operations
    ]
    variable = model.identity_variable()
    return ApiDoc(
        api=api,
        title=model.title,
        version=model.version,
        summary=str((spec.get("info") or {}).get("summary", "")),
        env=(*env_names(api), *([variable] if variable else [])),
        operations=ops,
        streams=_streams(model),
        rules=operation_rules(model),
        identity=identity_doc(model),
        errors=_errors(model),
        assumptions=[(_where(spec, a.pointer), a.text) for a in assumptions(spec)],
        examples=request_examples(model),
    )
