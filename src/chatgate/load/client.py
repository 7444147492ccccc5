"""HTTP calls of the load scenarios with accurate timing and classified errors (no Locust here).

Streaming bodies are read with urllib3's ``read1`` on the raw response: it returns whatever bytes the
socket has as soon as it has any, so each timestamp is the arrival of bytes, taken before parsing.
(Locust's FastHttpSession ``iter_content`` waits for 1 KiB and would turn 20 ms gaps into 0 ms.)

Error classes (``Outcome.error``): ``http_<status>``, ``timeout``, ``connection``, ``broken_stream``
(ended without a terminal event, or cut mid-way), ``stream_error`` (a terminal ``error`` event),
``contract`` (a response that does not match the spec's schema).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import jsonschema
import jsonschema_rs
import requests

from chatgate.specs import load_spec, schema_validator
from chatgate.sse import SSEDecoder

__all__ = ["Outcome", "Validators", "classify_exception", "request_json", "stream_send"]

TERMINAL = ("message_end", "error")


@dataclass
class Outcome:
    """One request: its status, timings (seconds), and error class (None on success)."""

    name: str
    status: int = 0
    start: float = 0.0
    total_s: float = 0.0
    headers_s: float | None = None
    ttft_s: float | None = None
    gaps_s: list[float] = field(default_factory=list)  # between consecutive deltas (ITL)
    tail_gap_s: float | None = None  # from the last delta to the terminal event
    events: int = 0
    body_bytes: int = 0
    error: str | None = None
    detail: str = ""
    payload: Any = None


class Validators:
    """Response validators built from the specs' own schemas, applied to a sample of responses.

    The hot path is jsonschema-rs (Rust; a 20-row page validates in microseconds instead of the
    ~1 ms of pure-Python jsonschema, which would make validation the generator's main cost). Only an
    invalid payload goes through Python jsonschema too, for the clearest message and its JSON path;
    both validators are built from the same schema in the spec.
    """

    def __init__(self, sample_rate: float = 1.0, seed: int | None = None) -> None:
        self.sample_rate = sample_rate
        self._rng = random.Random(seed)
        self._cache: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
        self._fast: dict[tuple[str, str], Any] = {}

    def get(self, api: str, pointer: str) -> jsonschema.protocols.Validator:
        key = (api, pointer)
        v = self._cache.get(key)
        if v is None:
            v = self._cache[key] = schema_validator(load_spec(api), pointer)
        return v

    def fast(self, api: str, pointer: str) -> Any:
        """The jsonschema-rs validator of ``pointer`` (``#/...``), resolved inside the whole spec."""
        key = (api, pointer)
        v = self._fast.get(key)
        if v is None:
            v = self._fast[key] = jsonschema_rs.Draft202012Validator(
                {**load_spec(api), "$ref": pointer}, validate_formats=True
            )
        return v

    def sampled(self) -> bool:
        return self.sample_rate >= 1.0 or self._rng.random() < self.sample_rate

    def check(self, api: str, pointer: str, payload: Any) -> str | None:
        """Return a one-line violation, or None when valid."""
        if self.fast(api, pointer).is_valid(payload):
            return None
        err = jsonschema.exceptions.best_match(self.get(api, pointer).iter_errors(payload))
        if err is None:  # the two validators disagree: report it rather than pass silently
            return "(root): invalid by jsonschema-rs, valid by jsonschema"
        where = "/".join(str(p) for p in err.absolute_path) or "(root)"
        return f"{where}: {err.message[:160]}"


def classify_exception(exc: BaseException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timeout"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "broken_stream"
    if isinstance(exc, requests.ConnectionError):
        return "connection"
    return "connection"


_STREAM_DATA = {
    "message_start": "#/components/schemas/MessageStartData",
    "delta": "#/components/schemas/DeltaData",
    "message_end": "#/components/schemas/MessageEndData",
    "error": "#/components/schemas/StreamErrorData",
}


def stream_send(
    session: requests.Session,
    url: str,
    headers: dict[str, str],
    body: dict[str, Any],
    *,
    timeout: float,
    validators: Validators | None,
    name: str = "stream",
) -> Outcome:
    """POST a Nara streaming send; time headers, first delta, every inter-event gap and the terminal.

    Each event's time is when its last bytes were read (``raw.read1``: whatever has arrived, no
    buffering to a size), taken before parsing.
    """
    out = Outcome(name=name)
    check = validators is not None and validators.sampled()
    t0 = out.start = time.perf_counter()
    try:
        resp = session.post(url, json=body, headers=headers, stream=True, timeout=timeout)
    except requests.RequestException as exc:
        out.total_s = time.perf_counter() - t0
        out.error, out.detail = classify_exception(exc), type(exc).__name__
        return out
    out.headers_s = time.perf_counter() - t0
    out.status = resp.status_code
    try:
        if resp.status_code != 200:
            data = resp.content
            out.body_bytes = len(data)
            out.error, out.detail = f"http_{resp.status_code}", data[:120].decode("utf-8", "replace")
            return out
        dec = SSEDecoder()
        last: float | None = None
        terminal: str | None = None
        raw = resp.raw
        while True:
            chunk = raw.read1(65536)
            now = time.perf_counter()
            if not chunk:
                break
            out.body_bytes += len(chunk)
            for ev in dec.feed(chunk, now):
                out.events += 1
                if terminal is not None:
                    out.error, out.detail = "contract", f"event {ev.event!r} after terminal {terminal!r}"
                if ev.event == "delta":
                    if out.ttft_s is None:
                        out.ttft_s = ev.at - t0
                    elif last is not None:
                        out.gaps_s.append(ev.at - last)
                    last = ev.at
                elif ev.event in TERMINAL:
                    terminal = ev.event
                    if last is not None:
                        out.tail_gap_s = ev.at - last
                if check and out.error is None:
                    out.error, out.detail = _check_event(validators, ev.event, ev.data)
        leftover = dec.close()
        if out.error is None:
            if terminal is None:
                out.error = "broken_stream"
                out.detail = "stream ended without a terminal event" + (
                    " (cut mid-event)" if leftover else ""
                )
            elif terminal == "error":
                out.error, out.detail = "stream_error", "terminal error event"
    except requests.RequestException as exc:
        out.error, out.detail = classify_exception(exc), type(exc).__name__
    except Exception as exc:  # urllib3/http.client errors surfacing from read1 on a cut stream
        out.error, out.detail = "broken_stream", type(exc).__name__
    finally:
        out.total_s = time.perf_counter() - t0
        resp.close()
    return out


def _check_event(validators: Validators | None, event: str, data: str) -> tuple[str | None, str]:
    assert validators is not None
    pointer = _STREAM_DATA.get(event)
    if pointer is None:
        return "contract", f"unknown event {event!r}"
    try:
        payload = json.loads(data)
    except ValueError:
        return "contract", f"event {event!r}: data is not JSON"
    problem = validators.check("nara", pointer, payload)
    return ("contract", f"event {event}: {problem}") if problem else (None, "")


def request_json(
    session: requests.Session,
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    timeout: float,
    validators: Validators | None,
    api: str,
    pointer: str,
    name: str,
    params: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
) -> Outcome:
    """A JSON request; non-2xx is ``http_<status>``, a 2xx body failing the spec schema is ``contract``."""
    out = Outcome(name=name)
    t0 = out.start = time.perf_counter()
    try:
        resp = session.request(method, url, params=params, json=body, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        out.total_s = time.perf_counter() - t0
        out.error, out.detail = classify_exception(exc), type(exc).__name__
        return out
    out.total_s = time.perf_counter() - t0
    return judge_json(out, resp.status_code, resp.content, validators, api, pointer)


def judge_json(
    out: Outcome, status: int, content: bytes, validators: Validators | None, api: str, pointer: str
) -> Outcome:
    """Classify a finished JSON response: ``http_<status>``, ``contract`` (not JSON / schema), or success."""
    out.status = status
    out.body_bytes = len(content)
    if not 200 <= status < 300:
        out.error, out.detail = f"http_{status}", content[:120].decode("utf-8", "replace")
        return out
    try:
        out.payload = json.loads(content)
    except ValueError:
        out.error, out.detail = "contract", "body is not JSON"
        return out
    if validators is not None and validators.sampled():
        problem = validators.check(api, pointer, out.payload)
        if problem:
            out.error, out.detail = "contract", problem
    return out
