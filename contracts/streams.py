"""Streams as the gate judges them: decoded whole, matched against the spec's compiled grammar.

Every rule comes from the operation's :class:`~chatgate.contract_model.StreamModel` (``x-chatgate-stream``
in the spec): the grammar over event names (its opening and terminal events included), the field that
repeats an event's name in its data, the content event with its gap-free index, the field every event
that carries it must agree on, and whether names the spec does not list are refused or skipped. The
load generator judges the same rules incrementally on its hot path (``chatgate.load.http``); a parity
test feeds both the same byte streams.

:func:`grammar_problems` lists every distinct way a stream breaks those rules (titles stay stable across
runs and positions); :func:`stream_call` reads what the spec's runtime expressions need from a stream
(its content, each event's data).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from chatgate.contract_model import StreamModel
from chatgate.gate.model import Problem
from chatgate.sse import SSEDecoder, SSEEvent

__all__ = ["decode_stream", "grammar_problems", "stream_content", "stream_events"]


def decode_stream(body: bytes) -> tuple[list[SSEEvent], bool]:
    """The events of a whole stream body, and whether it ended mid-event (a cut stream)."""
    dec = SSEDecoder()
    events = dec.feed(body, 0.0)
    cut = dec.close()
    return events, cut


def _summary(names: list[str]) -> str:
    out: list[str] = []
    for n in names:
        if out and (out[-1] == n or out[-1] == n + "*"):
            out[-1] = n + "*"
        else:
            out.append(n)
    return ", ".join(out)


def _data(ev: SSEEvent) -> dict[str, Any] | None:
    try:
        data = json.loads(ev.data)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _kept(s: StreamModel, events: list[SSEEvent]) -> tuple[list[SSEEvent], list[str]]:
    """The events the grammar judges, and the unknown names (skipped when the spec says ignore)."""
    unknown = sorted({ev.event for ev in events if not s.known(ev.event)})
    if s.unknown_events == "ignore":
        return [ev for ev in events if s.known(ev.event)], []
    return [ev for ev in events if s.known(ev.event)], unknown


def _data_problems(s: StreamModel, events: list[SSEEvent]) -> tuple[list[dict[str, Any]], list[Problem]]:
    datas: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for i, ev in enumerate(events):
        data = _data(ev)
        if data is None:
            problems.append(
                Problem("event data is not a JSON object", f"event {i} ({ev.event}): {ev.data[:80]!r}")
            )
            data = {}
        elif s.name_field is not None and data.get(s.name_field) != ev.event:
            message = f"event {i}: {ev.event!r} vs {s.name_field} {data.get(s.name_field)!r}"
            problems.append(Problem("event name differs from its data type", message))
        datas.append(data)
    return datas, problems


def _order_problems(s: StreamModel, names: list[str], ended: bool) -> list[Problem]:
    """The first place the grammar refuses, and a missing end (each pointing at the grammar)."""
    return [replace(p, spec_pointer=s.grammar_pointer) for p in _order(s, names, ended)]


def _order(s: StreamModel, names: list[str], ended: bool) -> list[Problem]:
    g, state, seen = s.grammar, 0, set[str]()
    opening = " or ".join(sorted(g.opening))
    for i, name in enumerate(names):
        nxt = g.step(state, name)
        if nxt is None:
            if i == 0:
                return [Problem(f"stream does not open with {opening}", f"first event is {name!r}")]
            if state in g.finals:
                title = (
                    "more than one terminal event"
                    if name in g.terminal
                    else "events after the terminal event"
                )
                return [Problem(title, f"events: {_summary(names)}")]
            if name in g.opening and name in seen:
                return [Problem(f"more than one {name}", f"events: {_summary(names)}")]
            expected = ", ".join(g.expected(state)) or "the end"
            message = f"event {i} is {name!r} where {expected} may come; events: {_summary(names)}"
            return [Problem("events out of the grammar's order", message)]
        seen.add(name)
        state = nxt
    if ended and state not in g.accepting:
        return [Problem("no terminal event", f"events: {_summary(names)}")]
    return []


def _content_problems(s: StreamModel, names: list[str], datas: list[dict[str, Any]]) -> list[Problem]:
    """The content event's index runs 0, 1, 2...; every event carrying the link field agrees on it."""
    problems = []
    if s.index_field is not None:
        indexes = [d.get(s.index_field) for n, d in zip(names, datas, strict=True) if n == s.content_event]
        if indexes != list(range(len(indexes))):
            message = f"{s.index_field}: {indexes[:20]}"
            title = f"{s.content_event} indexes are not 0, 1, 2, ..."
            problems.append(Problem(title, message, spec_pointer=f"{s.rules_pointer}/content"))
    if s.link_field is not None:
        first: tuple[str, Any] | None = None
        for n, d in zip(names, datas, strict=True):
            if s.link_field not in d:
                continue
            if first is None:
                first = (n, d[s.link_field])
            elif d[s.link_field] != first[1]:
                found = f"{first[0]}.{s.link_field}={first[1]}, {n}.{s.link_field}={d[s.link_field]}"
                title = f"{n} names another message"
                problems.append(Problem(title, found, spec_pointer=f"{s.rules_pointer}/link_field"))
                break
    return problems


def grammar_problems(s: StreamModel, body: bytes, *, cut: bool = False) -> list[Problem]:
    """Where a stream breaks the spec's stream rules (``cut``: the transport itself broke off)."""
    events, partial = decode_stream(body)
    problems: list[Problem] = []
    if cut or partial:
        problems.append(
            Problem("stream cut before its end", f"the stream broke off after {len(events)} events")
        )
    kept, unknown = _kept(s, events)
    if unknown:
        where = f"{s.rules_pointer}/unknown_events" if s.unknown_events_stated else s.grammar_pointer
        problems.append(Problem("unknown event name", f"unknown events: {unknown}", spec_pointer=where))
    if not kept:
        return (
            [*problems, Problem("empty stream", "the stream carried no event")] if not unknown else problems
        )
    datas, data_problems = _data_problems(s, kept)
    names = [ev.event for ev in kept]
    return (
        problems
        + data_problems
        + _order_problems(s, names, not (cut or partial))
        + _content_problems(s, names, datas)
    )


def stream_events(s: StreamModel, body: bytes) -> dict[str, Any]:
    """Each event's data (the first of each name), as ``$stream.event.NAME#/...`` reads them."""
    out: dict[str, Any] = {}
    for ev in decode_stream(body)[0]:
        if s.known(ev.event) and ev.event not in out:
            data = _data(ev)
            if data is not None:
                out[ev.event] = data
    return out


def stream_content(s: StreamModel, body: bytes) -> str:
    """The concatenated content of the stream's content events (``$stream.content``)."""
    out = []
    for ev in decode_stream(body)[0]:
        if ev.event == s.content_event:
            data = _data(ev)
            if data is not None:
                out.append(str(data.get(s.content_field, "")))
    return "".join(out)
