"""Pages judged in append-stable places (``contracts/pagination.py``) and the suite's pool
(``contracts/pool.py``), on pages and tasks built by hand."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chatgate.contract_model import Pagination, SortOption, model_for
from contracts.pagination import PAGE_BUDGET, Page, judge_pages, pages_to_read
from contracts.pool import Jobs, Pool


def _rule() -> Pagination:
    model = model_for("nara")
    rule = model.rules(model.paginated()[0]).pagination
    assert rule is not None
    return rule


RULE = _rule()


def _sort(value: str) -> SortOption:
    found = RULE.sort_of(value)
    assert found is not None
    return found


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
    return Page(RULE, number, size, {"data": data, "pagination": meta})


@pytest.mark.parametrize("sort", ["id:asc", "id:desc", "created_at:asc", "created_at:desc"])
def test_appends_between_page_reads_are_no_finding(sort: str) -> None:
    history = list(range(1, 46))
    pages = []
    for number in range(1, 9):
        pages.append(_page(history, number, 7, sort))
        history += [history[-1] + 1, history[-1] + 2]  # another client writes between two page reads
    assert judge_pages(pages, "live", _sort(sort)) == []


def test_what_no_interleaving_explains_is_a_finding() -> None:
    history = list(range(1, 46))
    overlap = [_page(history, 1, 7, "id:desc"), _page(history, 2, 7, "id:desc")]
    _data(overlap[1]).insert(0, overlap[0].rows[-1])  # the last row of page 1 again on page 2...
    _data(overlap[1]).pop()  # ...keeping the page's size
    assert {p.title for p in judge_pages(overlap, "x", _sort("id:desc"))} == {"pages overlap"}
    swapped = [_page(history, 1, 7, "id:asc"), _page(history, 2, 7, "id:asc")]
    _data(swapped[1]).reverse()
    assert {p.title for p in judge_pages(swapped, "x", _sort("id:asc"))} == {"order does not match sort_by"}


def test_totals_off_by_one_show_on_the_last_page_of_a_long_history() -> None:
    history = list(range(1, 10_001))
    last = math.ceil((len(history) + 1) / 20)
    numbers = [1, *pages_to_read(last)]
    assert len(numbers) <= PAGE_BUDGET and last in numbers and last + 1 in numbers
    pages = [_page(history, n, 20, "created_at:desc", total_delta=1) for n in numbers]
    titles = {p.title for p in judge_pages(pages, "long", _sort("created_at:desc"))}
    assert titles == {"page holds the wrong number of rows"}


def test_a_short_history_is_walked_whole_and_the_page_past_the_end_read() -> None:
    assert pages_to_read(3) == [2, 3, 4]
    assert pages_to_read(0) == []
    history = list(range(1, 16))
    pages = [_page(history, n, 7, "id:asc") for n in (1, 2, 3, 4)]
    _data(pages[3]).append({"id": 99})
    assert {p.title for p in judge_pages(pages, "x", _sort("id:asc"))} == {"page past the end is not empty"}


def test_a_late_row_may_appear_below_newer_ones_once_its_stream_ended() -> None:
    """late_rows: a streamed reply's row is listed once its stream has ended, below rows added since; a
    place that grows by more than the rows added meanwhile, or shrinks, is still a finding."""
    before = [i for i in range(1, 31) if i != 20]  # row 20 is a reply still being streamed
    after = list(range(1, 31))
    pages = [_page(before, 1, 7, "id:asc"), _page(before, 2, 7, "id:asc"), _page(after, 3, 7, "id:asc"),
             _page(after, 4, 7, "id:asc"), _page(after, 5, 7, "id:asc")]  # fmt: skip
    assert judge_pages(pages, "late", _sort("id:asc")) == []
    removed = [i for i in range(1, 33) if i != 3]  # one row gone, two added: places shrink by one
    moved = [_page(after, 3, 7, "id:asc"), _page(removed, 3, 7, "id:asc")]
    assert "pages overlap" in {p.title for p in judge_pages(moved, "late", _sort("id:asc"))}


def test_a_sort_key_that_does_not_grow_with_appends_is_judged_within_one_state() -> None:
    model = model_for("nara")
    base = model.rules(model.paginated()[0]).pagination
    assert base is not None
    rule = replace(base, fields={**base.fields, "conversation_id": "/conversation_id"},
                   kinds={**base.kinds, "conversation_id": "string"})  # fmt: skip
    option = SortOption("conversation_id:asc", "conversation_id", "asc")
    rows = [{"id": i, "conversation_id": c} for i, c in enumerate("dbca", 1)]
    ordered = sorted(rows, key=lambda r: (r["conversation_id"], r["id"]))
    meta = {"current_page": 1, "rows_per_page": 2, "total_rows": 4, "total_pages": 2}
    one = Page(rule, 1, 2, {"data": ordered[:2], "pagination": meta})
    two = Page(rule, 2, 2, {"data": ordered[2:], "pagination": {**meta, "current_page": 2}})
    assert judge_pages([one, two], "cid", option) == []
    bad = Page(rule, 2, 2, {"data": ordered[2:][::-1], "pagination": {**meta, "current_page": 2}})
    assert {p.title for p in judge_pages([one, bad], "cid", option)} == {"order does not match sort_by"}
    grown = Page(
        rule,
        2,
        2,
        {"data": [ordered[0], ordered[3]], "pagination": {**meta, "total_rows": 5, "current_page": 2}},
    )
    assert "pages overlap" not in {p.title for p in judge_pages([one, grown], "cid", option)}


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
