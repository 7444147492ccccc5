"""What one stream's events say, judged as they arrive by the rules its spec states: timing and verdict.

Everything comes from the operation's :class:`~chatgate.contract_model.StreamModel`; no event name is
written here. Per event (one call of :meth:`Events.on`, on the generator's hot path):

- a name the schema does not list is skipped under ``unknown_events: ignore``, a ``contract`` error
  under ``reject``;
- the compiled grammar steps (one dict lookup): a name it does not allow there (a first event not in
  ``opening``, anything after a final state, one out of order) is ``contract``;
- the content event (``content.event``) is the token: the first sets TTFT, each next one a gap (ITL);
  the gap from the last one to the event that completes the grammar is the tail gap;
- the data must be a JSON object whose ``name_field`` repeats the event's name; the content event's
  ``index`` runs 0, 1, 2... with no gap; every event carrying ``link_field`` carries the same value;
- on a validated stream (``CHATGATE_VALIDATE_SAMPLE``) the data is held to its event's schema (or, for an
  event with no data schema, the envelope to the stream's event schema).

At the end (:meth:`Events.finish`): a stream that stopped (or was cut) before its grammar accepts is
``broken_stream``; one that ended in ``error_event`` is ``stream_error``. The first failure is the cause
(:meth:`chatgate.load.outcome.Outcome.fail`). The gate judges streams by the same rules with its own
matcher; :func:`judge_bytes` gives this one's verdict on a whole body, for tests that hold both to the
same streams.
"""

from __future__ import annotations

from typing import Any

import orjson

from chatgate.contract_model import StreamModel
from chatgate.load.outcome import Outcome
from chatgate.load.validators import Validators
from chatgate.sse import EventSplitter

__all__ = ["BUFFERED_MIN_EVENTS", "BUFFERED_SPAN_S", "Events", "StreamRules", "judge_bytes"]

# An event stream whose events all arrive within this span is "buffered": something between the
# target and us (or the target itself) delivered it in one burst, so its gaps say nothing.
BUFFERED_SPAN_S = 0.001
BUFFERED_MIN_EVENTS = 3
_ABSENT: Any = object()


class StreamRules:
    """One stream's rules laid out for the hot path (built once per process and stream).

    ``moves[state]`` maps an event name to the next state (one dict lookup per event); the last entry
    is the state after a violation, with no way on. ``ends[state]``: the grammar accepts there;
    ``stops``: the states after which the body must end (a final one, or the one after a violation)."""

    __slots__ = (
        "api", "broken", "content", "ends", "envelope", "error_event", "fast", "finals", "grammar", "index",
        "known", "link", "moves", "name_field", "pointers", "reject", "stops",
    )  # fmt: skip

    def __init__(self, api: str, stream: StreamModel) -> None:
        g = stream.grammar
        states = 1 + max((s for pair in g.delta.items() for s in (pair[0][0], pair[1])), default=0)
        self.moves: list[dict[str, int]] = [{} for _ in range(states + 1)]
        for (state, name), nxt in g.delta.items():
            self.moves[state][name] = nxt
        self.broken = states
        self.ends = [s in g.accepting for s in range(states + 1)]
        self.api, self.grammar, self.finals = api, g, g.finals
        self.stops = g.finals | {states}
        self.known = frozenset(stream.events) | frozenset(stream.data_pointers) or frozenset(g.names)
        self.reject = stream.unknown_events != "ignore"
        self.content = stream.content_event
        self.index = stream.index_field
        self.link = stream.link_field
        self.name_field = stream.name_field
        self.error_event = stream.error_event
        self.pointers = dict(stream.data_pointers)
        self.envelope = stream.envelope_pointer
        self.fast: dict[str, Any] = {}  # name -> the jsonschema-rs validator of its data (once looked up)

    def data_validator(self, validators: Validators, name: str) -> Any:
        """The validator of ``name``'s data; None for an event with no data schema (its envelope is
        validated instead, off the hot path)."""
        pointer = self.pointers.get(name)
        if pointer is None:
            return None
        found = self.fast[name] = validators.fast(self.api, pointer)
        return found

    def expected(self, state: int) -> list[str]:
        return self.grammar.expected(state) if state < self.broken else []


class Events:
    """What a stream's events say: TTFT, gaps, grammar, index, link, validity (one instance per stream)."""

    __slots__ = (
        "first_at", "index", "last", "last_at", "last_content", "link", "out", "rules", "state", "validators",
    )  # fmt: skip

    def __init__(self, out: Outcome, rules: StreamRules, validators: Validators | None) -> None:
        self.out = out
        self.rules = rules
        self.validators = validators
        self.state = 0
        self.last: str | None = None  # the last event the grammar took
        self.last_content: float | None = None
        self.first_at: float | None = None
        self.last_at = 0.0
        self.index = 0
        self.link: Any = _ABSENT

    def on(self, name: str, data: bytes | str, at: float) -> None:
        out, r = self.out, self.rules
        out.events += 1
        if self.first_at is None:
            self.first_at = at
        self.last_at = at
        state = r.moves[self.state].get(name)
        if state is None:
            if name not in r.known:
                if r.reject:
                    out.fail("contract", f"unknown event {name!r} (the spec lists {sorted(r.known)})")
                return
            self._misplaced(name)
            state = r.broken
        self.state, self.last = state, name
        content = name == r.content
        if content:
            out.deltas += 1
            if self.last_content is None:
                out.ttft_s = at - out.sent
            else:
                out.gaps.append(at - self.last_content)
            self.last_content = at
        elif r.ends[state] and self.last_content is not None:
            out.tail_gap_s = at - self.last_content
        if out.error is not None:
            return
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            payload = None
        if type(payload) is not dict or (r.name_field is not None and payload.get(r.name_field) != name):
            self._bad_data(name, payload)
        elif content and r.index is not None and (got := payload.get(r.index)) != self.index:
            self._bad_index(name, got)
        elif (
            r.link is not None
            and (value := payload.get(r.link, _ABSENT)) is not _ABSENT
            and value != self.link
        ):
            self._linked(name, payload, value, data)
        elif self.validators is not None:
            fast = r.fast.get(name)
            if fast is not None:  # every event but the first of each name, and those with no data schema
                out.validated += 1
                if not fast.is_valid(payload):
                    self._validate(name, payload, r.pointers[name])
            else:
                self._valid(name, payload, data)
        if content:
            self.index += 1

    def _valid(self, name: str, payload: dict[str, Any], data: bytes | str) -> None:
        """Hold the event's data to its schema (an event with no data schema: its envelope)."""
        r, validators = self.rules, self.validators
        assert validators is not None
        fast = r.fast[name] if name in r.fast else r.data_validator(validators, name)
        self.out.validated += 1
        if fast is None:
            self._validate(name, {"event": name, "data": data}, r.envelope)
        elif not fast.is_valid(payload):
            self._validate(name, payload, r.pointers[name])

    def _linked(self, name: str, payload: dict[str, Any], value: Any, data: bytes | str) -> None:
        """The first event that carries the link field sets it; a later one that differs is a violation."""
        if self.link is not _ABSENT:
            self.out.fail(
                "contract", f"event {name!r}: {self.rules.link} {value!r}, earlier events {self.link!r}"
            )
        else:
            self.link = value
            if self.validators is not None:
                self._valid(name, payload, data)

    def _misplaced(self, name: str) -> None:
        state, out, r = self.state, self.out, self.rules
        if state == r.broken:
            return
        if state == 0:
            why = f"stream opens with {name!r}, not one of {sorted(r.grammar.opening)}"
        elif state in r.finals:
            why = f"event {name!r} after terminal {self.last!r}"
        else:
            why = f"event {name!r} after {self.last!r} (expected one of {r.expected(state)})"
        out.fail("contract", f"{why}; grammar: {r.grammar.text}")

    def _bad_data(self, name: str, payload: Any) -> None:
        field = self.rules.name_field
        if type(payload) is not dict:
            self.out.fail("contract", f"event {name!r}: data is not a JSON object")
        else:
            self.out.fail("contract", f"event {name!r}: data's {field} is {payload.get(str(field))!r}")

    def _bad_index(self, name: str, got: Any) -> None:
        self.out.fail("contract", f"event {name!r}: {self.rules.index} {got!r} where {self.index} was due")

    def _validate(self, name: str, payload: Any, pointer: str) -> None:
        """Hold ``payload`` to the schema at ``pointer`` (the envelope's: its data as text)."""
        assert self.validators is not None
        if isinstance(payload.get("data"), bytes) and pointer == self.rules.envelope:
            payload = {**payload, "data": payload["data"].decode("utf-8", "replace")}
        if not self.validators.fast(self.rules.api, pointer).is_valid(payload):
            problem = self.validators.explain(self.rules.api, pointer, payload)
            self.out.fail("contract", f"event {name}: {problem}")

    def finish(self, leftover: bool, complete: bool) -> None:
        out, r = self.out, self.rules
        if self.first_at is not None and out.events >= BUFFERED_MIN_EVENTS:
            out.buffered = self.last_at - self.first_at < BUFFERED_SPAN_S
        if not r.ends[self.state]:
            cut = " (cut mid-event)" if leftover else "" if complete else " (connection closed)"
            due = f"; expected one of {r.expected(self.state)}" if self.state < r.broken else ""
            out.fail("broken_stream", f"stream ended before its grammar was complete{cut}{due}")
        elif self.last is not None and self.last == r.error_event:
            out.fail("stream_error", f"terminal {self.last!r} event")


def judge_bytes(
    rules: StreamRules,
    body: bytes,
    *,
    validate: bool = True,
    validators: Validators | None = None,
    complete: bool = True,
) -> Outcome:
    """The load generator's verdict on one whole 2xx event-stream body: ``error`` None, ``stream_error``,
    ``broken_stream`` or ``contract`` (``detail`` says why). ``validate``: hold each event's data to its
    schema too (a sampled stream); ``complete``: the body ended cleanly, not cut by the connection."""
    out = Outcome("stream")
    events = Events(out, rules, (validators or Validators()) if validate else None)
    splitter = EventSplitter()
    for name, data, at in splitter.feed(body, 0.0):
        events.on(name, data, at)
    events.finish(splitter.close(), complete)
    return out
