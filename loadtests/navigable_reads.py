"""navigable-reads: ``GET /api/v1/chat?identifier=...`` (the session's last 20 messages)."""

from __future__ import annotations

import os

from locust import task

from chatgate.load.client import request_json
from chatgate.load.users import ChatgateUser

if os.environ.get("CHATGATE_SHAPE"):
    from shapes import ChatgateShape  # noqa: F401

IDENTIFIER = os.environ.get("CHATGATE_NAVIGABLE_IDENTIFIER", "load-user-1")


class NavigableReader(ChatgateUser):
    @task
    def read(self) -> None:
        intended = self.paced()
        out = request_json(
            self.session,
            "GET",
            f"{self.navigable_base}/api/v1/chat",
            headers=self.navigable_headers(),
            params={"identifier": IDENTIFIER},
            timeout=self.timeout,
            validators=self.validators,
            api="navigable",
            pointer="#/components/schemas/SessionMessagesResponse",
            name="navigable.read",
        )
        self.record(out, intended)
