"""Load shapes for chatgate scenarios: smoke, ramp, spike, soak (chosen by ``CHATGATE_SHAPE``).

``CHATGATE_SHAPE_USERS`` is the peak user count, ``CHATGATE_SHAPE_TIME`` the duration in seconds.
A locustfile imports ``ChatgateShape`` only when ``CHATGATE_SHAPE`` is set, so without it Locust's
own ``--users``/``--spawn-rate``/``--run-time`` apply.
"""

from __future__ import annotations

import os

from locust import LoadTestShape

SHAPES = ("smoke", "ramp", "spike", "soak")


class ChatgateShape(LoadTestShape):
    """smoke: 2 users; ramp: linear 1 -> peak; spike: peak/4 with a burst to peak in the middle
    fifth; soak: peak throughout. Each ends after ``CHATGATE_SHAPE_TIME`` seconds."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.kind = os.environ.get("CHATGATE_SHAPE", "smoke")
        self.peak = max(1, int(os.environ.get("CHATGATE_SHAPE_USERS", "10")))
        self.duration = float(os.environ.get("CHATGATE_SHAPE_TIME", "30"))

    def tick(self) -> tuple[int, float] | None:
        t = self.get_run_time()  # type: ignore[no-untyped-call]
        if t >= self.duration:
            return None
        peak = self.peak
        if self.kind == "smoke":
            return (min(2, peak), 2.0)
        if self.kind == "ramp":
            users = max(1, round(peak * t / self.duration))
            return (users, float(peak))
        if self.kind == "spike":
            base = max(1, peak // 4)
            in_spike = 0.4 * self.duration <= t < 0.6 * self.duration
            return (peak if in_spike else base, float(peak))
        return (peak, float(peak))
