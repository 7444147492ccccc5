"""Nara listing: ``pagination`` (size, disjoint and complete pages, order, totals, past the end, on
histories of any length and while others write) and ``ownership`` (one key cannot read another user's
messages); with a second identity, ``ownership_cross_user`` (neither user reads the other's messages,
and neither listing ever holds the other's).

Pages are judged by :mod:`contracts.pagination`: each walk reads page 1, then the pages its totals call
for (all of them within ``PAGE_BUDGET``, else the first, middle and last ones, reached by arithmetic),
all at once; appends while it reads (the gate's own sends, other clients) never make a finding.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest

from contracts.client import Client, Exchange
from contracts.pagination import Page, judge_pages, pages_to_read
from contracts.session import Suite
from contracts.validation import Problem

pytestmark = pytest.mark.api("nara")

LIST = "/api/v1.0/chat/messages"
SEND = "/api/v1.0/chat"
OP = f"GET {LIST}"
SORTS = ["created_at:desc", "created_at:asc", "id:desc", "id:asc"]
MIN_ROWS = 45  # enough for several pages at every size walked


def populated(suite: Suite) -> int:
    """Make sure the key's user has at least MIN_ROWS messages (never in a read-only run: then the
    history is judged as it is); the user id. Computed once per session."""

    def fill() -> int:
        client, user = suite.client("nara"), suite.target("nara").user_id
        assert user is not None
        if suite.gate.scope.read_only:
            return user
        doc = client.request("GET", LIST, params={"user_id": user}, validate=False).json()
        total = doc.get("pagination", {}).get("total_rows", 0) if isinstance(doc, dict) else 0
        conversation = f"chatgate-pages-{uuid.uuid4().hex[:8]}"
        sends = range(max(0, math.ceil((MIN_ROWS - int(total or 0)) / 2)))
        body = {"conversation_id": conversation}
        suite.map(lambda i: client.request("POST", SEND, json={**body, "message": f"page filler {i}"}), sends)
        return user

    return suite.once("nara-populated", fill)


def read_page(
    client: Client, user_id: int, number: int, size: int | None, sort: str | None
) -> tuple[Page, Exchange]:
    params: dict[str, Any] = {"user_id": user_id, "current_page": number}
    if size is not None:
        params["rows_per_page"] = size
    if sort is not None:
        params["sort_by"] = sort
    ex = client.request("GET", LIST, params=params)
    doc = ex.json() if ex.status == 200 else None
    return Page(number, size or 20, doc if isinstance(doc, dict) else None, ex.status), ex


def walk(suite: Suite, client: Client, user_id: int, size: int | None, sort: str | None) -> None:
    """Read one walk's pages (page 1, then the rest at once) and judge them together."""
    label = f"rows_per_page={size or 'default'}, sort_by={sort or 'default'}"
    first, ex = read_page(client, user_id, 1, size, sort)
    pages, exchanges = [first], [ex]
    if first.doc is not None:
        numbers = pages_to_read(math.ceil(first.total_rows / first.size))
        more = suite.map(lambda n: read_page(client, user_id, n, size, sort), numbers)
        pages += [p for p, _ in more]
        exchanges += [e for _, e in more]
    problems = judge_pages(pages, label, sort)
    shown = next((e for p, e in zip(pages, exchanges, strict=True) if p.doc is None), exchanges[-1])
    suite.gate.check("nara", OP, "pagination", problems, client.example(shown))


@pytest.mark.covers("pagination", OP)
@pytest.mark.parametrize("sort", [*SORTS, None], ids=[*SORTS, "default-sort"])
def test_pagination_walk(suite: Suite, sort: str | None) -> None:
    user, client = populated(suite), suite.client("nara")
    suite.map(lambda size: walk(suite, client, user, size, sort), (7, None))


@pytest.mark.covers("pagination", OP)
def test_pagination_sizes(suite: Suite) -> None:
    """Page sizes 1 and 100 on the first pages, and the default order is created_at:desc (the pages of
    both judged as one walk: they must agree on every row's place)."""
    user, client = populated(suite), suite.client("nara")
    for size in (1, 100):
        read = suite.map(lambda n, s=size: read_page(client, user, n, s, None), (1, 2, 3))  # type: ignore[misc]
        problems = judge_pages([p for p, _ in read], f"rows_per_page={size}", None)
        suite.gate.check("nara", OP, "pagination", problems, client.example(read[-1][1]))
    both = suite.map(lambda sort: read_page(client, user, 1, None, sort), (None, "created_at:desc"))
    problems = [
        Problem("default order is not created_at:desc", p.message)
        for p in judge_pages([p for p, _ in both], "default sort vs created_at:desc", "created_at:desc")
        if p.title in ("pages overlap", "order does not match sort_by")
    ]
    suite.gate.check("nara", OP, "pagination", problems, client.example(both[0][1]))


def _foreign_rows(doc: dict[str, Any] | None, user: int) -> list[Any]:
    rows = (doc or {}).get("data", []) if isinstance(doc, dict) else []
    return sorted(
        {r.get("user_id") for r in rows if isinstance(r, dict) and r.get("user_id") != user}, key=str
    )


@pytest.mark.covers("ownership", OP)
def test_ownership(suite: Suite) -> None:
    user, client = populated(suite), suite.client("nara")
    others = (user + 1, user - 1 if user > 1 else user + 2)
    for page, ex in suite.map(lambda other: read_page(client, other, 1, None, None), others):
        problems = []
        if ex.status != 403:
            got = f"{ex.status} ({len(page.rows)} rows)"
            message = f"user {user}'s key reading another user's messages: {got}, expected 403"
            problems.append(Problem("another user's messages are readable", message))
        suite.gate.check("nara", OP, "ownership", problems, client.example(ex))
    page, ex = read_page(client, user, 1, 100, None)
    foreign = _foreign_rows(page.doc, user)
    problems = [Problem("listing holds another user's messages", f"user_ids {foreign}")] if foreign else []
    suite.gate.check("nara", OP, "ownership", problems, client.example(ex))
