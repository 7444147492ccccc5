"""mixed: Nara streaming sends and page walks, Navigable sends and reads, with weights, plus
read-after-write visibility (``visibility``: from a Navigable send's start until a read shows it).

The reads that look for a sent message are the scenario's own scheduled reads (in the open model
they are part of the offered arrivals, never extra load): a read goes to the session with the oldest
message not yet seen back. A message not read back within ``VISIBILITY_TRIES`` reads or
``VISIBILITY_S`` seconds is a ``contract`` error (``navigable.visibility``).
"""

from __future__ import annotations

import os
import time
import uuid
from collections import deque
from dataclasses import dataclass

from nara_paginated_reads import walk
from nara_stream_sends import stream
from navigable_reads import read
from navigable_sends import send

from chatgate.load.generator import Arrival, Generator
from chatgate.load.users import ArrivalsUser, ClosedUser, open_model

if os.environ.get("CHATGATE_SHAPE"):
    from shapes import ChatgateShape  # noqa: F401

VISIBILITY_TRIES = 20
VISIBILITY_S = 10.0


@dataclass
class _Sent:
    """A message sent and not yet read back."""

    identifier: str
    marker: str
    start: float
    tries: int = 0


class _Pending:
    def __init__(self) -> None:
        self.items: deque[_Sent] = deque()

    def next_for(self, identifier: str | None) -> _Sent | None:
        for item in self.items:
            if identifier is None or item.identifier == identifier:
                return item
        return None


PENDING = _Pending()


def navigable_send(gen: Generator, arrival: Arrival) -> None:
    marker = uuid.uuid4().hex
    start = time.perf_counter()
    if send(gen, arrival, f"visibility {marker}"):
        PENDING.items.append(_Sent(arrival.identifier, marker, start))


def navigable_read(gen: Generator, arrival: Arrival) -> None:
    own = None if arrival.intended is not None else arrival.identifier  # open model: any session
    item = PENDING.next_for(own)
    data = read(gen, arrival, item.identifier if item else arrival.identifier)
    if item is None or data is None:
        return
    start = item.start
    if any(isinstance(m, dict) and item.marker in str(m.get("content")) for m in data):
        gen.recorder.hist("visibility").record(time.perf_counter() - start)
        PENDING.items.remove(item)
        return
    item.tries += 1
    if item.tries >= VISIBILITY_TRIES or time.perf_counter() - start > VISIBILITY_S:
        PENDING.items.remove(item)
        late = gen.outcome("navigable.visibility")
        late.sent = start
        late.fail("contract", "sent message not read back")
        late.total_s = time.perf_counter() - start
        gen.done(late)


ACTIONS = ((4.0, stream), (6.0, walk), (3.0, navigable_read), (1.0, navigable_send))

if open_model():

    class Arrivals(ArrivalsUser):
        actions = ACTIONS

else:

    class NaraStreamSender(ClosedUser):
        weight = 2
        actions = ((1.0, stream),)

    class NaraPageWalker(ClosedUser):
        weight = 3
        actions = ((1.0, walk),)

    class NavigableMixed(ClosedUser):
        weight = 2
        actions = ((3.0, navigable_read), (1.0, navigable_send))
