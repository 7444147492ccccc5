"""Judging the pages of a listing that others may be writing to: pure functions over pages read.

The listing only ever grows by appends (``x-chatgate-assumption`` on Nara's listing): a new message
sorts after every stored one in ascending order (a later ``created_at``, a larger ``id``), and each page's
``pagination`` totals describe the same state as its rows. So a row's place counted *from the oldest end*
never changes, whatever is appended while the pages are read. Every page is mapped to those places with
its own ``total_rows``: ascending page ``p`` of size ``s`` holds places ``(p-1)s ..``; descending page
``p`` holds places ``total_rows - 1 - (p-1)s`` downwards. Then the pages must agree: a row in one place
only, one row per place, and the sort keys rising with the place. Disagreement is a finding: no
interleaving of appends explains it. Each page is also judged on its own: it echoes the page and size
asked for, holds as many rows as its own totals announce, ``total_pages`` is ``ceil(total_rows / size)``,
and a page past the end is empty.

Long histories are judged within a budget (:func:`pages_to_read`): the first pages, the last pages
(reached by arithmetic from the totals of page 1), a few pairs in the middle, and the page past the end.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chatgate.gate.model import Problem

__all__ = ["PAGE_BUDGET", "Page", "judge_pages", "pages_to_read", "sort_key"]

PAGE_BUDGET = 12  # pages read per walk (one size, one sort), whatever the history's length


@dataclass(frozen=True)
class Page:
    """One page as read: the page and size asked for, and the document (None: it could not be read)."""

    number: int
    size: int
    doc: dict[str, Any] | None
    status: int = 200

    @property
    def rows(self) -> list[dict[str, Any]]:
        data = self.doc.get("data") if self.doc else None
        return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []

    @property
    def meta(self) -> dict[str, Any]:
        meta = self.doc.get("pagination") if self.doc else None
        return meta if isinstance(meta, dict) else {}

    @property
    def total_rows(self) -> int:
        value = self.meta.get("total_rows")
        return value if isinstance(value, int) and not isinstance(value, bool) else 0


def pages_to_read(total_pages: int, budget: int = PAGE_BUDGET) -> list[int]:
    """Pages 2.. to read after page 1 (the page past the end included): every page when they fit the
    budget; else the first pages, pairs in the middle and the last pages (adjacent pairs, so the
    boundaries between them are judged too)."""
    if total_pages + 1 <= budget:
        return list(range(2, total_pages + 2))
    last = total_pages
    picks = {2, 3, last - 1, last, last + 1}
    for fraction in (3, 2):
        middle = max(4, last // fraction)
        picks |= {middle, middle + 1}
    return sorted(p for p in picks if 2 <= p <= last + 1)[: budget - 1]


def sort_key(row: dict[str, Any], field_name: str) -> tuple[Any, ...]:
    """The key a row sorts by: (created_at, id) for created_at (ties broken by id), else (id,)."""
    ident = row.get("id")
    ident_key = (0, ident) if isinstance(ident, int) and not isinstance(ident, bool) else (1, str(ident))
    if field_name == "id":
        return (ident_key,)
    try:
        when = datetime.fromisoformat(str(row.get("created_at")).replace("Z", "+00:00")).timestamp()
    except ValueError:
        when = float("-inf")
    return (when, ident_key)


@dataclass
class _Places:
    by_place: dict[int, Any] = field(default_factory=dict)
    by_id: dict[Any, int] = field(default_factory=dict)
    keys: dict[int, tuple[Any, ...]] = field(default_factory=dict)


def _page_problems(page: Page, where: str) -> list[Problem]:
    """What is wrong with one page on its own (its own totals)."""
    meta, rows, size = page.meta, page.rows, page.size
    problems = []
    if meta.get("current_page") != page.number or meta.get("rows_per_page") != size:
        got = f"page {meta.get('current_page')} of size {meta.get('rows_per_page')}"
        problems.append(
            Problem("pagination does not echo the page asked for", f"{where}: pagination says {got}")
        )
    if len(rows) > size:
        problems.append(Problem("page larger than rows_per_page", f"{where}: {len(rows)} rows"))
    total_rows, total_pages = meta.get("total_rows"), meta.get("total_pages")
    if not isinstance(total_rows, int) or total_pages != math.ceil(total_rows / size):
        message = f"{where}: total_rows {total_rows}, total_pages {total_pages}"
        problems.append(Problem("total_pages is not ceil(total_rows / rows_per_page)", message))
    total = page.total_rows
    if page.number > math.ceil(total / size):
        if rows:
            message = f"{where}, past the end ({total} rows): {len(rows)} rows"
            problems.append(Problem("page past the end is not empty", message))
    else:
        expected = min(size, total - (page.number - 1) * size)
        if len(rows) != expected:
            message = f"{where} ({total} rows): {len(rows)} rows, expected {expected}"
            problems.append(Problem("page holds the wrong number of rows", message))
    return problems


def _place(page: Page, index: int, descending: bool) -> int:
    offset = (page.number - 1) * page.size + index
    return page.total_rows - 1 - offset if descending else offset


def _agreement(pages: list[Page], label: str, field_name: str, descending: bool) -> list[Problem]:
    """Rows in one place only, one row per place, sort keys rising with the place."""
    places = _Places()
    problems: list[Problem] = []
    for page in pages:
        for index, row in enumerate(page.rows):
            place, ident = _place(page, index, descending), row.get("id")
            seen_place, seen_id = places.by_id.get(ident), places.by_place.get(place)
            if (seen_place is not None and seen_place != place) or (seen_id is not None and seen_id != ident):
                message = (
                    f"{label}: message {ident} (page {page.number}) is also elsewhere, or its place holds "
                    f"message {seen_id}; appends alone cannot explain it"
                )
                problems.append(Problem("pages overlap", message))
                continue
            places.by_place[place], places.by_id[ident] = ident, place
            places.keys[place] = sort_key(row, field_name)
    ordered = [places.keys[p] for p in sorted(places.keys)]
    if any(a > b for a, b in itertools.pairwise(ordered)):
        ids = [places.by_place[p] for p in sorted(places.by_place)][:12]
        problems.append(Problem("order does not match sort_by", f"{label}: ids from the oldest end {ids}..."))
    return problems


def judge_pages(pages: list[Page], label: str, sort: str | None) -> list[Problem]:
    """Every problem of a walk's pages (one size, one sort), each page and the pages together."""
    problems: list[Problem] = []
    readable = []
    for page in pages:
        where = f"{label}, page {page.number}"
        if page.doc is None:
            problems.append(Problem("a page could not be read", f"{where}: {page.status}"))
            continue
        problems += _page_problems(page, where)
        readable.append(page)
    field_name, _, direction = (sort or "created_at:desc").partition(":")
    problems += _agreement(readable, label, field_name, direction == "desc")
    unique: dict[str, Problem] = {}
    for p in problems:
        unique.setdefault(p.key, p)  # one of each kind per walk: the first shows it
    return list(unique.values())
