"""Deterministic fault injection: which API request gets which fault.

Request ``n`` (1-based, per server, over every API operation) is hit by a fault of rate ``p`` iff
``floor(n*p) > floor((n-1)*p)``: exactly a share ``p`` of requests, evenly spread (every 20th for 0.05).
The same ``n`` decides every fault, so two faults with the same rate hit the same requests; then the
first in this order wins: 500, 429 (before the request is handled); stream cut, malformed event, missing
terminal, stall, error event (for streamed replies only).
"""

from __future__ import annotations

import enum
import itertools
import math

from chatgate.server.config import ServerConfig

__all__ = ["FaultPlan", "StreamFault", "hits"]


class StreamFault(enum.Enum):
    """What goes wrong in a streamed reply."""

    CUT = "stream_cut"
    MALFORMED = "malformed_event"
    MISSING_TERMINAL = "missing_terminal"
    STALL = "stall"
    ERROR = "stream_error"


def hits(n: int, rate: float) -> bool:
    """Whether request ``n`` (1-based) is hit by a fault of share ``rate``."""
    if rate <= 0.0:
        return False
    return math.floor(n * rate) > math.floor((n - 1) * rate)


class FaultPlan:
    """Numbers API requests and says which faults each one gets."""

    def __init__(self, config: ServerConfig) -> None:
        self._config = config
        self._counter = itertools.count(1)

    def next_request(self) -> int:
        """The number of the request that just arrived."""
        return next(self._counter)

    def status_fault(self, n: int) -> int | None:
        """500 or 429 when request ``n`` must fail before it is handled, else None."""
        if hits(n, self._config.fault_500_rate):
            return 500
        if hits(n, self._config.fault_429_rate):
            return 429
        return None

    def stream_fault(self, n: int) -> StreamFault | None:
        """The fault of request ``n``'s streamed reply, if any."""
        c = self._config
        if hits(n, c.fault_stream_cut_rate):
            return StreamFault.CUT
        if hits(n, c.fault_malformed_event_rate):
            return StreamFault.MALFORMED
        if hits(n, c.fault_missing_terminal_rate):
            return StreamFault.MISSING_TERMINAL
        if hits(n, c.fault_stall_rate):
            return StreamFault.STALL
        if hits(n, c.fault_stream_error_rate):
            return StreamFault.ERROR
        return None
