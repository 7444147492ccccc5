"""Helpers for the server's tests: dev keys, spec validators for bodies and events, an SSE reader."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from chatgate.specs import load_spec, schema_validator
from chatgate.sse import SSEDecoder, SSEEvent
from tests.field_proxy import ThreadedServer

NARA_1001 = {"Authorization": "Bearer nara-dev-key-1001"}
NARA_1002 = {"Authorization": "Bearer nara-dev-key-1002"}
NAVIGABLE = {"X-Api-Key": "navigable-dev-key"}
InProcess = Callable[..., ThreadedServer]  # the in_process fixture: in_process(**ServerConfig fields)
SEND = "/api/v1.0/chat"
LIST = "/api/v1.0/chat/messages"
NAV = "/api/v1/chat"


def response_validator(api: str, path: str, method: str, status: int) -> Any:
    """Validator of the spec's ``application/json`` response schema for one status of one operation."""
    pointer = f"#/paths/{path.replace('/', '~1')}/{method}/responses/{status}"
    spec = load_spec(api)
    node = spec["paths"][path][method]["responses"][str(status)]
    if "$ref" in node:
        pointer = node["$ref"]
    return schema_validator(spec, f"{pointer}/content/application~1json/schema")


def assert_conforms(api: str, path: str, method: str, resp: httpx.Response, status: int) -> Any:
    """``resp`` has ``status`` and a JSON body valid against the spec's schema for it; returns the body."""
    assert resp.status_code == status, (resp.status_code, resp.text[:300])
    assert resp.headers["content-type"].startswith("application/json"), resp.headers
    body = resp.json()
    errors = [e.message for e in response_validator(api, path, method, status).iter_errors(body)]
    assert not errors, (errors, body)
    return body


_EVENT_DATA = {
    "message_start": "#/components/schemas/MessageStartData",
    "delta": "#/components/schemas/DeltaData",
    "message_end": "#/components/schemas/MessageEndData",
    "error": "#/components/schemas/StreamErrorData",
}


def event_data_valid(event: SSEEvent) -> bool:
    """Whether an event's data is JSON valid against the spec's schema for its name."""
    try:
        payload = json.loads(event.data)
    except ValueError:
        return False
    pointer = _EVENT_DATA.get(event.event)
    return pointer is not None and schema_validator(load_spec("nara"), pointer).is_valid(payload)


@dataclass
class StreamRead:
    """What a client saw of a streamed reply."""

    status: int
    content_type: str
    events: list[SSEEvent] = field(default_factory=list)
    clean_end: bool = True  # the body ended with the end of the chunked encoding
    error: str = ""
    delta_times: list[float] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [e.event for e in self.events]

    def content(self) -> str:
        return "".join(json.loads(e.data)["content"] for e in self.events if e.event == "delta")


def read_stream(
    client: httpx.Client, body: dict[str, Any], headers: dict[str, str] | None = None, **kw: Any
) -> StreamRead:
    """POST a streamed Nara send and read every event, noting how the body ended."""
    start = time.perf_counter()
    with client.stream("POST", SEND, json={**body, "stream": True}, headers=headers or NARA_1001, **kw) as r:
        out = StreamRead(r.status_code, r.headers.get("content-type", ""))
        dec = SSEDecoder()
        try:
            for chunk in r.iter_raw():
                now = time.perf_counter()
                for ev in dec.feed(chunk, now):
                    out.events.append(ev)
                    if ev.event == "delta":
                        out.delta_times.append(now - start)
        except httpx.HTTPError as exc:
            out.clean_end, out.error = False, type(exc).__name__
        dec.close()
    return out
