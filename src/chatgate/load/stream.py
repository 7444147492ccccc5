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
_BROKEN = -1  # the grammar state after a violation: no way on


class StreamRules:
    """One stream's rules laid out for the hot path (built once per process and stream)."""

    __slots__ = (
        "accepting", "api", "content", "delta", "envelope", "error_event", "finals", "grammar", "index",
        "known", "link", "name_field", "pointers", "reject", "schemas",
    )  # fmt: skip

    def __init__(self, api: str, stream: StreamModel) -> None:
        g = stream.grammar
        self.api = api
        self.grammar = g
        self.delta = g.delta
        self.accepting = g.accepting
        self.finals = g.finals
        self.known = frozenset(stream.events) | frozenset(stream.data_pointers) or frozenset(g.names)
        self.reject = stream.unknown_events != "ignore"
        self.content = stream.content_event
        self.index = stream.index_field
        self.link = stream.link_field
        self.name_field = stream.name_field
        self.error_event = stream.error_event
        self.pointers = dict(stream.data_pointers)
        self.envelope = stream.envelope_pointer
        self.schemas: dict[str, tuple[Any, str, bool]] = {}  # name -> (validator, pointer, is envelope)

    def schema(self, validators: Validators, name: str) -> tuple[Any, str, bool]:
        """The validator of ``name``'s data (else of the envelope), its pointer, and which it is."""
        found = self.schemas.get(name)
        if found is None:
            pointer = self.pointers.get(name)
            at, envelope = (pointer, False) if pointer is not None else (self.envelope, True)
            found = self.schemas[name] = (validators.fast(self.api, at), at, envelope)
        return found

    def expected(self, state: int) -> list[str]:
        return self.grammar.expected(state) if state >= 0 else []


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

    @property
    def final(self) -> bool:
        """The grammar allows nothing more: the body must end now."""
        return self.state in self.rules.finals

    def on(self, name: str, data: bytes | str, at: float) -> None:
        out, r = self.out, self.rules
        out.events += 1
        if self.first_at is None:
            self.first_at = at
        self.last_at = at
        if name not in r.known:
            if r.reject:
                out.fail("contract", f"unknown event {name!r} (the spec lists {sorted(r.known)})")
            return
        state = r.delta.get((self.state, name))
        if state is None:
            self._misplaced(name)
            state = _BROKEN
        self.state, self.last = state, name
        if name == r.content:
            out.deltas += 1
            if self.last_content is None:
                out.ttft_s = at - out.sent
            else:
                out.gaps.append(at - self.last_content)
            self.last_content = at
        elif state in r.accepting and self.last_content is not None:
            out.tail_gap_s = at - self.last_content
        if out.error is None:
            self._data(name, data)

    def _misplaced(self, name: str) -> None:
        state, out = self.state, self.out
        if state == _BROKEN:
            return
        if state == 0:
            why = f"stream opens with {name!r}, not one of {sorted(self.rules.grammar.opening)}"
        elif state in self.rules.finals:
            why = f"event {name!r} after terminal {self.last!r}"
        else:
            why = f"event {name!r} after {self.last!r} (expected one of {self.rules.expected(state)})"
        out.fail("contract", f"{why}; grammar: {self.rules.grammar.text}")

    def _data(self, name: str, data: bytes | str) -> None:
        out, r = self.out, self.rules
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            payload = None
        if type(payload) is not dict:
            out.fail("contract", f"event {name!r}: data is not a JSON object")
            return
        if r.name_field is not None and payload.get(r.name_field) != name:
            out.fail("contract", f"event {name!r}: data's {r.name_field} is {payload.get(r.name_field)!r}")
            return
        if name == r.content and r.index is not None:
            got = payload.get(r.index)
            if type(got) is not int or got != self.index:
                out.fail("contract", f"event {name!r}: {r.index} {got!r} where {self.index} was due")
                return
            self.index += 1
        if r.link is not None:
            value = payload.get(r.link, _ABSENT)
            if value is not _ABSENT:
                if self.link is _ABSENT:
                    self.link = value
                elif value != self.link:
                    out.fail("contract", f"event {name!r}: {r.link} {value!r}, earlier events {self.link!r}")
                    return
        if self.validators is not None:
            self._validate(name, data, payload)

    def _validate(self, name: str, data: bytes | str, payload: dict[str, Any]) -> None:
        assert self.validators is not None
        validator, pointer, envelope = self.rules.schema(self.validators, name)
        if envelope:
            text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
            payload = {"event": name, "data": text}
        self.out.validated += 1
        if not validator.is_valid(payload):
            problem = self.validators.explain(self.rules.api, pointer, payload)
            self.out.fail("contract", f"event {name}: {problem}")

    def finish(self, leftover: bool, complete: bool) -> None:
        out, r = self.out, self.rules
        if self.first_at is not None and out.events >= BUFFERED_MIN_EVENTS:
            out.buffered = self.last_at - self.first_at < BUFFERED_SPAN_S
        if self.state not in r.accepting:
            cut = " (cut mid-event)" if leftover else "" if complete else " (connection closed)"
            due = f"; expected one of {r.expected(self.state)}" if self.state >= 0 else ""
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
