"""Validation the gate adds on top of schemathesis: jsonschema on bodies and events, and stream grammar.

Pure functions over what came back on the wire; each returns a list of :class:`Problem` (a stable title
for the fingerprint, a message with the details). Schemas come from the specs through
``chatgate.specs.schema_validator``: nothing here restates a schema.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

import jsonschema

from chatgate.specs import load_spec, resolve, schema_validator
from chatgate.sse import SSEDecoder, SSEEvent

TERMINAL_EVENTS = ("message_end", "error")


@dataclass(frozen=True)
class Problem:
    title: str  # stable: no generated values (array indexes are written [*])
    message: str


def json_path(error: jsonschema.ValidationError, root: str = "$") -> str:
    out = root
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _stable(path: str) -> str:
    return re.sub(r"\[\d+\]", "[*]", path)


def violations(validator: Any, instance: Any, root: str = "$") -> list[Problem]:
    """One problem per jsonschema error, titled by its JSON path (indexes generalised) and keyword."""
    problems = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
        path = json_path(err, root)
        problems.append(
            Problem(
                f"schema violation at {_stable(path)} ({err.validator})",
                f"{path}: {err.message[:300]}",
            )
        )
    return problems


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


@functools.lru_cache(maxsize=64)
def _response_schema(api: str, method: str, path: str, status: int, media: str) -> tuple[str, Any] | None:
    """(pointer, schema) for a documented (status, media type) response, or None when undocumented."""
    spec = load_spec(api)
    op = spec.get("paths", {}).get(path, {}).get(method.lower())
    if not isinstance(op, dict):
        return None
    responses = op.get("responses", {})
    response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
    if response is None:
        return None
    content = resolve(spec, response).get("content") or {}
    if media not in content:
        return None
    schema = content[media].get("schema")
    if schema is None:
        return None
    return f"{method.upper()} {path} {status} {media}", schema


@functools.lru_cache(maxsize=64)
def _validator(api: str, method: str, path: str, status: int, media: str) -> Any:
    found = _response_schema(api, method, path, status, media)
    if found is None:
        return None
    return schema_validator(load_spec(api), found[1])


def body_problems(
    api: str, method: str, path: str, status: int, content_type: str | None, body: bytes
) -> list[Problem]:
    """jsonschema violations of a JSON response body (documented status and media type only)."""
    media = _media(content_type)
    if media == "text/event-stream":
        return event_problems(api, method, path, status, body)
    validator = _validator(api, method, path, status, media)
    if validator is None:
        return []
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return [Problem("body is not valid JSON", f"{status} {media} body is not JSON: {body[:120]!r}")]
    return violations(validator, doc)


def decode_stream(body: bytes) -> tuple[list[SSEEvent], bool]:
    """The events of a whole stream body, and whether it ended mid-event (a cut stream)."""
    dec = SSEDecoder()
    events = dec.feed(body, 0.0)
    cut = dec.close()
    return events, cut


@functools.lru_cache(maxsize=8)
def _event_validators(api: str, method: str, path: str, status: int) -> tuple[Any, dict[str, Any]] | None:
    """The envelope validator and one data validator per event ``type`` (from the contentSchema oneOf)."""
    found = _response_schema(api, method, path, status, "text/event-stream")
    if found is None:
        return None
    spec = load_spec(api)
    envelope = resolve(spec, found[1])
    data_schema = resolve(spec, envelope.get("properties", {}).get("data", {}))
    content_schema = resolve(spec, data_schema.get("contentSchema", {}))
    by_type: dict[str, Any] = {}
    for branch in content_schema.get("oneOf", []):
        resolved = resolve(spec, branch)
        const = resolved.get("properties", {}).get("type", {}).get("const")
        if isinstance(const, str):
            by_type[const] = schema_validator(spec, branch)
    return schema_validator(spec, found[1]), by_type


def event_problems(api: str, method: str, path: str, status: int, body: bytes) -> list[Problem]:
    """jsonschema violations of every event of a stream: its envelope, then its JSON data by ``type``."""
    validators = _event_validators(api, method, path, status)
    if validators is None:
        return []
    envelope, by_type = validators
    events, _ = decode_stream(body)
    problems: list[Problem] = []
    for i, ev in enumerate(events):
        root = f"$.events[{i}]"
        problems += violations(envelope, {"event": ev.event, "data": ev.data}, root)
        try:
            data = json.loads(ev.data)
        except ValueError:
            problems.append(
                Problem(f"event data is not JSON ({ev.event})", f"{root}.data: {ev.data[:120]!r}")
            )
            continue
        kind = data.get("type") if isinstance(data, dict) else None
        validator = by_type.get(kind) if isinstance(kind, str) else None
        if validator is None:
            problems.append(
                Problem(
                    "event data has an unknown type",
                    f"{root}.data.type: {kind!r} is none of {sorted(by_type)}",
                )
            )
            continue
        problems += violations(validator, data, f"{root}.data")
    return problems


def grammar_problems(body: bytes, *, cut: bool = False) -> list[Problem]:
    """Where a stream breaks its grammar: start, deltas with gap-free indexes, one terminal, then nothing.

    ``cut`` says the transport itself broke off (the body was not complete).
    """
    events, partial = decode_stream(body)
    problems: list[Problem] = []
    if cut or partial:
        problems.append(
            Problem("stream cut before its end", f"the stream broke off after {len(events)} events")
        )
    if not events:
        problems.append(Problem("empty stream", "the stream carried no event"))
        return problems
    datas: list[dict[str, Any]] = []
    for i, ev in enumerate(events):
        try:
            data = json.loads(ev.data)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            problems.append(
                Problem("event data is not a JSON object", f"event {i} ({ev.event}): {ev.data[:80]!r}")
            )
            data = {}
        elif data.get("type") != ev.event:
            problems.append(
                Problem(
                    "event name differs from its data type",
                    f"event {i}: {ev.event!r} vs {data.get('type')!r}",
                )
            )
        datas.append(data)
    names = [ev.event for ev in events]
    if names[0] != "message_start":
        problems.append(Problem("stream does not open with message_start", f"first event is {names[0]!r}"))
    if names.count("message_start") > 1:
        problems.append(Problem("more than one message_start", f"events: {_summary(names)}"))
    terminals = [i for i, n in enumerate(names) if n in TERMINAL_EVENTS]
    if not terminals:
        if not (cut or partial):
            problems.append(Problem("no terminal event", f"events: {_summary(names)}"))
    else:
        if len(terminals) > 1:
            problems.append(Problem("more than one terminal event", f"events: {_summary(names)}"))
        if terminals[0] != len(names) - 1:
            problems.append(Problem("events after the terminal event", f"events: {_summary(names)}"))
    unknown = sorted({n for n in names if n not in ("message_start", "delta", *TERMINAL_EVENTS)})
    if unknown:
        problems.append(Problem("unknown event name", f"unknown events: {unknown}"))
    indexes = [d.get("index") for n, d in zip(names, datas, strict=True) if n == "delta"]
    if indexes != list(range(len(indexes))):
        problems.append(Problem("delta indexes are not 0, 1, 2, ...", f"indexes: {indexes[:20]}"))
    start = datas[0] if names[0] == "message_start" else {}
    for n, d in zip(names, datas, strict=True):
        if n == "message_end" and start and d.get("message_id") != start.get("message_id"):
            problems.append(
                Problem(
                    "message_end names another message",
                    f"message_start.message_id={start.get('message_id')}, "
                    f"message_end.message_id={d.get('message_id')}",
                )
            )
    return problems


def streamed_content(body: bytes) -> str:
    """The concatenated ``delta`` contents of a stream."""
    events, _ = decode_stream(body)
    out = []
    for ev in events:
        if ev.event == "delta":
            try:
                out.append(str(json.loads(ev.data).get("content", "")))
            except (ValueError, AttributeError):
                continue
    return "".join(out)


def stream_start(body: bytes) -> dict[str, Any]:
    events, _ = decode_stream(body)
    for ev in events:
        if ev.event == "message_start":
            try:
                data = json.loads(ev.data)
            except ValueError:
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def _summary(names: list[str]) -> str:
    out: list[str] = []
    for n in names:
        if (out and out[-1].startswith(n + "*")) or (out and out[-1] == n and n == "delta"):
            out[-1] = n + "*"
        else:
            out.append(n)
    return ", ".join(out)
