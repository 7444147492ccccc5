"""nara-stream-sends: streaming sends to ``POST /api/v1.0/chat`` with ``stream: true``.

Per stream: time to headers, TTFT (first ``delta``), every inter-event gap (ITL), mean gap, time to
the terminal event; streams ending without a terminal event are ``broken_stream``, streams ending in
an ``error`` event ``stream_error``. Run alone with ``locust -f loadtests/nara_stream_sends.py``.
"""

from __future__ import annotations

import os
import uuid

from locust import task

from chatgate.load.client import stream_send
from chatgate.load.users import ChatgateUser

if os.environ.get("CHATGATE_SHAPE"):
    from shapes import ChatgateShape  # noqa: F401


class NaraStreamSender(ChatgateUser):
    @task
    def stream(self) -> None:
        intended = self.paced()
        body = {"message": "Tell me about load testing.", "conversation_id": uuid.uuid4().hex, "stream": True}
        out = stream_send(
            self.session,
            f"{self.nara_base}/api/v1.0/chat",
            self.nara_headers(),
            body,
            timeout=self.timeout,
            validators=self.validators,
            name="nara.stream",
        )
        self.record(out, intended)
