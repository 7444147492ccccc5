"""Server-Sent Events for Nara's streamed replies, paced and optionally broken on purpose.

A reply streams as ``message_start``, one ``delta`` per token, then ``message_end``; each event's data is
one line of JSON whose ``type`` is the event's name. A stream first takes a generation slot
(``generation.Slots``; immediate unless ``--max-concurrent-streams`` is reached), then sends its
headers and ``message_start``. Deltas are due at fixed times measured from the request's arrival (after
any added latency) or from the moment the slot was taken, whichever is later: ``ttft`` for the first,
then every ``itl`` — a schedule, so small delays don't accumulate. With ``ping_s``, ``: ping`` comments
go out every ``ping_s`` (on a schedule from the stream's start) while the next event is not yet due.
Shutdown is noticed between events: the stream ends with an ``error`` event (``server_shutdown``). A
client that disconnects ends the stream quietly.

Faults: ``CUT`` closes the connection mid-way (after half the deltas, no terminal event, no end of the
chunked body); ``MALFORMED`` adds one ``delta`` event whose data is not JSON in the middle;
``MISSING_TERMINAL`` ends the body cleanly without a terminal event; ``STALL`` sends two deltas, then
only pings (every ``ping_s``, 1 s when none is set) and never a terminal event, until the client leaves
or the server shuts down (then the body just ends); ``ERROR`` sends every delta, then the ``error`` event
(``internal_error``) in place of ``message_end``: a stream the grammar allows, whose stored reply is what
was streamed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from starlette.types import Message, Receive, Scope, Send

from chatgate.server.faults import StreamFault
from chatgate.server.generation import Slots, sleep_until, take_slot

__all__ = ["EventStream", "StreamCounters", "StreamPlan", "StreamRegistry", "sse_event"]

_CUT_LOG = "ASGI callable returned without completing response."
_PING = b": ping\n\n"
_STALL_PING_S = 1.0  # pings of a stalled stream when no ping interval is set


def sse_event(name: str, data: dict[str, object]) -> bytes:
    """One named event whose data is a single line of JSON with ``type`` = ``name``."""
    payload = json.dumps({"type": name, **data}, ensure_ascii=False, separators=(",", ":"))
    return f"event: {name}\ndata: {payload}\n\n".encode()


@dataclass
class StreamCounters:
    """Streams started, how they ended, and how many are open now (``/_chatgate/stats``)."""

    started: int = 0
    completed: int = 0
    shutdown: int = 0
    cut: int = 0
    malformed: int = 0
    missing_terminal: int = 0
    stalled: int = 0
    errored: int = 0
    disconnected: int = 0
    active: int = 0

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class StreamRegistry:
    """The server's open streams: counters, and the switch that ends them all at shutdown."""

    def __init__(self) -> None:
        self.counters = StreamCounters()
        self.shutting_down = False
        self._stops: set[asyncio.Event] = set()

    def shutdown(self) -> None:
        """Ask every open stream to end now (with an ``error`` event); new streams end at once too."""
        self.shutting_down = True
        for stop in list(self._stops):
            stop.set()

    def add(self, stop: asyncio.Event) -> None:
        self._stops.add(stop)
        if self.shutting_down:
            stop.set()

    def discard(self, stop: asyncio.Event) -> None:
        self._stops.discard(stop)


@dataclass
class StreamPlan:
    """What to stream for one reply and when."""

    message_id: int
    user_message_id: int
    conversation_id: str
    tokens: list[str]
    start: float  # perf_counter() the schedule is measured from (moved later by a wait for a slot)
    ttft_s: float
    itl_s: float
    fault: StreamFault | None = None
    ping_s: float | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)


class _Cut(Exception):
    """Raised inside the event generator to close the connection abruptly."""


class _QuietCut(logging.Filter):
    """Drop uvicorn's complaint about the response we leave unfinished on purpose (a cut stream)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _CUT_LOG


logging.getLogger("uvicorn.error").addFilter(_QuietCut())

_HEADERS = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"text/event-stream; charset=utf-8"),
        (b"cache-control", b"no-cache"),
        (b"x-accel-buffering", b"no"),
    ],
}


class EventStream:
    """ASGI response streaming a ``StreamPlan`` as ``text/event-stream``.

    When the plan's ``stop`` event is set during a shutdown the stream ends with an ``error`` event;
    otherwise ``stop`` means the client went away and the stream just ends.
    """

    def __init__(self, plan: StreamPlan, registry: StreamRegistry, slots: Slots) -> None:
        self.plan = plan
        self.registry = registry
        self.slots = slots
        self._client_gone = False
        self._ended_as = "completed"
        self._next_ping = math.inf
        self.status_code = 200

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        c = self.registry.counters
        c.started += 1
        c.active += 1
        self.registry.add(self.plan.stop)
        listener = asyncio.ensure_future(self._listen(receive))
        outcome = "disconnected"
        try:
            if await take_slot(self.slots, self.plan.stop):
                try:
                    outcome = await self._stream(send)
                finally:
                    self.slots.release()
            elif not self._client_gone:  # shut down while waiting for a slot
                await send(_HEADERS)
                await send({"type": "http.response.body", "body": _shutdown_event(), "more_body": False})
                outcome = "shutdown"
        except OSError:
            outcome = "disconnected"
        finally:
            listener.cancel()
            self.registry.discard(self.plan.stop)
            c.active -= 1
            setattr(c, outcome, getattr(c, outcome) + 1)

    async def _stream(self, send: Send) -> str:
        """Send the whole stream; how it ended (a ``StreamCounters`` field)."""
        p = self.plan
        p.start = max(p.start, time.perf_counter())
        if p.ping_s is not None or p.fault is StreamFault.STALL:
            self._next_ping = p.start + (p.ping_s or _STALL_PING_S)
        await send(_HEADERS)
        try:
            async for chunk in self._events():
                if self._client_gone:
                    return "disconnected"
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except _Cut:
            return "cut"  # return without finishing the body: uvicorn closes the connection
        if self._client_gone:
            return "disconnected"
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return self._ended_as

    async def _listen(self, receive: Receive) -> None:
        while True:
            message: Message = await receive()
            if message["type"] == "http.disconnect":
                self._client_gone = True
                self.plan.stop.set()
                return

    async def _until(self, due: float) -> AsyncIterator[bytes]:
        """Wait until ``due`` (inf: until stopped), yielding the pings due meanwhile; ends early on stop."""
        p = self.plan
        while self._next_ping < due:
            if await sleep_until(self._next_ping, p.stop):
                return
            self._next_ping += p.ping_s or _STALL_PING_S
            yield _PING
        await sleep_until(due, p.stop)

    async def _events(self) -> AsyncIterator[bytes]:
        p = self.plan
        yield sse_event(
            "message_start",
            {
                "message_id": p.message_id,
                "user_message_id": p.user_message_id,
                "conversation_id": p.conversation_id,
            },
        )
        half = len(p.tokens) // 2
        for i, token in enumerate(p.tokens):
            if i == 2 and p.fault is StreamFault.STALL:
                break
            async for ping in self._until(p.start + p.ttft_s + i * p.itl_s):
                yield ping
            if p.stop.is_set():
                if self.registry.shutting_down and not self._client_gone:
                    self._ended_as = "shutdown"
                    yield _shutdown_event()
                return
            if i == half and p.fault is StreamFault.CUT:
                raise _Cut
            if i == half and p.fault is StreamFault.MALFORMED:
                self._ended_as = "malformed"
                yield b'event: delta\ndata: {"type":"delta","index":' + str(i).encode() + b',"content":\n\n'
            yield sse_event("delta", {"index": i, "content": token})
        async for chunk in self._ending():
            yield chunk

    async def _ending(self) -> AsyncIterator[bytes]:
        """What follows the deltas: the terminal event, or a fault's ending."""
        p = self.plan
        if p.fault is StreamFault.CUT:  # no delta to cut after (zero tokens): cut after message_start
            raise _Cut
        if p.fault is StreamFault.MISSING_TERMINAL:
            self._ended_as = "missing_terminal"
            return
        if p.fault is StreamFault.STALL:
            self._ended_as = "stalled"
            async for ping in self._until(math.inf):
                yield ping
            return
        if p.fault is StreamFault.ERROR:
            self._ended_as = "errored"
            failed: dict[str, object] = {
                "code": "internal_error",
                "message": "The reply could not be completed.",
            }
            yield sse_event("error", failed)
            return
        yield sse_event("message_end", {"message_id": p.message_id, "finish_reason": "stop"})


def _shutdown_event() -> bytes:
    return sse_event("error", {"code": "server_shutdown", "message": "The server is shutting down."})
