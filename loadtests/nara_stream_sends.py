"""nara-stream-sends: streamed sends to the Nara operation(s) whose answer is a stream (the spec's
``x-chatgate-stream``: today the chat send with ``stream: true``).

Per stream: time to headers, TTFT (the first content event the spec names), every gap between content
events (ITL), mean gap, the gap before the event that completes the stream, time to the end; every event
stepped through the spec's grammar and checked (index, link, data's name), and validated against its
schema. A stream that ends before its grammar is complete is ``broken_stream``, one ending in the spec's
error event ``stream_error`` (:mod:`chatgate.load.stream`). Message lengths follow
``CHATGATE_MESSAGE_LENGTHS``. Run alone with ``locust -f loadtests/nara_stream_sends.py -H URL`` (closed
model; the open model when ``CHATGATE_ARRIVAL_RATE`` is set).
"""

from __future__ import annotations

import os

from chatgate.apis import ApiName
from chatgate.contract_model import build_body, build_query
from chatgate.load.generator import Arrival, Generator
from chatgate.load.operations import find, path_of, require
from chatgate.load.users import ArrivalsUser, ClosedUser, open_model

if os.environ.get("CHATGATE_SHAPE"):
    from shapes import ChatgateShape  # noqa: F401

API: ApiName = "nara"
require([(API, "streamed")], "nara-stream-sends")
SENDS = find(API, "streamed")


def stream(gen: Generator, arrival: Arrival) -> None:
    op = SENDS[0] if len(SENDS) == 1 else gen.rng.choice(SENDS)
    out = gen.outcome("nara.stream", arrival)
    session = gen.new_session()
    body = build_body(op, message=gen.message(), session=session, stream=True) if op.body else None
    params = build_query(op, bound=gen.bound(API, op), session=session)
    rules = gen.stream_rules(API, op)
    gen.client(API).stream(
        out, path_of(op, session), body, rules, gen.validators, method=op.method, params=params
    )
    gen.done(out)


ACTIONS = ((1.0, stream),)

if open_model():

    class Arrivals(ArrivalsUser):
        actions = ACTIONS

else:

    class NaraStreamSender(ClosedUser):
        actions = ACTIONS
