"""The bare baseline for stream reading: a Locust FastHttpUser that sends Nara streaming sends and
splits each stream into events on blank lines (no timing, no JSON, no validation). Its work per event
is the floor a generator that does more cannot go below; ``load_events_cpu.py`` compares against it."""

from __future__ import annotations

import os
import uuid

from locust import FastHttpUser, task

KEY = os.environ.get("NARA_API_KEY", "nara-dev-key-1001")
EVENTS = [0]  # events split, for the comparison's own check


class BareStreams(FastHttpUser):
    @task
    def stream(self) -> None:
        body = {"message": "Tell me about load testing.", "conversation_id": uuid.uuid4().hex, "stream": True}
        with self.client.post(
            "/api/v1.0/chat",
            json=body,
            headers={"Authorization": f"Bearer {KEY}"},
            stream=True,
            catch_response=True,
            name="bare.stream",
        ) as resp:
            buf = b""
            for chunk in resp.iter_content(chunk_size=1024, decode_content=False):
                buf += chunk
                *events, buf = buf.split(b"\n\n")
                EVENTS[0] += len(events)
