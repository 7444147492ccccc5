"""navigable-reads: ``GET /api/v1/chat?identifier=...`` (the session's last 20 messages)."""

from __future__ import annotations

import os

from chatgate.load.generator import Arrival, Generator
from chatgate.load.users import ArrivalsUser, ClosedUser, open_model

if os.environ.get("CHATGATE_SHAPE"):
    from shapes import ChatgateShape  # noqa: F401

IDENTIFIER = os.environ.get("CHATGATE_NAVIGABLE_IDENTIFIER", "load-user-1")
SCHEMA = "#/components/schemas/SessionMessagesResponse"


def read(gen: Generator, arrival: Arrival, identifier: str = IDENTIFIER) -> list[object] | None:
    """One session read; the messages it returned (None when it failed)."""
    out = gen.outcome("navigable.read", arrival)
    gen.client("navigable").json(
        out,
        "GET",
        "/api/v1/chat",
        params={"identifier": identifier},
        check=(gen.validators, "navigable", SCHEMA),
    )
    gen.done(out)
    data = out.payload.get("data") if out.error is None and isinstance(out.payload, dict) else None
    return data if isinstance(data, list) else None


def read_one(gen: Generator, arrival: Arrival) -> None:
    read(gen, arrival)


ACTIONS = ((1.0, read_one),)

if open_model():

    class Arrivals(ArrivalsUser):
        actions = ACTIONS

else:

    class NavigableReader(ClosedUser):
        actions = ACTIONS
