"""mixed: Nara streamed sends and page walks, Navigable sends and reads, with weights, plus
read-after-write visibility (``visibility``: from a Navigable send's start until a read shows it).

A sent message is read back when the window read its read-back rule names (``x-chatgate-read-back``,
read with the rule's parameters) lists a row for each of the rule's rows that read the request's
message field, with the values the rule says (e.g. the user's own text under the user's sender). The
reads that look for a sent message are the scenario's own scheduled reads (in the open model they are
part of the offered arrivals, never extra load): a read goes to the session with the oldest message not
yet seen back. A message not read back within ``VISIBILITY_TRIES`` reads or ``VISIBILITY_S`` seconds is
a ``contract`` error (``navigable.visibility``).
"""

from __future__ import annotations

import os
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from nara_paginated_reads import walk
from nara_stream_sends import stream
from navigable_reads import read
from navigable_sends import PAIR, send

from chatgate.contract_model import MISSING
from chatgate.load.generator import Arrival, Generator
from chatgate.load.operations import listed, rows_read_back
from chatgate.load.users import ArrivalsUser, ClosedUser, open_model

if os.environ.get("CHATGATE_SHAPE"):
    from shapes import ChatgateShape  # noqa: F401

VISIBILITY_TRIES = 20
VISIBILITY_S = 10.0
MESSAGE_FIELD = PAIR.send.body.roles.get("message") if PAIR.send.body else None


@dataclass
class _Sent:
    """A message sent and not yet read back: its session, where to read it and the rows to find there."""

    identifier: str
    start: float
    rows: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)
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
    start = time.perf_counter()
    call = send(gen, arrival, f"visibility {uuid.uuid4().hex}")
    if call is None:
        return
    params = {k: e.value(call) for k, e in PAIR.rule.parameters.items()}
    rows = rows_read_back(PAIR.rule, call, MESSAGE_FIELD)
    if rows:
        params = {k: v for k, v in params.items() if v is not MISSING}
        PENDING.items.append(_Sent(arrival.identifier, start, rows, params))


def navigable_read(gen: Generator, arrival: Arrival) -> None:
    own = None if arrival.intended is not None else arrival.identifier  # open model: any session
    item = PENDING.next_for(own)
    if item is None:
        read(gen, arrival, arrival.identifier, PAIR.read)
        return
    data = read(gen, arrival, item.identifier, PAIR.read, item.params)
    if data is None:
        return
    start = item.start
    if listed(data, item.rows):
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
