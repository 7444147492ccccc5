"""navigable-sends: ``POST /api/v1/chat`` (send a message, get the assistant's reply)."""

from __future__ import annotations

import os

from chatgate.load.generator import Arrival, Generator
from chatgate.load.users import ArrivalsUser, ClosedUser, open_model

if os.environ.get("CHATGATE_SHAPE"):
    from shapes import ChatgateShape  # noqa: F401

SCHEMA = "#/components/schemas/SendMessageResponse"


def send(gen: Generator, arrival: Arrival, message: str | None = None) -> bool:
    """One send in the arrival's session; True when it succeeded."""
    out = gen.outcome("navigable.send", arrival)
    body = {"message": message or gen.message(), "identifier": arrival.identifier}
    gen.client("navigable").json(
        out, "POST", "/api/v1/chat", body=body, check=(gen.validators, "navigable", SCHEMA)
    )
    gen.done(out)
    return out.error is None


def send_one(gen: Generator, arrival: Arrival) -> None:
    send(gen, arrival)


ACTIONS = ((1.0, send_one),)

if open_model():

    class Arrivals(ArrivalsUser):
        actions = ACTIONS

else:

    class NavigableSender(ClosedUser):
        actions = ACTIONS
