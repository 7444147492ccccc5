"""One request as the load generator saw it (the Locust side fills it; the recorder turns it into figures).

Error classes (``Outcome.error``), one per way a request can fail:

``http_<status>``   a non-2xx answer
``timeout``         a deadline passed: ``--request-timeout`` (until headers, or a whole JSON answer),
                    ``--stream-idle-timeout`` (no event, only comments such as ``: ping``),
                    ``--stream-timeout`` (a whole stream); the socket read timeout counts too
``connection``      refused, reset or closed before an answer
``broken_stream``   a stream that ended (or was cut) before its grammar was complete
``stream_error``    a stream that ended in the event its spec names as the error (``error_event``)
``contract``        an answer that does not match the spec (schema, grammar, index, link, not JSON,
                    unknown encoding)

Which events a stream may carry, and in what order, is its spec's (:mod:`chatgate.load.stream`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Outcome"]


@dataclass(slots=True)
class Outcome:
    """One request: when it was due and sent, what came back, and how long each part took (seconds).

    ``intended`` and ``sent`` are ``time.perf_counter()`` values of this process; ``intended`` is None in
    the closed model (a request is due when its user sends it). ``deltas`` counts the stream's content
    events (its tokens), ``gaps`` the gaps between them (ITL), ``tail_gap_s`` the gap from the last one
    to the event that completed the stream's grammar.
    """

    name: str
    request_id: str = ""
    intended: float | None = None
    sent: float = 0.0
    status: int = 0
    total_s: float = 0.0
    headers_s: float | None = None
    ttft_s: float | None = None
    gaps: list[float] = field(default_factory=list)
    tail_gap_s: float | None = None
    events: int = 0
    deltas: int = 0
    validated: int = 0
    comments: int = 0
    body_bytes: int = 0
    buffered: bool = False
    held_back: bool = False  # open model: it waited for a free slot under --max-in-flight
    error: str | None = None
    detail: str = ""
    payload: Any = None

    def fail(self, error: str, detail: str = "") -> Outcome:
        """Record the first failure only: what went wrong first is the cause."""
        if self.error is None:
            self.error, self.detail = error, detail[:200]
        return self
