"""mixed: Nara streaming sends and page reads, Navigable sends and reads, with weights, plus
read-after-write visibility (``visibility``: from a Navigable send's start until a read shows it)."""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from locust import task
from nara_paginated_reads import NaraPageWalker
from nara_stream_sends import NaraStreamSender

from chatgate.load.client import Outcome, request_json
from chatgate.load.users import METRICS, ChatgateUser

if os.environ.get("CHATGATE_SHAPE"):
    from shapes import ChatgateShape  # noqa: F401

NaraStreamSender.weight = 2
NaraPageWalker.weight = 3


class NavigableMixed(ChatgateUser):
    weight = 2

    def on_start(self) -> None:
        self.identifier = f"mixed-{uuid.uuid4().hex[:12]}"

    def _read(self, intended: float | None = None) -> tuple[list[Any], bool]:
        out = request_json(
            self.session,
            "GET",
            f"{self.navigable_base}/api/v1/chat",
            headers=self.navigable_headers(),
            params={"identifier": self.identifier},
            timeout=self.timeout,
            validators=self.validators,
            api="navigable",
            pointer="#/components/schemas/SessionMessagesResponse",
            name="navigable.read",
        )
        self.record(out, intended)
        data = out.payload.get("data") if isinstance(out.payload, dict) else None
        return (data if isinstance(data, list) else []), out.error is None

    @task(3)
    def read(self) -> None:
        self._read(self.paced())

    @task(1)
    def send_then_read(self) -> None:
        intended = self.paced()
        marker = uuid.uuid4().hex
        start = time.perf_counter()
        out = request_json(
            self.session,
            "POST",
            f"{self.navigable_base}/api/v1/chat",
            headers=self.navigable_headers(),
            body={"message": f"visibility {marker}", "identifier": self.identifier},
            timeout=self.timeout,
            validators=self.validators,
            api="navigable",
            pointer="#/components/schemas/SendMessageResponse",
            name="navigable.send",
        )
        self.record(out, intended)
        if out.error:
            return
        for _ in range(20):
            data, ok = self._read()
            if ok and any(isinstance(m, dict) and marker in str(m.get("content")) for m in data):
                METRICS.record("visibility", time.perf_counter() - start)
                return
            time.sleep(0.05)
        late = Outcome(name="navigable.visibility", error="contract", detail="sent message not read back")
        late.total_s = time.perf_counter() - start
        self.record(late)
