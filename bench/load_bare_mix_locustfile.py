"""Bare Locust FastHttpUser scripts sending each chatgate scenario's own request mix (the baselines of
``load_requests_cpu.py``): the same requests, the same weights, the same pages walked, and nothing else
(no validation, no timing of events, no raw data). ``BENCH_SCENARIO`` picks the mix."""

from __future__ import annotations

import os
import random
import uuid

from locust import FastHttpUser, task

NARA = {"Authorization": f"Bearer {os.environ.get('NARA_API_KEY', 'nara-dev-key-1001')}"}
NAVIGABLE = {"X-Api-Key": os.environ.get("NAVIGABLE_API_KEY", "navigable-dev-key")}
SCENARIO = os.environ.get("BENCH_SCENARIO", "nara-paginated-reads")
ROWS = (10, 20, 50, 100)
SORTS = ("created_at:desc", "created_at:asc", "id:asc", "id:desc")


class BareMix(FastHttpUser):
    def on_start(self) -> None:
        # navigable-reads reads one seeded session (as chatgate's does); the others their own sends
        self.identifier = "seed-1" if SCENARIO == "navigable-reads" else f"bare-{uuid.uuid4().hex[:12]}"

    def stream(self) -> None:
        body = {"message": "Tell me about load testing.", "conversation_id": uuid.uuid4().hex, "stream": True}
        with self.client.post(
            "/api/v1.0/chat", json=body, headers=NARA, stream=True, catch_response=True, name="nara.stream"
        ) as resp:
            buf = b""
            for chunk in resp.iter_content(chunk_size=1024, decode_content=False):
                buf += chunk
                *_events, buf = buf.split(b"\n\n")

    def walk(self) -> None:
        rows, sort = random.choice(ROWS), random.choice(SORTS)
        for page in range(1, 21):
            query = f"user_id=1001&rows_per_page={rows}&current_page={page}&sort_by={sort}"
            url = f"/api/v1.0/chat/messages?{query}"
            data = self.client.get(url, headers=NARA, name="nara.page").json().get("data") or []
            if len(data) < rows:
                return

    def read(self) -> None:
        self.client.get(
            f"/api/v1/chat?identifier={self.identifier}", headers=NAVIGABLE, name="navigable.read"
        )

    def send(self) -> None:
        body = {"message": "How do I reset my password?", "identifier": self.identifier}
        self.client.post("/api/v1/chat", json=body, headers=NAVIGABLE, name="navigable.send")

    @task
    def act(self) -> None:
        if SCENARIO == "nara-stream-sends":
            self.stream()
        elif SCENARIO == "nara-paginated-reads":
            self.walk()
        elif SCENARIO == "navigable-reads":
            self.read()
        elif SCENARIO == "navigable-sends":
            self.send()
        else:
            random.choices([self.stream, self.walk, self.read, self.send], weights=[4, 6, 3, 1])[0]()
