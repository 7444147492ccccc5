"""Judging the pages of a listing that others may be writing to: pure functions over pages read.

Every name comes from the operation's pagination rule (``x-chatgate-pagination`` in the spec): where the
items and the totals are, which parameters the body echoes, how a sort value reads (its field, its
direction, the tie-break), and which sort fields only grow as rows are added (``append_keys``).

The listing only grows by appends: a new row sorts after every stored one in the append order, and each
page's totals describe the same state as its rows. So a row's place counted *from the oldest end* never
changes, whatever is appended while the pages are read. Every page is mapped to those places with its own
total: ascending page ``p`` of size ``s`` holds places ``(p-first)s ..``; descending page ``p`` holds places
``total - 1 - (p-first)s`` downwards. Then the pages must agree: a row in one place only, one row per place,
and the sort keys rising with the place. With ``late_rows`` (a streamed reply's row may be listed only once
its stream has ended), a row's place may grow by at most the rows added between two reads, never shrink.
Disagreement is a finding: no interleaving of appends explains it. A sort on a field that does not grow
with appends is judged across pages only when they agree on the total (nothing was added meanwhile).
Each page is also judged on its own: it echoes what was asked, holds as many rows as its own totals
announce, its page count is ``ceil(total / size)``, and a page past the end is empty.

Long histories are judged within a budget (:func:`pages_to_read`): the first pages, the last pages
(reached by arithmetic from the totals of the first page), a few pairs in the middle, and the page past
the end.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chatgate.contract_model import MISSING, Pagination, SortOption, resolve_pointer
from chatgate.gate.model import Problem

__all__ = ["PAGE_BUDGET", "Page", "judge_pages", "pages_to_read", "sort_key", "sort_value"]

PAGE_BUDGET = 12  # pages read per walk (one size, one sort), whatever the history's length


def _name(pointer: str | None) -> str:
    return pointer.rsplit("/", 1)[-1] if pointer else "?"


def _path(pointer: str | None, base: str = "$") -> str:
    """A JSON pointer as the JSON path problems name values by (``/pagination/total_rows`` ->
    ``$.pagination.total_rows``)."""
    return base + "".join(f".{p}" for p in (pointer or "").split("/")[1:])


def _counts(rule: Pagination) -> tuple[str, ...]:
    """The values a page's counts are judged by: its items and its totals."""
    return tuple(_path(p) for p in (rule.items, rule.total_rows, rule.total_pages) if p)


def _keys(rule: Pagination, *fields: str | None) -> tuple[str, ...]:
    """The paths of sort fields in a listed item (``$.data[*].id``)."""
    item = _path(rule.items) + "[*]"
    return tuple(_path(rule.fields[f], item) for f in fields if f and f in rule.fields)


@dataclass(frozen=True)
class Page:
    """One page as read: the page and size asked for, and the document (None: it could not be read)."""

    rule: Pagination
    number: int
    size: int
    doc: dict[str, Any] | None
    status: int = 200

    @property
    def rows(self) -> list[dict[str, Any]]:
        data = resolve_pointer(self.doc, self.rule.items) if self.doc else None
        return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []

    def _int(self, pointer: str | None) -> Any:
        return resolve_pointer(self.doc, pointer) if self.doc is not None and pointer else MISSING

    @property
    def total_rows(self) -> int:
        value = self._int(self.rule.total_rows)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    @property
    def offset(self) -> int:
        return (self.number - self.rule.first_page) * self.size


def pages_to_read(total_pages: int, first: int = 1, budget: int = PAGE_BUDGET) -> list[int]:
    """Pages after the first to read (the page past the end included): every page when they fit the
    budget; else the first pages, pairs in the middle and the last pages (adjacent pairs, so the
    boundaries between them are judged too)."""
    if total_pages + 1 <= budget:
        return [first + i for i in range(1, total_pages + 1)]
    last = total_pages
    picks = {2, 3, last - 1, last, last + 1}
    for fraction in (3, 2):
        middle = max(4, last // fraction)
        picks |= {middle, middle + 1}
    return [first - 1 + p for p in sorted(p for p in picks if 2 <= p <= last + 1)[: budget - 1]]


def sort_value(kind: str, value: Any) -> tuple[int, Any]:
    """A comparable form of a sort field's value: values of the field's kind first, others after."""
    if kind == "time":
        try:
            return (0, datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp())
        except ValueError:
            return (1, str(value))
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return (0, value) if ok else (1, str(value))
    return (0, str(value)) if isinstance(value, str) else (1, str(value))


def sort_key(rule: Pagination, row: dict[str, Any], field: str) -> tuple[Any, ...]:
    """The key a row sorts by: the sort field's value, then the tie-break field's (when it differs)."""
    fields = [field] if rule.tie_break in (None, field) else [field, rule.tie_break]
    return tuple(
        sort_value(rule.kinds.get(f, "string"), resolve_pointer(row, rule.fields[f])) for f in fields if f
    )


def _ident(rule: Pagination, row: dict[str, Any]) -> Any:
    """What tells rows apart: the tie-break field (else the whole row)."""
    if rule.tie_break is not None:
        value = resolve_pointer(row, rule.fields[rule.tie_break])
        return value if isinstance(value, int | str) and not isinstance(value, bool) else repr(value)
    return repr(sorted(row.items()))


def _page_problems(page: Page, where: str) -> list[Problem]:
    """What is wrong with one page on its own (its own totals)."""
    rule, rows, size = page.rule, page.rows, page.size
    problems = []
    asked = {name: page.number if rule.page and name == rule.page.name else size for name in rule.echo}
    wrong = {n: page._int(p) for n, p in rule.echo.items() if page._int(p) != asked[n]}
    if wrong:
        got = ", ".join(f"{n} {v if v is not MISSING else 'missing'}" for n, v in wrong.items())
        problems.append(Problem("pagination does not echo the page asked for", f"{where}: it says {got}"))
    size_name = rule.size.name if rule.size else "the page size"
    if len(rows) > size:
        problems.append(
            Problem(f"page larger than {size_name}", f"{where}: {len(rows)} rows", fields=_counts(rule))
        )
    total_rows = page._int(rule.total_rows)
    if rule.total_pages is not None:
        total_pages = page._int(rule.total_pages)
        if not isinstance(total_rows, int) or total_pages != math.ceil(total_rows / size):
            message = (
                f"{where}: {_name(rule.total_rows)} {total_rows}, {_name(rule.total_pages)} {total_pages}"
            )
            title = f"{_name(rule.total_pages)} is not ceil({_name(rule.total_rows)} / {size_name})"
            problems.append(Problem(title, message, fields=_counts(rule)))
    if rule.total_rows is None:
        return problems
    total = page.total_rows
    if page.offset >= total and page.number > rule.first_page:
        if rows:
            message = f"{where}, past the end ({total} rows): {len(rows)} rows"
            problems.append(Problem("page past the end is not empty", message, fields=_counts(rule)))
    else:
        expected = max(0, min(size, total - page.offset))
        if len(rows) != expected:
            message = f"{where} ({total} rows): {len(rows)} rows, expected {expected}"
            problems.append(Problem("page holds the wrong number of rows", message, fields=_counts(rule)))
    return problems


def _places(page: Page, descending: bool) -> list[tuple[int, dict[str, Any]]]:
    return [
        (page.total_rows - 1 - (page.offset + i) if descending else page.offset + i, row)
        for i, row in enumerate(page.rows)
    ]


def _overlap(label: str, ident: Any, page: Page, other: Any) -> Problem:
    message = (
        f"{label}: row {ident} (page {page.number}) is also elsewhere, or its place holds row {other}; "
        "appends alone cannot explain it"
    )
    return Problem("pages overlap", message, fields=_keys(page.rule, page.rule.tie_break))


def _agreement(pages: list[Page], label: str, option: SortOption) -> list[Problem]:
    """Rows in one place only (or, with late rows, places that grew by at most what was added), one row
    per place among pages of one total, sort keys rising with the place."""
    rule = pages[0].rule if pages else None
    if rule is None:
        return []
    grows = option.field in rule.append_keys
    groups = [pages] if grows else [list(g) for _, g in itertools.groupby(
        sorted(pages, key=lambda p: p.total_rows), key=lambda p: p.total_rows)]  # fmt: skip
    problems: list[Problem] = []
    for group in groups:
        problems += _agree(group, label, option, rule)
    return problems


def _agree(pages: list[Page], label: str, option: SortOption, rule: Pagination) -> list[Problem]:
    seen: dict[Any, tuple[int, int]] = {}  # row -> (place, total of the page it was on)
    by_place: dict[tuple[int, int], Any] = {}  # (total, place) -> row
    keys: dict[int, tuple[Any, ...]] = {}
    problems: list[Problem] = []
    for page in pages:
        for place, row in _places(page, option.direction == "desc"):
            ident, total = _ident(rule, row), page.total_rows
            if ident in seen:
                place0, total0 = seen[ident]
                lo, hi = sorted(((place0, total0), (place, total)), key=lambda t: t[1])
                slack = hi[1] - lo[1] if rule.late_rows else 0
                if not 0 <= hi[0] - lo[0] <= slack:
                    problems.append(_overlap(label, ident, page, ident))
                continue
            holder = by_place.get((total, place))
            if holder is not None and holder != ident:
                problems.append(_overlap(label, ident, page, holder))
                continue
            seen[ident], by_place[(total, place)] = (place, total), ident
            keys.setdefault(place, sort_key(rule, row, option.field))
    ordered = [keys[p] for p in sorted(keys)]
    if any(a > b for a, b in itertools.pairwise(ordered)):
        ids = [by_place[k] for k in sorted(by_place, key=lambda k: k[1])][:12]
        message = f"{label}: rows from the oldest end {ids}..."
        fields = _keys(rule, option.field, rule.tie_break)
        problems.append(Problem(f"order does not match {_sort_name(rule)}", message, fields=fields))
    return problems


def _sort_name(rule: Pagination) -> str:
    return rule.sort.name if rule.sort is not None else "the sort order"


def judge_pages(pages: list[Page], label: str, option: SortOption) -> list[Problem]:
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
    problems += _agreement(readable, label, option)
    unique: dict[str, Problem] = {}
    for p in problems:
        unique.setdefault(p.key, p)  # one of each kind per walk: the first shows it
    return list(unique.values())
