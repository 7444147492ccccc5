"""nara-stream-sends: streaming sends to ``POST /api/v1.0/chat`` with ``stream: true``.

Per stream: time to headers, TTFT (first ``delta``), every inter-event gap (ITL), mean gap, the gap
before the terminal event, time to the terminal event; every event validated against the spec. A
stream ending without a terminal event is ``broken_stream``, one ending in an ``error`` event
``stream_error``. Message lengths follow ``CHATGATE_MESSAGE_LENGTHS``. Run alone with
``locust -f loadtests/nara_stream_sends.py -H URL`` (closed model; the open model when
``CHATGATE_ARRIVAL_RATE`` is set).
"""

from __future__ import annotations

import os

from chatgate.load.generator import Arrival, Generator
from chatgate.load.users import ArrivalsUser, ClosedUser, open_model

if os.environ.get("CHATGATE_SHAPE"):
    from shapes import ChatgateShape  # noqa: F401


def stream(gen: Generator, arrival: Arrival) -> None:
    out = gen.outcome("nara.stream", arrival)
    body = {"message": gen.message(), "conversation_id": gen.conversation_id(), "stream": True}
    gen.client("nara").stream(out, "/api/v1.0/chat", body, gen.validators)
    gen.done(out)


ACTIONS = ((1.0, stream),)

if open_model():

    class Arrivals(ArrivalsUser):
        actions = ACTIONS

else:

    class NaraStreamSender(ClosedUser):
        actions = ACTIONS
