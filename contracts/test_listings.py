"""Listings: ``pagination`` (size, disjoint and complete pages, order, totals, past the end, on histories
of any length and while others write) on every operation whose spec states ``x-chatgate-pagination``,
and ``ownership`` (one key cannot read another identity's rows) on every operation that states
``x-chatgate-ownership``.

Pages are judged by :mod:`contracts.pagination`: each walk reads the first page, then the pages its totals
call for (all of them within ``PAGE_BUDGET``, else the first, middle and last ones, reached by arithmetic),
all at once; appends while it reads (the gate's own sends, other clients) never make a finding. The
history is filled first (never in a read-only run) through the operation the spec says stores what the
listing lists (its read-back source).
"""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest

from chatgate.contract_model import (
    ContractModel,
    Operation,
    Pagination,
    SortOption,
    build_body,
    model_for,
    resolve_pointer,
)
from contracts.client import Client, Exchange
from contracts.failures import FOREIGN_ROWS_LISTED, OTHER_IDENTITY_READABLE
from contracts.pagination import Page, judge_pages, pages_to_read
from contracts.readback import identity_of
from contracts.rules import rule_params
from contracts.session import Suite
from contracts.validation import Problem

MIN_ROWS = 45  # enough for several pages at every size walked
ROWS_PER_SEND = (
    2  # a send stores the message and the reply (an upper bound is not needed: MIN_ROWS is a floor)
)


def _listing(api: str, label: str) -> tuple[ContractModel, Operation, Pagination]:
    model = model_for(api)
    op = model.by_label(label)
    assert op is not None
    rule = model.rules(op).pagination
    assert rule is not None
    return model, op, rule


def _bound(suite: Suite, model: ContractModel, op: Operation, client: Client | None = None) -> dict[str, Any]:
    return model.identity_parameters(op, identity_of(suite, model.api, client))


def populated(suite: Suite, model: ContractModel, op: Operation) -> None:
    """Make sure the listing holds at least MIN_ROWS rows (never in a read-only run: then the history is
    judged as it is), sending through the operation whose read-back lists into it. Once per session."""

    def fill() -> None:
        writers = model.read_back_sources(op)
        if suite.gate.scope.read_only or not writers:
            return
        client, writer = suite.client(model.api), writers[0]
        first, _ = read_page(suite, model, op, client, None, None, None)
        sends = range(max(0, math.ceil((MIN_ROWS - first.total_rows) / ROWS_PER_SEND)))
        session = f"chatgate-pages-{uuid.uuid4().hex[:8]}"

        def send(i: int) -> None:
            body = build_body(writer, message=f"page filler {i}", session=session, stream=False)
            client.request(writer, json=body)

        suite.map(send, sends)

    suite.once(f"populated:{model.api}:{op.label}", fill)


def read_page(suite: Suite, model: ContractModel, op: Operation, client: Client, number: int | None,
              size: int | None, sort: str | None) -> tuple[Page, Exchange]:  # fmt: skip
    rule = model.rules(op).pagination
    assert rule is not None
    params = _bound(suite, model, op, client)
    number = rule.first_page if number is None else number
    if rule.page is not None:
        params[rule.page.name] = number
    if size is not None and rule.size is not None:
        params[rule.size.name] = size
    if sort is not None and rule.sort is not None:
        params[rule.sort.name] = sort
    ex = client.request(op, params=params)
    doc = ex.json() if 200 <= ex.status < 300 else None
    default_size = rule.size_range[2]
    return Page(rule, number, size or default_size, doc if isinstance(doc, dict) else None, ex.status), ex


def _walk(suite: Suite, model: ContractModel, op: Operation, size: int | None, option: SortOption,
          sort: str | None) -> None:  # fmt: skip
    """Read one walk's pages (the first, then the rest at once) and judge them together."""
    rule, client = model.rules(op).pagination, suite.client(model.api)
    assert rule is not None
    names = (rule.size.name if rule.size else "size", rule.sort.name if rule.sort else "sort")
    label = f"{names[0]}={size or 'default'}, {names[1]}={sort or 'default'}"
    first, ex = read_page(suite, model, op, client, None, size, sort)
    pages, exchanges = [first], [ex]
    if first.doc is not None:
        numbers = pages_to_read(math.ceil(first.total_rows / first.size), rule.first_page)
        more = suite.map(lambda n: read_page(suite, model, op, client, n, size, sort), numbers)
        pages += [p for p, _ in more]
        exchanges += [e for _, e in more]
    problems = judge_pages(pages, label, option)
    shown = next((e for p, e in zip(pages, exchanges, strict=True) if p.doc is None), exchanges[-1])
    also = [client.example(e) for e in exchanges] if problems else []
    suite.gate.check(model.api, op.label, "pagination", problems, client.example(shown), also)


def _sorts(op: Operation) -> list[Any]:
    rule = model_for(op.api).rules(op).pagination
    values: list[Any] = [s.value for s in rule.sorts] if rule else []
    return [(v,) for v in [*values, None]]


@pytest.mark.parametrize(("api", "operation", "sort"), rule_params("pagination", extra=_sorts))
def test_pagination_walk(suite: Suite, api: str, operation: str, sort: str | None) -> None:
    model, op, rule = _listing(api, operation)
    populated(suite, model, op)
    option = rule.sort_of(sort)
    if option is None:
        pytest.skip(f"{operation} states no sort order to judge")
    low, high, default = rule.size_range
    other = min(high, max(low, 7)) if default != 7 else min(high, max(low, 5))
    suite.map(lambda size: _walk(suite, model, op, size, option, sort), (other, None))


@pytest.mark.parametrize(("api", "operation"), rule_params("pagination"))
def test_pagination_sizes(suite: Suite, api: str, operation: str) -> None:
    """The smallest and largest page sizes on the first pages, and the default order is the default sort
    value's (the pages of both judged as one walk: they must agree on every row's place)."""
    model, op, rule = _listing(api, operation)
    populated(suite, model, op)
    client, option = suite.client(api), rule.default_sort or (rule.sorts[0] if rule.sorts else None)
    if option is None:
        pytest.skip(f"{operation} states no sort order to judge")
    low, high, _ = rule.size_range
    first = rule.first_page
    for size in sorted({low, high}):

        def page(n: int, size: int = size) -> tuple[Page, Exchange]:
            return read_page(suite, model, op, client, n, size, None)

        read = suite.map(page, (first, first + 1, first + 2))
        problems = judge_pages([p for p, _ in read], f"size {size}", option)
        also = [client.example(e) for _, e in read] if problems else []
        suite.gate.check(api, op.label, "pagination", problems, client.example(read[-1][1]), also)
    if rule.default_sort is None:
        return
    both = suite.map(lambda sort: read_page(suite, model, op, client, None, None, sort), (None, option.value))
    problems = [
        Problem(f"default order is not {option.value}", p.message)
        for p in judge_pages([p for p, _ in both], f"default sort vs {option.value}", option)
        if p.title == "pages overlap" or p.title.startswith("order does not match")
    ]
    also = [client.example(e) for _, e in both] if problems else []
    suite.gate.check(api, op.label, "pagination", problems, client.example(both[0][1]), also)


def _others(value: Any) -> list[Any]:
    """Identities that are not the caller's: its neighbours (an integer id), or a changed text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [value + 1, value - 1 if value > 1 else value + 2]
    return [f"{value}-other", f"other-{value}"]


@pytest.mark.parametrize(("api", "operation"), rule_params("ownership"))
def test_ownership(suite: Suite, api: str, operation: str) -> None:
    model = model_for(api)
    op = model.by_label(operation)
    assert op is not None
    rule = model.rules(op).ownership
    assert rule is not None
    client, own = suite.client(api), identity_of(suite, api)
    if model.rules(op).pagination is not None:
        populated(suite, model, op)
    name = rule.parameter.name

    largest = model.rules(op).pagination
    size = {largest.size.name: largest.size_range[1]} if largest is not None and largest.size else {}

    def read(value: Any, **more: Any) -> Exchange:
        return client.request(op, params={**_bound(suite, model, op), **more, name: value})

    for other, ex in zip(_others(own), suite.map(read, _others(own)), strict=True):
        problems = []
        if ex.status != int(rule.status):
            message = f"{name}={own}'s key reading {name}={other}: {ex.status}, expected {rule.status}"
            problems.append(Problem(OTHER_IDENTITY_READABLE, message, defect=OTHER_IDENTITY_READABLE))
        suite.gate.check(api, op.label, "ownership", problems, client.example(ex))
    ex = read(own, **size)
    problems = []
    foreign = _foreign(model, op, ex, own)
    if foreign:
        message = f"{rule.item_field}: {foreign}"
        problems.append(Problem(FOREIGN_ROWS_LISTED, message, defect=FOREIGN_ROWS_LISTED))
    suite.gate.check(api, op.label, "ownership", problems, client.example(ex))


def _foreign(model: ContractModel, op: Operation, ex: Exchange, own: Any) -> list[Any]:
    rules = model.rules(op)
    items = rules.pagination.items if rules.pagination else rules.window.items if rules.window else None
    owner = rules.ownership.item_field if rules.ownership else None
    if items is None or owner is None or not 200 <= ex.status < 300:
        return []
    rows = resolve_pointer(ex.json(), items)
    values = (
        {resolve_pointer(r, owner) for r in rows if isinstance(r, dict)} if isinstance(rows, list) else set()
    )
    return sorted((v for v in values if v != own), key=str)
