"""nara-paginated-reads: walk a user's messages page by page (``GET /api/v1.0/chat/messages``).

Several ``rows_per_page`` and ``sort_by`` values; latency per page (``nara.page``) and per full walk
(``walk``, up to ``CHATGATE_MAX_PAGES`` pages; sizes and orders from ``CHATGATE_PAGE_SIZES`` and
``CHATGATE_SORTS``). A message seen on two pages, or a complete walk whose
message count differs from ``total_rows``, is a ``contract`` error (one ``nara.walk`` outcome), as is
any page that fails the spec's schema. A walk during which ``total_rows`` changed (messages were
added meanwhile) is counted as ``walk_concurrent_writes`` and not judged: offset pages shift then.
"""

from __future__ import annotations

import os
import time

from locust import task

from chatgate.load.client import Outcome
from chatgate.load.users import METRICS, ChatgateUser

if os.environ.get("CHATGATE_SHAPE"):
    from shapes import ChatgateShape  # noqa: F401

# Which walks to take: page sizes and sort orders (comma-separated), pages per walk at most.
ROWS = tuple(int(x) for x in os.environ.get("CHATGATE_PAGE_SIZES", "10,20,50,100").split(","))
SORTS = tuple(os.environ.get("CHATGATE_SORTS", "created_at:desc,created_at:asc,id:asc,id:desc").split(","))
MAX_PAGES = int(os.environ.get("CHATGATE_MAX_PAGES", "20"))


class NaraPageWalker(ChatgateUser):
    @task
    def walk(self) -> None:
        intended = self.paced()
        rows, sort = self.rng.choice(ROWS), self.rng.choice(SORTS)
        seen: set[object] = set()
        repeated: set[object] = set()
        totals: set[int] = set()
        start = time.perf_counter()
        page = 1
        complete = False
        while page <= MAX_PAGES:
            out = self.fast.request(
                "GET",
                "/api/v1.0/chat/messages",
                headers=self.nara_headers(),
                params={
                    "user_id": self.nara_user_id,
                    "rows_per_page": rows,
                    "current_page": page,
                    "sort_by": sort,
                },
                validators=self.validators,
                api="nara",
                pointer="#/components/schemas/ChatMessagePage",
                name="nara.page",
            )
            data = out.payload.get("data") if out.error is None and isinstance(out.payload, dict) else None
            if out.error is None and isinstance(data, list):
                ids = [m.get("id") for m in data if isinstance(m, dict)]
                repeated.update(seen.intersection(ids))
                seen.update(ids)
                totals.add(int(out.payload.get("pagination", {}).get("total_rows", 0)))
            self.record(out, intended if page == 1 else None)
            if out.error is not None:
                return
            if not data or len(data) < rows:
                complete = True
                break
            page += 1
        METRICS.record("walk", time.perf_counter() - start)
        if len(totals) > 1:
            # Messages were added while walking (mixed scenario, or another client): offset pages then
            # legitimately shift, so overlaps and gaps say nothing about the API. Counted, not judged.
            METRICS.count("walk_concurrent_writes")
            return
        problem = ""
        if repeated:
            problem = f"pages overlap: ids {sorted(map(str, repeated))[:3]} seen twice"
        elif complete and totals and len(seen) != next(iter(totals)):
            problem = f"walk saw {len(seen)} of total_rows {next(iter(totals))}"
        if problem:
            bad = Outcome(name="nara.walk", error="contract", detail=problem)
            bad.total_s = time.perf_counter() - start
            self.record(bad)
