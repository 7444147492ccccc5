"""The reference server as one Starlette app: both APIs on one port, plus the private endpoints.

    >>> app = create_app(ServerConfig(db=Path("chat.sqlite3")))   # uvicorn.run(app) serves it

Every API request goes through ``ServerState``-wide steps before its handler, in this order:
404 (unknown path, in the envelope of the API the path belongs to), 405 with ``Allow`` (a method the
spec does not list for the path), the request's number (fault injection), added latency, injected
500/429, then the API key (401). Handlers then check media type (415), size (413), body and parameters
(400) and ownership (403). Nothing escapes as an unenveloped 500: an unexpected exception is logged
and answered as a 500 in the API's envelope.

Private endpoints (in neither spec): ``GET /healthz``, ``GET /_chatgate/stats``, ``/docs``,
``/docs/nara``, ``/docs/navigable`` (try-it-out against this server), ``/docs/assets/*``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette import routing
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from chatgate.apis import ApiName
from chatgate.server import nara, navigable
from chatgate.server.config import ServerConfig, api_of_path
from chatgate.server.docs_pages import docs_routes
from chatgate.server.http import ApiError, error_response
from chatgate.server.state import Context, Reply, Route, ServerState
from chatgate.server.storage import Storage
from chatgate.server.validation import RequestInvalid

__all__ = ["ROUTES", "SEED_IDENTIFIERS", "create_app"]

log = logging.getLogger("chatgate.server")

SEED_IDENTIFIERS = [f"seed-{i}" for i in range(10)]

# The handler table: path -> method -> the spec operation it implements and its handler.
ROUTES: dict[str, dict[str, Route]] = {
    "/api/v1.0/chat": {"POST": Route("nara", "sendChatMessage", nara.send)},
    "/api/v1.0/chat/messages": {"GET": Route("nara", "listChatMessages", nara.list_messages)},
    "/api/v1/chat": {
        "GET": Route("navigable", "getChatSessionMessages", navigable.read),
        "POST": Route("navigable", "sendChatMessage", navigable.send),
    },
}


def _authenticate(state: ServerState, api: ApiName, request: Request) -> int | None:
    """The Nara key's user (None for Navigable); a 401 when the key is missing or unknown."""
    if api == "nara":
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        user = state.config.nara_keys.get(key.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise ApiError(401, "Missing or invalid API key.")
        return user
    if request.headers.get("x-api-key", "") not in state.config.navigable_keys:
        raise ApiError(401, "Missing or invalid API key.")
    return None


async def _handle(state: ServerState, op: Route, request: Request) -> Reply:
    number = state.faults.next_request()
    start = time.perf_counter()
    try:
        if state.config.added_latency_ms > 0:
            start += state.config.added_latency_ms / 1000
            await asyncio.sleep(max(0.0, start - time.perf_counter()))
        fault = state.faults.status_fault(number)
        if fault == 500:
            state.stats.faults["500"] += 1
            raise ApiError(500, "Injected fault: the server failed to handle the request.")
        if fault == 429:
            state.stats.faults["429"] += 1
            seconds = state.config.retry_after
            raise ApiError(
                429,
                f"Too many requests; retry after {seconds} second{'s' if seconds != 1 else ''}.",
                headers={"Retry-After": str(seconds)},
            )
        user_id = _authenticate(state, op.api, request)
        reply = await op.handler(Context(state, request, number, start, user_id))
    except RequestInvalid as exc:
        reply = error_response(op.api, ApiError(400, exc.reason, field=exc.field))
    except ApiError as exc:
        reply = error_response(op.api, exc)
    except ClientDisconnect:
        reply = error_response(op.api, ApiError(400, "The client went away while sending the body."))
    except Exception:
        log.exception("unexpected error in %s %s", op.api, op.operation_id)
        reply = error_response(op.api, ApiError(500, "The server failed to handle the request."))
    state.stats.record(op.api, op.operation_id, reply.status_code)
    return reply


class _Endpoint:
    """The ASGI endpoint of one API path: dispatches on method, 405 with ``Allow`` otherwise."""

    def __init__(self, state: ServerState, path: str, methods: dict[str, Route]) -> None:
        self.state = state
        self.api = api_of_path(path)
        self.methods = methods
        self.allow = ", ".join(methods)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        op = self.methods.get(request.method)
        reply: Reply
        if op is None:
            self.state.stats.unmatched["405"] += 1
            err = ApiError(405, f"Method {request.method} is not allowed here; use {self.allow}.")
            err.headers["Allow"] = self.allow
            reply = error_response(self.api, err)
        else:
            reply = await _handle(self.state, op, request)
        await reply(scope, receive, send)


def _not_found(state: ServerState) -> Any:
    """404 in the envelope of the API the path belongs to; other HTTP errors in Nara's."""

    async def handler(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
        if status == 404:
            state.stats.unmatched["404"] += 1
            return error_response(
                api_of_path(request.url.path), ApiError(404, f"No such path: {request.url.path}")
            )
        message = "Method not allowed." if status == 405 else "The request could not be handled."
        return error_response(None, ApiError(status, message, headers=headers))

    return handler


def _private_routes(state: ServerState) -> list[routing.BaseRoute]:
    """``/healthz`` and ``/_chatgate/stats`` (in neither spec)."""

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    async def stats(request: Request) -> Response:
        return JSONResponse(state.stats.as_dict(state.streams.counters.as_dict(), state.slots.as_dict()))

    return [
        routing.Route("/healthz", healthz, methods=["GET"]),
        routing.Route("/_chatgate/stats", stats, methods=["GET"]),
    ]


def create_app(config: ServerConfig, *, db: Path | None = None) -> Starlette:
    """Both APIs and the private endpoints on one app, storing in ``db`` (default ``config.db``).

    The database is opened (and seeded, ``config.seed_messages``) here; it is closed at shutdown.
    ``app.state.chatgate`` is the ``ServerState`` (``chatgate serve`` uses it to end streams on a signal).
    """
    path = db or config.db
    if path is None:
        raise ValueError("create_app needs a database path (config.db or db=)")
    storage = Storage(path)
    storage.seed(sorted(set(config.nara_keys.values())), SEED_IDENTIFIERS, config.seed_messages)
    state = ServerState(config, storage)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        state.streams.shutdown()
        storage.close()

    routes: list[routing.BaseRoute] = [
        routing.Route(p, endpoint=_Endpoint(state, p, methods)) for p, methods in ROUTES.items()
    ]
    routes += _private_routes(state) + docs_routes(config)
    app = Starlette(routes=routes, exception_handlers={HTTPException: _not_found(state)}, lifespan=lifespan)
    app.router.redirect_slashes = False
    app.state.chatgate = state
    return app
