"""Pages judged in append-stable places (``contracts/pagination.py``) and the suite's pool
(``contracts/pool.py``), on pages and tasks built by hand."""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts.pagination import PAGE_BUDGET, Page, judge_pages, pages_to_read
from contracts.pool import Jobs, Pool


def _rows(ids: list[int]) -> list[dict[str, Any]]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [{"id": i, "created_at": (start + timedelta(seconds=i)).isoformat()} for i in ids]


def _data(page: Page) -> list[dict[str, Any]]:
    assert page.doc is not None
    data: list[dict[str, Any]] = page.doc["data"]
    return data


def _page(history: list[int], number: int, size: int, sort: str, *, total_delta: int = 0) -> Page:
    """Page ``number`` of ``history`` (ids, oldest first) as a faithful server answers it."""
    ordered = history if sort.endswith("asc") else list(reversed(history))
    data = _rows(ordered[(number - 1) * size : number * size])
    total = len(history) + total_delta
    meta = {
        "current_page": number,
        "rows_per_page": size,
        "total_rows": total,
        "total_pages": math.ceil(total / size),
    }
    return Page(number, size, {"data": data, "pagination": meta})


@pytest.mark.parametrize("sort", ["id:asc", "id:desc", "created_at:asc", "created_at:desc"])
def test_appends_between_page_reads_are_no_finding(sort: str) -> None:
    history = list(range(1, 46))
    pages = []
    for number in range(1, 9):
        pages.append(_page(history, number, 7, sort))
        history += [history[-1] + 1, history[-1] + 2]  # another client writes between two page reads
    assert judge_pages(pages, "live", sort) == []


def test_what_no_interleaving_explains_is_a_finding() -> None:
    history = list(range(1, 46))
    overlap = [_page(history, 1, 7, "id:desc"), _page(history, 2, 7, "id:desc")]
    _data(overlap[1]).insert(0, overlap[0].rows[-1])  # the last row of page 1 again on page 2...
    _data(overlap[1]).pop()  # ...keeping the page's size
    assert {p.title for p in judge_pages(overlap, "x", "id:desc")} == {"pages overlap"}
    swapped = [_page(history, 1, 7, "id:asc"), _page(history, 2, 7, "id:asc")]
    _data(swapped[1]).reverse()
    assert {p.title for p in judge_pages(swapped, "x", "id:asc")} == {"order does not match sort_by"}


def test_totals_off_by_one_show_on_the_last_page_of_a_long_history() -> None:
    history = list(range(1, 10_001))
    last = math.ceil((len(history) + 1) / 20)
    numbers = [1, *pages_to_read(last)]
    assert len(numbers) <= PAGE_BUDGET and last in numbers and last + 1 in numbers
    pages = [_page(history, n, 20, "created_at:desc", total_delta=1) for n in numbers]
    titles = {p.title for p in judge_pages(pages, "long", "created_at:desc")}
    assert titles == {"page holds the wrong number of rows"}


def test_a_short_history_is_walked_whole_and_the_page_past_the_end_read() -> None:
    assert pages_to_read(3) == [2, 3, 4]
    assert pages_to_read(0) == []
    history = list(range(1, 16))
    pages = [_page(history, n, 7, "id:asc") for n in (1, 2, 3, 4)]
    _data(pages[3]).append({"id": 99})
    assert {p.title for p in judge_pages(pages, "x", "id:asc")} == {"page past the end is not empty"}


def test_the_pool_keeps_item_order_and_a_single_worker_runs_everything_in_order() -> None:
    pool = Pool(8)
    assert pool.map(lambda i: (time.sleep(0.01 * (5 - i)), i)[1], range(5)) == [0, 1, 2, 3, 4]
    nested = pool.map(lambda i: sum(pool.map(lambda j: j * i, range(4))), range(20))  # no deadlock
    assert nested == [6 * i for i in range(20)]
    pool.close()
    serial, seen = Pool(1), []
    serial.map(lambda i: seen.append((i, threading.current_thread().name)), range(4))
    assert [i for i, _ in seen] == [0, 1, 2, 3] and {n for _, n in seen} == {threading.current_thread().name}
    with pytest.raises(ZeroDivisionError):
        serial.map(lambda i: 1 // i, [1, 0, 2])


def test_jobs_start_together_and_are_waited_for_in_turn() -> None:
    jobs, started = Jobs(True), threading.Barrier(3, timeout=5)
    for key in "abc":
        jobs.start(key, lambda k=key: (started.wait(), k)[1])  # all three must run at once to get past
    assert [jobs.wait(k) for k in "abc"] == ["a", "b", "c"]
    off = Jobs(False)
    off.start("x", lambda: None)
    assert not off.started("x")
