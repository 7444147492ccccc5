"""navigable-reads: read a session's last messages, on the Navigable read(s) the spec states a window for
(``x-chatgate-window``), the session in the parameter whose role is ``session``."""

from __future__ import annotations

import os

from chatgate.apis import ApiName
from chatgate.contract_model import Operation, build_query, model_for, resolve_pointer
from chatgate.load.generator import Arrival, Generator
from chatgate.load.operations import find, path_of, require
from chatgate.load.users import ArrivalsUser, ClosedUser, open_model
from chatgate.load.validators import JSON

if os.environ.get("CHATGATE_SHAPE"):
    from shapes import ChatgateShape  # noqa: F401

API: ApiName = "navigable"
IDENTIFIER = os.environ.get("CHATGATE_NAVIGABLE_IDENTIFIER", "load-user-1")
require([(API, "windowed")], "navigable-reads")
READS = find(API, "windowed")


def _listing(op: Operation) -> tuple[str, str | None]:
    """Where ``op``'s answer lists the window's rows, and the schema of that answer."""
    window = model_for(API).rules(op).window
    assert window is not None
    answer = op.success(JSON)
    return window.items, answer.schema_pointer if answer else None


_LISTS = {op.operation_id: _listing(op) for op in READS}


def read(
    gen: Generator,
    arrival: Arrival,
    identifier: str = IDENTIFIER,
    op: Operation | None = None,
    params: dict[str, object] | None = None,
) -> list[object] | None:
    """One session read (``op``, default the first window read; ``params`` over the query built for the
    session); the rows it listed (None when it failed)."""
    op = op or READS[0]
    items, schema = _LISTS[op.operation_id]
    check = (gen.validators, API, schema) if schema else None
    query = build_query(op, bound=gen.bound(API, op), session=identifier, extra=params)
    out = gen.outcome("navigable.read", arrival)
    gen.client(API).json(out, op.method, path_of(op, identifier), params=query, check=check)
    gen.done(out)
    rows = resolve_pointer(out.payload, items) if out.error is None else None
    return rows if isinstance(rows, list) else None


def read_one(gen: Generator, arrival: Arrival) -> None:
    read(gen, arrival)


ACTIONS = ((1.0, read_one),)

if open_model():

    class Arrivals(ArrivalsUser):
        actions = ACTIONS

else:

    class NavigableReader(ClosedUser):
        actions = ACTIONS
