"""navigable-sends: send a message and get the assistant's reply, on the Navigable send whose stored copy
the spec says a window read lists (``x-chatgate-read-back`` to an ``x-chatgate-window`` read); the text
goes in the body field whose role is ``message``, the session in the one whose role is ``session``."""

from __future__ import annotations

import os

from chatgate.apis import ApiName
from chatgate.contract_model import MISSING, Call, build_body, build_query
from chatgate.load.generator import Arrival, Generator
from chatgate.load.operations import path_of, read_back_pairs, require
from chatgate.load.users import ArrivalsUser, ClosedUser, open_model
from chatgate.load.validators import JSON

if os.environ.get("CHATGATE_SHAPE"):
    from shapes import ChatgateShape  # noqa: F401

API: ApiName = "navigable"
require([(API, "read-back")], "navigable-sends")
PAIR = read_back_pairs(API)[0]
_ANSWER = PAIR.send.success(JSON)
SCHEMA = _ANSWER.schema_pointer if _ANSWER else None


def send(gen: Generator, arrival: Arrival, message: str | None = None) -> Call | None:
    """One send in the arrival's session; what it sent and got (None when it failed)."""
    op, session = PAIR.send, arrival.identifier
    body = build_body(op, message=message or gen.message(), session=session)
    query = build_query(op, bound=gen.bound(API, op), session=session)
    check = (gen.validators, API, SCHEMA) if SCHEMA else None
    out = gen.outcome("navigable.send", arrival)
    gen.client(API).json(out, op.method, path_of(op, session), params=query, body=body, check=check)
    gen.done(out)
    if out.error is not None:
        return None
    identity = gen.identity(API)
    return Call(body, query, out.payload, identity=MISSING if identity is None else identity)


def send_one(gen: Generator, arrival: Arrival) -> None:
    send(gen, arrival)


ACTIONS = ((1.0, send_one),)

if open_model():

    class Arrivals(ArrivalsUser):
        actions = ACTIONS

else:

    class NavigableSender(ClosedUser):
        actions = ACTIONS
