"""navigable-sends: ``POST /api/v1/chat`` (send a message, get the assistant's reply)."""

from __future__ import annotations

import os
import uuid

from locust import task

from chatgate.load.client import request_json
from chatgate.load.users import ChatgateUser

if os.environ.get("CHATGATE_SHAPE"):
    from shapes import ChatgateShape  # noqa: F401


class NavigableSender(ChatgateUser):
    def on_start(self) -> None:
        self.identifier = f"load-{uuid.uuid4().hex[:12]}"

    @task
    def send(self) -> None:
        intended = self.paced()
        out = request_json(
            self.session,
            "POST",
            f"{self.navigable_base}/api/v1/chat",
            headers=self.navigable_headers(),
            body={"message": "How do I reset my password?", "identifier": self.identifier},
            timeout=self.timeout,
            validators=self.validators,
            api="navigable",
            pointer="#/components/schemas/SendMessageResponse",
            name="navigable.send",
        )
        self.record(out, intended)
