"""nara-paginated-reads: walk a user's messages page by page (``GET /api/v1.0/chat/messages``).

Several ``rows_per_page`` and ``sort_by`` values; latency per page (``nara.page``) and per full walk
(``walk``, up to ``CHATGATE_MAX_PAGES`` pages; sizes and orders from ``CHATGATE_PAGE_SIZES`` and
``CHATGATE_SORTS``). A message seen on two pages, or a complete walk whose message count differs from
``total_rows``, is a ``contract`` error (one ``nara.walk`` outcome), as is any page that fails the
spec's schema. A walk during which ``total_rows`` changed (messages were added meanwhile) is counted as
``walk_concurrent_writes`` and not judged: offset pages shift then. In the open model a walk is one
arrival: its first page is due at the arrival's time, each next page when the previous one came back.
"""

from __future__ import annotations

import os
import time
from typing import Any

from chatgate.load.generator import Arrival, Generator
from chatgate.load.users import ArrivalsUser, ClosedUser, open_model

if os.environ.get("CHATGATE_SHAPE"):
    from shapes import ChatgateShape  # noqa: F401

# Which walks to take: page sizes and sort orders (comma-separated), pages per walk at most.
ROWS = tuple(int(x) for x in os.environ.get("CHATGATE_PAGE_SIZES", "10,20,50,100").split(","))
SORTS = tuple(os.environ.get("CHATGATE_SORTS", "created_at:desc,created_at:asc,id:asc,id:desc").split(","))
MAX_PAGES = int(os.environ.get("CHATGATE_MAX_PAGES", "20"))
SCHEMA = "#/components/schemas/ChatMessagePage"


class _Walk:
    """What a walk saw: ids per page, repeated ids, every ``total_rows`` reported."""

    def __init__(self) -> None:
        self.seen: set[object] = set()
        self.repeated: set[object] = set()
        self.totals: set[int] = set()

    def add(self, payload: Any) -> list[Any] | None:
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list):
            return None
        ids = [m.get("id") for m in data if isinstance(m, dict)]
        self.repeated.update(self.seen.intersection(ids))
        self.seen.update(ids)
        pagination = payload.get("pagination")
        if isinstance(pagination, dict):
            self.totals.add(int(pagination.get("total_rows", 0)))
        return data

    def problem(self, complete: bool) -> str:
        if self.repeated:
            return f"pages overlap: ids {sorted(map(str, self.repeated))[:3]} seen twice"
        if complete and self.totals and len(self.seen) != next(iter(self.totals)):
            return f"walk saw {len(self.seen)} of total_rows {next(iter(self.totals))}"
        return ""


def walk(gen: Generator, arrival: Arrival) -> None:
    rows, sort = gen.rng.choice(ROWS), gen.rng.choice(SORTS)
    client, state = gen.client("nara"), _Walk()
    start = time.perf_counter()
    complete = False
    for page in range(1, MAX_PAGES + 1):
        out = gen.outcome("nara.page", arrival)
        params = {
            "user_id": gen.settings.nara_user_id,
            "rows_per_page": rows,
            "current_page": page,
            "sort_by": sort,
        }
        client.json(
            out, "GET", "/api/v1.0/chat/messages", params=params, check=(gen.validators, "nara", SCHEMA)
        )
        gen.done(out)
        if out.error is not None:
            return
        data = state.add(out.payload)
        if not data or len(data) < rows:
            complete = True
            break
    gen.recorder.hist("walk").record(time.perf_counter() - start)
    if len(state.totals) > 1:
        # Messages were added while walking (mixed scenario, or another client): offset pages then
        # legitimately shift, so overlaps and gaps say nothing about the API. Counted, not judged.
        gen.recorder.counters["walk_concurrent_writes"] += 1
        return
    problem = state.problem(complete)
    if problem:
        bad = gen.outcome("nara.walk")
        bad.sent = start
        bad.fail("contract", problem)
        bad.total_s = time.perf_counter() - start
        gen.done(bad)


ACTIONS = ((1.0, walk),)

if open_model():

    class Arrivals(ArrivalsUser):
        actions = ACTIONS

else:

    class NaraPageWalker(ClosedUser):
        actions = ACTIONS
