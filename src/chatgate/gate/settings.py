"""How a gate run sends: concurrency, pacing, deadlines, the size cap, TLS, the replies' nature, time.

The flags (``chatgate contract --help``) map one to one onto :class:`Transport`; the suite receives it
through its environment (:meth:`Transport.env`, read back by ``contracts/target.py``), and the reports
show it (:meth:`Transport.describe`)::

    Transport(concurrency=8, rate=parse_rate("5/s"), max_time_s=600.0)

Defaults: 32 requests in flight, no rate limit, the shared deadlines of :mod:`chatgate.options`
(30 s request, 30 s stream idle, 300 s stream), 10 MiB per body, TLS verified, 15 minutes for the whole
gate. ``deterministic_replies`` None means "decide from the target": on for the embedded server (its
replies are a function of the input), off for any other (a sampled model may answer differently each
time).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from chatgate.options import Deadlines, Rate
from chatgate.targets import Tls

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_MAX_STREAM_BYTES", "DEFAULT_MAX_TIME_S", "Transport"]

DEFAULT_CONCURRENCY = 32
DEFAULT_MAX_TIME_S = 15 * 60.0
DEFAULT_MAX_STREAM_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Transport:
    """The sending side of one gate run (see the module docstring)."""

    concurrency: int = DEFAULT_CONCURRENCY
    rate: Rate | None = None
    deadlines: Deadlines = field(default_factory=Deadlines)
    max_stream_bytes: int = DEFAULT_MAX_STREAM_BYTES
    max_time_s: float = DEFAULT_MAX_TIME_S
    tls: Tls = field(default_factory=Tls)
    deterministic_replies: bool | None = None

    def replies_deterministic(self, embedded: bool) -> bool:
        return embedded if self.deterministic_replies is None else self.deterministic_replies

    def env(self, ends_at: float, embedded: bool) -> dict[str, str]:
        """The suite's variables (``ends_at``: the run's end, Unix time)."""
        d = self.deadlines
        out = {
            "CHATGATE_CONCURRENCY": str(self.concurrency),
            "CHATGATE_REQUEST_TIMEOUT": repr(d.request_s),
            "CHATGATE_STREAM_IDLE_TIMEOUT": repr(d.stream_idle_s),
            "CHATGATE_STREAM_TIMEOUT": repr(d.stream_s),
            "CHATGATE_MAX_STREAM_BYTES": str(self.max_stream_bytes),
            "CHATGATE_DETERMINISTIC_REPLIES": "1" if self.replies_deterministic(embedded) else "0",
            "CHATGATE_RUN_ENDS_AT": repr(ends_at),
            **self.tls.env(),
        }
        if self.rate is not None:
            out["CHATGATE_RATE_LIMIT"] = (
                f"{self.rate.count}/{ {1.0: 's', 60.0: 'm', 3600.0: 'h'}[self.rate.per_s] }"
            )
        return out

    def describe(self, embedded: bool) -> dict[str, object]:
        """The settings as summary.json shows them."""
        d = self.deadlines
        return {
            "concurrency": self.concurrency,
            "rate_limit": (f"{self.rate.count}/{self.rate.per_s:g}s" if self.rate else None),
            "request_timeout_s": d.request_s,
            "stream_idle_timeout_s": d.stream_idle_s,
            "stream_timeout_s": d.stream_s,
            "max_stream_bytes": self.max_stream_bytes,
            "max_time_s": self.max_time_s,
            "deterministic_replies": self.replies_deterministic(embedded),
            "tls": self.tls.describe(),
        }

    def ends_at(self, started: float | None = None) -> float:
        """The run's end as Unix time, ``max_time_s`` after ``started`` (now by default)."""
        return (time.time() if started is None else started) + self.max_time_s
