"""Bare Locust FastHttpUser hitting the endpoint nara-paginated-reads pages through (the baseline)."""

from __future__ import annotations

import os

from locust import FastHttpUser, task

KEY = os.environ.get("NARA_API_KEY", "nara-dev-key-1001")


class BarePages(FastHttpUser):
    @task
    def page(self) -> None:
        self.client.get(
            "/api/v1.0/chat/messages?user_id=1001&rows_per_page=20&current_page=1&sort_by=created_at:desc",
            headers={"Authorization": f"Bearer {KEY}"},
            name="bare.page",
        )
