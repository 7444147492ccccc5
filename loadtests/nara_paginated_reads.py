"""nara-paginated-reads: walk a user's messages page by page, on the Nara read(s) the spec paginates
(``x-chatgate-pagination``, style page).

Page sizes from ``CHATGATE_PAGE_SIZES`` (default 10,20,50,100, each clipped into the size parameter's
range), orders from ``CHATGATE_SORTS`` (default: every sort value the spec lists), up to
``CHATGATE_MAX_PAGES`` pages a walk from the first page until a short one. Latency per page
(``nara.page``) and per full walk (``walk``). Rows are told apart by the field the pagination's tie-break
(else its last append key) names; a row seen on two pages, or a complete walk whose row count differs from
the total the spec points at, is a ``contract`` error (one ``nara.walk`` outcome), as is any page that
fails the spec's schema. A walk during which the total changed (rows were added meanwhile) is counted as
``walk_concurrent_writes`` and not judged: offset pages shift then. In the open model a walk is one
arrival: its first page is due at the arrival's time, each next page when the previous one came back.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import orjson

from chatgate.apis import ApiName
from chatgate.contract_model import MISSING, Operation, Pagination, build_query, model_for, resolve_pointer
from chatgate.load.generator import Arrival, Generator
from chatgate.load.operations import find, path_of, require
from chatgate.load.users import ArrivalsUser, ClosedUser, open_model
from chatgate.load.validators import JSON

if os.environ.get("CHATGATE_SHAPE"):
    from shapes import ChatgateShape  # noqa: F401

API: ApiName = "nara"
MAX_PAGES = int(os.environ.get("CHATGATE_MAX_PAGES", "20"))
SIZES = tuple(int(x) for x in os.environ.get("CHATGATE_PAGE_SIZES", "10,20,50,100").split(","))
GIVEN_SORTS = tuple(s for s in os.environ.get("CHATGATE_SORTS", "").split(",") if s)


@dataclass(frozen=True)
class Listing:
    """One paginated read as the spec states it: what a walk sends and where it reads the answer."""

    op: Operation
    rule: Pagination
    sizes: tuple[int, ...]
    sorts: tuple[str | None, ...]
    key: str | None  # pointer into a row of the field that tells rows apart
    schema: str | None

    @classmethod
    def of(cls, op: Operation) -> Listing:
        rule = model_for(API).rules(op).pagination
        assert rule is not None
        low, high, _ = rule.size_range
        sizes = tuple(dict.fromkeys(min(high, max(low, s)) for s in SIZES))
        sorts: tuple[str | None, ...] = (None,)
        if rule.sort is not None:
            sorts = GIVEN_SORTS or tuple(s.value for s in rule.sorts) or (None,)
        name = rule.tie_break or (rule.append_keys[-1] if rule.append_keys else None)
        answer = op.success(JSON)
        return cls(op, rule, sizes, sorts, rule.fields.get(name) if name else None,
                   answer.schema_pointer if answer else None)  # fmt: skip

    def query(self, bound: dict[str, Any], size: int, page: int, sort: str | None) -> dict[str, Any]:
        r = self.rule
        assert r.size is not None and r.page is not None
        extra: dict[str, Any] = {r.size.name: size, r.page.name: page}
        if sort is not None and r.sort is not None:
            extra[r.sort.name] = sort
        return build_query(self.op, bound=bound, extra=extra)


require([(API, "paginated")], "nara-paginated-reads")
LISTINGS = [Listing.of(op) for op in find(API, "paginated")]


class _Walk:
    """What a walk saw: row keys per page, repeated keys, every total reported."""

    def __init__(self, listing: Listing) -> None:
        self.listing = listing
        self.seen: set[object] = set()
        self.repeated: set[object] = set()
        self.totals: set[int] = set()

    def _key(self, row: Any) -> object:
        key = self.listing.key
        value = resolve_pointer(row, key) if key is not None else MISSING
        if isinstance(value, int | str):
            return value
        return orjson.dumps(row if value is MISSING else value, option=orjson.OPT_SORT_KEYS)

    def add(self, payload: Any) -> list[Any] | None:
        rule = self.listing.rule
        rows = resolve_pointer(payload, rule.items)
        if not isinstance(rows, list):
            return None
        keys = [self._key(r) for r in rows]
        self.repeated.update(self.seen.intersection(keys))
        self.seen.update(keys)
        total = resolve_pointer(payload, rule.total_rows) if rule.total_rows else MISSING
        if isinstance(total, int):
            self.totals.add(total)
        return rows

    def problem(self, complete: bool) -> str:
        if self.repeated:
            shown = sorted(k.decode() if isinstance(k, bytes) else str(k) for k in self.repeated)[:3]
            return f"pages overlap: rows {shown} seen twice"
        if complete and self.totals and len(self.seen) != next(iter(self.totals)):
            return f"walk saw {len(self.seen)} rows of a total of {next(iter(self.totals))}"
        return ""


def walk(gen: Generator, arrival: Arrival) -> None:
    listing = LISTINGS[0] if len(LISTINGS) == 1 else gen.rng.choice(LISTINGS)
    size, sort = gen.rng.choice(listing.sizes), gen.rng.choice(listing.sorts)
    client, state, op = gen.client(API), _Walk(listing), listing.op
    bound = gen.bound(API, op)
    check = (gen.validators, API, listing.schema) if listing.schema else None
    start = time.perf_counter()
    complete = False
    first = listing.rule.first_page
    for page in range(first, first + MAX_PAGES):
        out = gen.outcome("nara.page", arrival)
        params = listing.query(bound, size, page, sort)
        client.json(out, op.method, path_of(op), params=params, check=check)
        gen.done(out)
        if out.error is not None:
            return
        rows = state.add(out.payload)
        if not rows or len(rows) < size:
            complete = True
            break
    gen.recorder.hist("walk").record(time.perf_counter() - start)
    if len(state.totals) > 1:
        # Rows were added while walking (mixed scenario, or another client): offset pages then
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
