"""Nara listing: ``pagination`` (size, disjoint and complete pages, order, totals, past the end) and
``ownership`` (one key cannot read another user's messages)."""

from __future__ import annotations

import math
import uuid
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
def populated(nara_client: Client, nara: Target) -> int:
    """Make sure the key's user has at least MIN_ROWS messages; returns the user id."""
    assert nara.user_id is not None
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


def walk(
    client: Client, user_id: int, size: int | None, sort: str | None
) -> tuple[list[Problem], Exchange | None]:
    """Read the pages at one size and sort; what is wrong with the pages taken together.

    At most MAX_PAGES pages are walked (a user with a long history is not read to the end): completeness
    is judged only when every page was walked; the page past the end is always asked for.
    """
    problems: list[Problem] = []
    label = f"rows_per_page={size or 'default'}, sort_by={sort or 'default'}"
    effective = size or 20
    rows: list[dict[str, Any]] = []
    totals: set[tuple[Any, Any]] = set()
    last: Exchange | None = None
    page = 1
    while True:
        ex, doc = _page(client, user_id, page, size, sort)
        if last is None or len(problems) == 0:
            last = ex  # the reproducer: the first page that showed a problem (or the last page read)
        if doc is None:
            problems.append(Problem("a page could not be read", f"{label}, page {page}: {ex.status}"))
            return problems, last
        data = doc.get("data") if isinstance(doc.get("data"), list) else []
        meta = doc.get("pagination") if isinstance(doc.get("pagination"), dict) else {}
        totals.add((meta.get("total_rows"), meta.get("total_pages")))
        if meta.get("current_page") != page or meta.get("rows_per_page") != effective:
            problems.append(
                Problem(
                    "pagination does not echo the page asked for",
                    f"{label}, page {page}: pagination says page {meta.get('current_page')} of size "
                    f"{meta.get('rows_per_page')}",
                )
            )
        if len(data) > effective:
            problems.append(
                Problem("page larger than rows_per_page", f"{label}, page {page}: {len(data)} rows")
            )
        total_rows = meta.get("total_rows") if isinstance(meta.get("total_rows"), int) else 0
        total_pages = math.ceil(total_rows / effective)
        if page <= total_pages:
            expected = min(effective, total_rows - (page - 1) * effective)
            if len(data) != expected:
                problems.append(
                    Problem(
                        "page holds the wrong number of rows",
                        f"{label}, page {page} of {total_pages} ({total_rows} rows): "
                        f"{len(data)}, expected {expected}",
                    )
                )
            rows += [r for r in data if isinstance(r, dict)]
            page += 1
            if page > MAX_PAGES:
                page = total_pages + 1  # jump to the page past the end
            continue
        if data:
            problems.append(
                Problem(
                    "page past the end is not empty",
                    f"{label}, page {page} of {total_pages}: {len(data)} rows",
                )
            )
        break
    if len(totals) != 1:
        problems.append(Problem("totals change from page to page", f"{label}: {sorted(totals, key=str)}"))
    total_rows, total_pages = next(iter(totals))
    walked_all = isinstance(total_pages, int) and total_pages <= MAX_PAGES
    if not isinstance(total_rows, int) or total_pages != math.ceil(total_rows / effective):
        problems.append(
            Problem(
                "total_pages is not ceil(total_rows / rows_per_page)", f"{label}: {total_rows}, {total_pages}"
            )
        )
    ids = [r.get("id") for r in rows]
    if len(set(ids)) != len(ids):
        dupes = sorted({i for i in ids if ids.count(i) > 1}, key=str)[:10]
        problems.append(Problem("pages overlap", f"{label}: ids on more than one page: {dupes}"))
    if walked_all and isinstance(total_rows, int) and len(set(ids)) != total_rows:
        problems.append(
            Problem(
                "pages do not cover every message",
                f"{label}: {len(set(ids))} distinct rows, total_rows {total_rows}",
            )
        )
    field, _, direction = (sort or "created_at:desc").partition(":")
    keys = [_key(r, field) for r in rows]
    if keys != sorted(keys, reverse=direction == "desc"):
        problems.append(
            Problem(f"order does not match sort_by={sort or 'default'}", f"{label}: ids {ids[:12]}...")
        )
    return problems, last


@pytest.mark.parametrize("sort", [*SORTS, None], ids=[*SORTS, "default-sort"])
def test_pagination_walk(nara_client: Client, gate: Gate, populated: int, sort: str | None) -> None:
    for size in (7, None):
        problems, ex = walk(nara_client, populated, size, sort)
        gate.check("nara", OP, "pagination", problems, ex)


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
