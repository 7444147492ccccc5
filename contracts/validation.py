"""Validation the gate adds on top of schemathesis: jsonschema on bodies and events, and stream grammar.

Pure functions over what came back on the wire; each returns a list of
:class:`~chatgate.gate.model.Problem` (a stable title, a message with the details, a signature that tells
violations apart, and the spec pointer of the violated schema keyword). Schemas come from the specs
through ``chatgate.specs.schema_validator``: nothing here restates a schema.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from typing import Any

import jsonschema

from chatgate.gate.model import Problem
from chatgate.specs import load_spec, resolve, schema_validator
from chatgate.sse import SSEDecoder, SSEEvent

__all__ = [
    "TERMINAL_EVENTS",
    "Problem",
    "body_problems",
    "decode_stream",
    "documented_schema",
    "event_problems",
    "grammar_problems",
    "stream_start",
    "streamed_content",
    "violations",
]

TERMINAL_EVENTS = ("message_end", "error")


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
            )
        )
    return problems


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


@functools.lru_cache(maxsize=64)
def documented_schema(api: str, method: str, path: str, status: int, media: str) -> tuple[str, Any] | None:
    """(spec pointer, schema) for a documented (status, media type) response, or None when undocumented."""
    spec = load_spec(api)
    op = spec.get("paths", {}).get(path, {}).get(method.lower())
    if not isinstance(op, dict):
        return None
    responses = op.get("responses", {})
    for code in (str(status), f"{str(status)[0]}XX", "default"):
        if code in responses:
            break
    else:
        return None
    response = responses[code]
    pointer = f"/paths/{_escape(path)}/{method.lower()}/responses/{code}"
    if isinstance(response, dict) and isinstance(response.get("$ref"), str):
        pointer = response["$ref"].split("#", 1)[-1]
    content = resolve(spec, response).get("content") or {}
    if media not in content or content[media].get("schema") is None:
        return None
    return f"{pointer}/content/{_escape(media)}/schema", content[media]["schema"]


@functools.lru_cache(maxsize=64)
def _validator(api: str, method: str, path: str, status: int, media: str) -> tuple[str, Any] | None:
    found = documented_schema(api, method, path, status, media)
    if found is None:
        return None
    return found[0], schema_validator(load_spec(api), found[1])


def body_problems(
    api: str, method: str, path: str, status: int, content_type: str | None, body: bytes
) -> list[Problem] | None:
    """jsonschema violations of a response body; None when no documented schema applies (not judged)."""
    media = _media(content_type)
    if media == "text/event-stream":
        return event_problems(api, method, path, status, body)
    found = _validator(api, method, path, status, media)
    if found is None:
        return None
    pointer, validator = found
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return [Problem("body is not valid JSON", f"{status} {media} body is not JSON: {body[:120]!r}",
                        signature=f"{status} {media} not JSON")]  # fmt: skip
    return violations(validator, doc, spec=load_spec(api), base=pointer, context=str(status))


def decode_stream(body: bytes) -> tuple[list[SSEEvent], bool]:
    """The events of a whole stream body, and whether it ended mid-event (a cut stream)."""
    dec = SSEDecoder()
    events = dec.feed(body, 0.0)
    cut = dec.close()
    return events, cut


@functools.lru_cache(maxsize=8)
def _event_validators(api: str, method: str, path: str, status: int) -> tuple[Any, dict[str, Any]] | None:
    """(pointer, validator) of the event envelope, and per event ``type`` of its JSON data (contentSchema)."""
    found = documented_schema(api, method, path, status, "text/event-stream")
    if found is None:
        return None
    spec = load_spec(api)
    envelope = resolve(spec, found[1])
    data_schema = resolve(spec, envelope.get("properties", {}).get("data", {}))
    content_schema = resolve(spec, data_schema.get("contentSchema", {}))
    by_type: dict[str, Any] = {}
    for branch in content_schema.get("oneOf", []):
        const = resolve(spec, branch).get("properties", {}).get("type", {}).get("const")
        if isinstance(const, str):
            ref = branch.get("$ref", "") if isinstance(branch, dict) else ""
            by_type[const] = (ref.split("#", 1)[-1], schema_validator(spec, branch))
    return (found[0], schema_validator(spec, found[1])), by_type


def event_problems(api: str, method: str, path: str, status: int, body: bytes) -> list[Problem] | None:
    """jsonschema violations of every event of a stream: its envelope, then its JSON data by ``type``."""
    validators = _event_validators(api, method, path, status)
    if validators is None:
        return None
    (base, envelope), by_type = validators
    spec = load_spec(api)
    events, _ = decode_stream(body)
    problems: list[Problem] = []
    for i, ev in enumerate(events):
        root = f"$.events[{i}]"
        problems += violations(envelope, {"event": ev.event, "data": ev.data}, root, spec=spec, base=base)
        problems += _data_problems(ev, root, by_type, spec)
    return problems


def _data_problems(ev: SSEEvent, root: str, by_type: dict[str, Any], spec: dict[str, Any]) -> list[Problem]:
    try:
        data = json.loads(ev.data)
    except ValueError:
        return [Problem(f"event data is not JSON ({ev.event})", f"{root}.data: {ev.data[:120]!r}")]
    kind = data.get("type") if isinstance(data, dict) else None
    found = by_type.get(kind) if isinstance(kind, str) else None
    if found is None:
        return [
            Problem(
                "event data has an unknown type", f"{root}.data.type: {kind!r} is none of {sorted(by_type)}"
            )
        ]
    base, validator = found
    return violations(
        validator, data, f"{root}.data", spec=spec if base else None, base=base, context=str(kind)
    )


def _datas(events: list[SSEEvent]) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Each event's data as a dict, and the problems of events whose data is not one or names another type."""
    datas: list[dict[str, Any]] = []
    problems: list[Problem] = []
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
            message = f"event {i}: {ev.event!r} vs {data.get('type')!r}"
            problems.append(Problem("event name differs from its data type", message))
        datas.append(data)
    return datas, problems


def _order_problems(names: list[str], ended: bool) -> list[Problem]:
    """message_start first and once; exactly one terminal event, last; only known event names."""
    problems = []
    if names[0] != "message_start":
        problems.append(Problem("stream does not open with message_start", f"first event is {names[0]!r}"))
    if names.count("message_start") > 1:
        problems.append(Problem("more than one message_start", f"events: {_summary(names)}"))
    terminals = [i for i, n in enumerate(names) if n in TERMINAL_EVENTS]
    if not terminals and ended:
        problems.append(Problem("no terminal event", f"events: {_summary(names)}"))
    if len(terminals) > 1:
        problems.append(Problem("more than one terminal event", f"events: {_summary(names)}"))
    if terminals and terminals[0] != len(names) - 1:
        problems.append(Problem("events after the terminal event", f"events: {_summary(names)}"))
    unknown = sorted({n for n in names if n not in ("message_start", "delta", *TERMINAL_EVENTS)})
    if unknown:
        problems.append(Problem("unknown event name", f"unknown events: {unknown}"))
    return problems


def _content_problems(names: list[str], datas: list[dict[str, Any]]) -> list[Problem]:
    """delta indexes 0, 1, 2...; message_end names the message message_start opened."""
    problems = []
    indexes = [d.get("index") for n, d in zip(names, datas, strict=True) if n == "delta"]
    if indexes != list(range(len(indexes))):
        problems.append(Problem("delta indexes are not 0, 1, 2, ...", f"indexes: {indexes[:20]}"))
    start = datas[0] if names[0] == "message_start" else {}
    for n, d in zip(names, datas, strict=True):
        if n == "message_end" and start and d.get("message_id") != start.get("message_id"):
            ids = f"message_start.message_id={start.get('message_id')}, "
            problems.append(
                Problem(
                    "message_end names another message", f"{ids}message_end.message_id={d.get('message_id')}"
                )
            )
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
        return [*problems, Problem("empty stream", "the stream carried no event")]
    datas, data_problems = _datas(events)
    names = [ev.event for ev in events]
    return (
        problems
        + data_problems
        + _order_problems(names, not (cut or partial))
        + _content_problems(names, datas)
    )


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
