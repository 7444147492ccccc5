"""nara-paginated-reads: walk a user's messages page by page (``GET /api/v1.0/chat/messages``).

Several ``rows_per_page`` and ``sort_by`` values; latency per page (``nara.page``) and per full walk
(``walk``). A message seen twice, or a walk whose message count differs from ``total_rows``, is a
``contract`` error, as is any page that fails the spec's schema.
"""

from __future__ import annotations

import os
import time

from locust import task

from chatgate.load.client import Outcome
from chatgate.load.users import METRICS, ChatgateUser

if os.environ.get("CHATGATE_SHAPE"):
    from shapes import ChatgateShape  # noqa: F401

ROWS = (10, 20, 50, 100)
SORTS = ("created_at:desc", "created_at:asc", "id:asc", "id:desc")
MAX_PAGES = int(os.environ.get("CHATGATE_MAX_PAGES", "20"))


class NaraPageWalker(ChatgateUser):
    @task
    def walk(self) -> None:
        intended = self.paced()
        rows, sort = self.rng.choice(ROWS), self.rng.choice(SORTS)
        seen: set[object] = set()
        start = time.perf_counter()
        total_rows: int | None = None
        page = 1
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
                dup = seen.intersection(ids)
                if dup:
                    out.error, out.detail = "contract", f"page {page} repeats ids {sorted(map(str, dup))[:3]}"
                seen.update(ids)
                total_rows = int(out.payload.get("pagination", {}).get("total_rows", 0))
            self.record(out, intended if page == 1 else None)
            if out.error is not None or not data or len(data) < rows:
                break
            page += 1
        else:
            return
        if total_rows is not None and page <= MAX_PAGES and len(seen) != total_rows:
            gap = Outcome(name="nara.walk", error="contract", detail=f"walk saw {len(seen)} of {total_rows}")
            gap.total_s = time.perf_counter() - start
            self.record(gap)
        METRICS.record("walk", time.perf_counter() - start)
