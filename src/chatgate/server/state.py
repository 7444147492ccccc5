"""What one running server holds (config, storage, faults, streams, counts) and what a handler sees."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chatgate.apis import ApiName
from chatgate.server.config import ServerConfig
from chatgate.server.faults import FaultPlan
from chatgate.server.generation import PacedReply, Slots
from chatgate.server.storage import Storage
from chatgate.server.streaming import EventStream, StreamRegistry

__all__ = ["Context", "Handler", "Operation", "Reply", "ServerState", "Stats", "generated_reply"]

Reply = Response | EventStream | PacedReply


class Stats:
    """Requests per API, operationId and status; statuses overall; answers outside the operations."""

    def __init__(self) -> None:
        self.by_operation: dict[str, dict[str, Counter[str]]] = {"nara": {}, "navigable": {}}
        self.by_status: Counter[str] = Counter()
        self.unmatched: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()

    def record(self, api: ApiName, operation_id: str, status: int) -> None:
        self.by_operation.setdefault(api, {}).setdefault(operation_id, Counter())[str(status)] += 1
        self.by_status[str(status)] += 1

    def as_dict(self, streams: dict[str, int], generation: dict[str, int | None]) -> dict[str, Any]:
        return {
            "requests": {
                api: {op: dict(c) for op, c in ops.items()} for api, ops in self.by_operation.items()
            },
            "statuses": dict(self.by_status),
            "total": sum(self.by_status.values()),
            "unmatched": dict(self.unmatched),
            "faults": dict(self.faults),
            "streams": streams,
            "generation": generation,
        }


class ServerState:
    """Everything one server instance shares between requests."""

    def __init__(self, config: ServerConfig, storage: Storage) -> None:
        self.config = config
        self.storage = storage
        self.faults = FaultPlan(config)
        self.streams = StreamRegistry()
        self.slots = Slots(config.max_concurrent_streams)
        self.sampler = random.Random() if config.sampled else None  # fresh entropy per server
        self.stats = Stats()


@dataclass(slots=True)
class Context:
    """One API request as a handler sees it: the caller is authenticated and no fault applies."""

    state: ServerState
    request: Request
    number: int  # the request's number (decides stream faults)
    start: float  # perf_counter() the stream schedule is measured from
    user_id: int | None  # the Nara key's user


Handler = Callable[[Context], Awaitable[Reply]]


def generated_reply(ctx: Context, body: Any, tokens: int) -> Reply:
    """A non-streamed reply of ``tokens`` tokens: after TTFT + tokens x ITL, in a generation slot
    (``generation``); at once when the server is neither paced nor capped."""
    config = ctx.state.config
    if not (config.ttft_ms or config.itl_ms or config.max_concurrent_streams):
        return JSONResponse(body)
    duration_s = (config.ttft_ms + tokens * config.itl_ms) / 1000
    return PacedReply(body, start=ctx.start, duration_s=duration_s, slots=ctx.state.slots)


@dataclass(frozen=True, slots=True)
class Operation:
    """An operation of a spec and the handler implementing it."""

    api: ApiName
    operation_id: str
    handler: Handler
