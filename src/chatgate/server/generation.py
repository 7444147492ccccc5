"""Generating a reply takes time and a slot, like a chat model serving requests.

``Slots`` caps how many replies are generated at once (``chatgate serve --max-concurrent-streams N``:
streamed or not, the slots of a sampled LLM); the others wait in a FIFO queue, and that wait shows in
their time to first token. A reply holds its slot from the moment it gets one until it is delivered (a
stream: until its last event, or the client leaves, or the server shuts down), so the server's capacity
is about ``N / reply duration`` replies per second, the duration being ``TTFT + (n - 1) x ITL`` for a
stream of ``n`` deltas and ``TTFT + n x ITL`` for a non-streamed reply (``PacedReply``).

A reply's schedule starts when it gets its slot (or when the request arrived, after any added latency,
when no slot had to be waited for). A client that leaves while its reply waits gives up its place.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

__all__ = ["PacedReply", "Slots", "listen_for_disconnect", "sleep_until", "take_slot"]


class Slots:
    """At most ``limit`` replies in generation at once (None: no limit); the rest queue in FIFO order."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.active = 0
        self.active_peak = 0
        self.queue_peak = 0
        self.queued_total = 0  # replies that had to wait for a slot
        self._queue: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> None:
        if self.limit is None or (self.active < self.limit and not self._queue):
            self.active += 1
            self.active_peak = max(self.active_peak, self.active)
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append(waiter)
        self.queued_total += 1
        self.queue_peak = max(self.queue_peak, len(self._queue))
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot just as it left: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self._queue.remove(waiter)
            raise

    def release(self) -> None:
        """Give the slot to the first reply still waiting, or free it."""
        while self._queue:
            waiter = self._queue.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes on: ``active`` is unchanged
                return
        self.active -= 1

    def as_dict(self) -> dict[str, int | None]:
        return {
            "limit": self.limit,
            "active": self.active,
            "active_peak": self.active_peak,
            "queued": sum(1 for w in self._queue if not w.done()),
            "queue_peak": self.queue_peak,
            "queued_total": self.queued_total,
        }


async def take_slot(slots: Slots, stop: asyncio.Event) -> bool:
    """Wait for a slot; False (and no slot held) when ``stop`` is set first (client gone, shutdown)."""
    acquire = asyncio.ensure_future(slots.acquire())
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({acquire, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not acquire.done():
        acquire.cancel()
    try:
        await acquire
    except asyncio.CancelledError:
        return False
    if stop.is_set():
        slots.release()
        return False
    return True


async def sleep_until(due: float, stop: asyncio.Event) -> bool:
    """Sleep until ``due`` (a ``perf_counter`` time; inf: forever); True when ``stop`` came first."""
    if stop.is_set():
        return True
    delay = due - time.perf_counter()
    if delay <= 0:
        return False
    try:
        async with asyncio.timeout(None if math.isinf(delay) else delay):
            await stop.wait()
    except TimeoutError:
        return False
    return True


async def listen_for_disconnect(receive: Receive, stop: asyncio.Event) -> None:
    """Set ``stop`` when the client goes away (the request body has been read already)."""
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            stop.set()
            return


class PacedReply:
    """A non-streamed reply (JSON) delivered when generating it would be done: a slot, then
    ``duration_s`` from the later of ``start`` and the moment the slot was taken."""

    status_code = 200

    def __init__(self, body: Any, *, start: float, duration_s: float, slots: Slots) -> None:
        self.body = body
        self.start = start
        self.duration_s = duration_s
        self.slots = slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gone = asyncio.Event()
        listener = asyncio.ensure_future(listen_for_disconnect(receive, gone))
        try:
            if not await take_slot(self.slots, gone):
                return  # the client left while waiting: nothing to answer
            try:
                begin = max(self.start, time.perf_counter())
                if await sleep_until(begin + self.duration_s, gone):
                    return
            finally:
                self.slots.release()
        finally:
            listener.cancel()
        await JSONResponse(self.body)(scope, receive, send)
