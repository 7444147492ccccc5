"""Nara listing: ``pagination`` (size, disjoint and complete pages, order, totals, past the end) and
``ownership`` (one key cannot read another user's messages)."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from contracts.gate import Client, Exchange, Gate
from contracts.target import Target
from contracts.validation import Problem

pytestmark = pytest.mark.api("nara")

LIST = "/api/v1.0/chat/messages"
OP = f"GET {LIST}"
SORTS = ["created_at:desc", "created_at:asc", "id:desc", "id:asc"]
MIN_ROWS = 45  # enough for several pages at every size walked
MAX_PAGES = 25  # pages walked per size and sort, whatever the user's history


@pytest.fixture(scope="module")
def populated(nara_client: Client, nara: Target, gate: Gate) -> int:
    """Make sure the key's user has at least MIN_ROWS messages (never in a read-only run: then the
    history is judged as it is); returns the user id."""
    assert nara.user_id is not None
    if gate.scope.read_only:
        return nara.user_id
    ex = nara_client.request("GET", LIST, params={"user_id": nara.user_id}, validate=False)
    doc = ex.json()
    total = doc.get("pagination", {}).get("total_rows", 0) if isinstance(doc, dict) else 0
    conversation = f"chatgate-pages-{uuid.uuid4().hex[:8]}"
    for i in range(max(0, math.ceil((MIN_ROWS - int(total or 0)) / 2))):
        nara_client.request(
            "POST", "/api/v1.0/chat", json={"message": f"page filler {i}", "conversation_id": conversation}
        )
    return nara.user_id


def _page(
    client: Client, user_id: int, page: int, size: int | None, sort: str | None
) -> tuple[Exchange, Any]:
    params: dict[str, Any] = {"user_id": user_id, "current_page": page}
    if size is not None:
        params["rows_per_page"] = size
    if sort is not None:
        params["sort_by"] = sort
    ex = client.request("GET", LIST, params=params)
    doc = ex.json() if ex.status == 200 else None
    return ex, doc if isinstance(doc, dict) else None


def _key(row: dict[str, Any], field: str) -> Any:
    if field == "id":
        return row.get("id")
    try:
        when = datetime.fromisoformat(str(row.get("created_at")).replace("Z", "+00:00"))
    except ValueError:
        when = datetime.min
    return (when, row.get("id"))


@dataclass
class Walk:
    """The pages read at one size and sort, and what is wrong with each page on its own."""

    label: str
    size: int  # effective rows_per_page
    rows: list[dict[str, Any]] = field(default_factory=list)
    totals: set[tuple[Any, Any]] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)

    def page(self, page: int, doc: dict[str, Any]) -> tuple[list[Any], int]:
        """Judge one page on its own; its rows and the number of pages its totals announce."""
        data = doc.get("data") if isinstance(doc.get("data"), list) else []
        meta = doc.get("pagination") if isinstance(doc.get("pagination"), dict) else {}
        assert isinstance(data, list) and isinstance(meta, dict)
        self.totals.add((meta.get("total_rows"), meta.get("total_pages")))
        where = f"{self.label}, page {page}"
        if meta.get("current_page") != page or meta.get("rows_per_page") != self.size:
            got = f"page {meta.get('current_page')} of size {meta.get('rows_per_page')}"
            self.problems.append(
                Problem("pagination does not echo the page asked for", f"{where}: pagination says {got}")
            )
        if len(data) > self.size:
            self.problems.append(Problem("page larger than rows_per_page", f"{where}: {len(data)} rows"))
        total_rows = meta.get("total_rows") if isinstance(meta.get("total_rows"), int) else 0
        assert isinstance(total_rows, int)
        total_pages = math.ceil(total_rows / self.size)
        if page <= total_pages:
            expected = min(self.size, total_rows - (page - 1) * self.size)
            if len(data) != expected:
                message = f"{where} of {total_pages} ({total_rows} rows): {len(data)}, expected {expected}"
                self.problems.append(Problem("page holds the wrong number of rows", message))
        return data, total_pages

    def overall(self, sort: str | None) -> None:
        """What is wrong with the pages taken together: totals, overlap, completeness, order."""
        if len(self.totals) != 1:
            self.problems.append(
                Problem("totals change from page to page", f"{self.label}: {sorted(self.totals, key=str)}")
            )
        total_rows, total_pages = next(iter(self.totals))
        walked_all = isinstance(total_pages, int) and total_pages <= MAX_PAGES
        if not isinstance(total_rows, int) or total_pages != math.ceil(total_rows / self.size):
            message = f"{self.label}: {total_rows}, {total_pages}"
            self.problems.append(Problem("total_pages is not ceil(total_rows / rows_per_page)", message))
        ids = [r.get("id") for r in self.rows]
        if len(set(ids)) != len(ids):
            dupes = sorted({i for i in ids if ids.count(i) > 1}, key=str)[:10]
            self.problems.append(
                Problem("pages overlap", f"{self.label}: ids on more than one page: {dupes}")
            )
        if walked_all and isinstance(total_rows, int) and len(set(ids)) != total_rows:
            message = f"{self.label}: {len(set(ids))} distinct rows, total_rows {total_rows}"
            self.problems.append(Problem("pages do not cover every message", message))
        field_name, _, direction = (sort or "created_at:desc").partition(":")
        keys = [_key(r, field_name) for r in self.rows]
        if keys != sorted(keys, reverse=direction == "desc"):
            message = f"{self.label}: ids {ids[:12]}..."
            self.problems.append(Problem(f"order does not match sort_by={sort or 'default'}", message))


def walk(
    client: Client, user_id: int, size: int | None, sort: str | None
) -> tuple[list[Problem], Exchange | None]:
    """Read the pages at one size and sort; what is wrong with the pages taken together.

    At most MAX_PAGES pages are walked (a user with a long history is not read to the end): completeness
    is judged only when every page was walked; the page past the end is always asked for.
    """
    state = Walk(f"rows_per_page={size or 'default'}, sort_by={sort or 'default'}", size or 20)
    last: Exchange | None = None
    page = 1
    while True:
        ex, doc = _page(client, user_id, page, size, sort)
        if last is None or not state.problems:
            last = ex  # the reproducer: the first page that showed a problem (or the last page read)
        if doc is None:
            state.problems.append(
                Problem("a page could not be read", f"{state.label}, page {page}: {ex.status}")
            )
            return state.problems, last
        data, total_pages = state.page(page, doc)
        if page > total_pages:
            if data:
                message = f"{state.label}, page {page} of {total_pages}: {len(data)} rows"
                state.problems.append(Problem("page past the end is not empty", message))
            break
        state.rows += [r for r in data if isinstance(r, dict)]
        page = page + 1 if page < MAX_PAGES else total_pages + 1  # then jump to the page past the end
    state.overall(sort)
    return state.problems, last


@pytest.mark.covers("pagination", OP)
@pytest.mark.parametrize("sort", [*SORTS, None], ids=[*SORTS, "default-sort"])
def test_pagination_walk(nara_client: Client, gate: Gate, populated: int, sort: str | None) -> None:
    for size in (7, None):
        problems, ex = walk(nara_client, populated, size, sort)
        gate.check("nara", OP, "pagination", problems, ex)


@pytest.mark.covers("pagination", OP)
def test_pagination_sizes(nara_client: Client, gate: Gate, populated: int) -> None:
    """Page sizes 1 and 100 on the first pages, and the default order equals created_at:desc."""
    problems: list[Problem] = []
    ex: Exchange | None = None
    for size in (1, 100):
        for page in (1, 2, 3):
            ex, doc = _page(nara_client, populated, page, size, None)
            data = doc.get("data") if doc else None
            if not isinstance(data, list):
                problems.append(Problem("a page could not be read", f"rows_per_page={size}, page {page}"))
                continue
            meta = doc.get("pagination", {}) if doc else {}
            total = meta.get("total_rows", 0) if isinstance(meta.get("total_rows"), int) else 0
            expected = max(0, min(size, total - (page - 1) * size))
            if len(data) != expected:
                problems.append(
                    Problem(
                        "page holds the wrong number of rows",
                        f"rows_per_page={size}, page {page} ({total} rows): {len(data)}, expected {expected}",
                    )
                )
    _, default = _page(nara_client, populated, 1, None, None)
    ex, explicit = _page(nara_client, populated, 1, None, "created_at:desc")
    if default and explicit:
        a = [r.get("id") for r in default.get("data", [])]
        b = [r.get("id") for r in explicit.get("data", [])]
        if a != b:
            problems.append(Problem("default order is not created_at:desc", f"default {a[:8]} vs {b[:8]}"))
    gate.check("nara", OP, "pagination", problems, ex)


@pytest.mark.covers("ownership", OP)
def test_ownership(nara_client: Client, gate: Gate, populated: int) -> None:
    for other in (populated + 1, populated - 1 if populated > 1 else populated + 2):
        ex, doc = _page(nara_client, other, 1, None, None)
        problems = []
        if ex.status != 403:
            rows = len(doc.get("data", [])) if doc else 0
            problems.append(
                Problem(
                    "another user's messages are readable",
                    f"user {populated}'s key reading user {other}: {ex.status} ({rows} rows), expected 403",
                )
            )
        gate.check("nara", OP, "ownership", problems, ex)
    ex, doc = _page(nara_client, populated, 1, 100, None)
    foreign = sorted(
        {r.get("user_id") for r in (doc or {}).get("data", []) if r.get("user_id") != populated}, key=str
    )
    problems = [Problem("listing holds another user's messages", f"user_ids {foreign}")] if foreign else []
    gate.check("nara", OP, "ownership", problems, ex)
