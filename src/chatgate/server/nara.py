"""The Nara API (``/api/v1.0``): send a chat message (JSON or streamed), list a user's messages.

Order of checks on every operation (``app.py`` does the first three): route and method (404, 405),
injected faults (500, 429), API key (401); then, here, the body's media type (415), its size (413),
its JSON and schema (400), and the ownership of ``user_id`` (403).

A send stores the user's message and the whole reply in one transaction before answering, so the
reply is listed as soon as its ``message_start`` is sent (and always after ``message_end``); what is
stored is exactly what is delivered, sampled (``--sampled``) or not. Both forms are paced
(``generation``): a stream's deltas by TTFT and ITL, a JSON reply after TTFT + n x ITL.
"""

from __future__ import annotations

import math

from starlette.responses import JSONResponse

from chatgate.server.http import ApiError, media_type, read_body
from chatgate.server.replies import reply_tokens
from chatgate.server.state import Context, Reply, generated_reply
from chatgate.server.streaming import EventStream, StreamPlan
from chatgate.server.validation import OperationSchemas, parse_json
from chatgate.specs import load_spec

__all__ = ["list_messages", "send"]

_spec = load_spec("nara")
SEND = OperationSchemas(_spec, "/api/v1.0/chat", "post")
LIST = OperationSchemas(_spec, "/api/v1.0/chat/messages", "get")
_JSON = "application/json"


async def send(ctx: Context) -> Reply:
    """``POST /api/v1.0/chat`` (sendChatMessage)."""
    config, request = ctx.state.config, ctx.request
    if media_type(request) != _JSON:
        raise ApiError(415, "Content-Type must be application/json.")
    raw = await read_body(request, config.body_limit)
    body = SEND.body(_JSON, parse_json(raw))
    assert ctx.user_id is not None
    message: str = body["message"]
    conversation: str = body["conversation_id"]
    tokens = reply_tokens(
        message, conversation, body.get("temperature"), config.reply_tokens, sample=ctx.state.sampler
    )
    user_message, reply = ctx.state.storage.nara_exchange(ctx.user_id, conversation, message, "".join(tokens))
    if not body.get("stream", False):
        return generated_reply(ctx, reply.to_json(), len(tokens))
    plan = StreamPlan(
        message_id=reply.id,
        user_message_id=user_message.id,
        conversation_id=conversation,
        tokens=tokens,
        start=ctx.start,
        ttft_s=config.ttft_ms / 1000,
        itl_s=config.itl_ms / 1000,
        fault=ctx.state.faults.stream_fault(ctx.number),
        ping_s=config.ping_interval_ms / 1000 if config.ping_interval_ms > 0 else None,
    )
    return EventStream(plan, ctx.state.streams, ctx.state.slots)


async def list_messages(ctx: Context) -> Reply:
    """``GET /api/v1.0/chat/messages`` (listChatMessages)."""
    query = LIST.query(ctx.request.query_params.multi_items())
    user_id: int = query["user_id"]
    if user_id != ctx.user_id:
        raise ApiError(403, f"This key may not read messages of user {user_id}.", field="user_id")
    rows: int = query["rows_per_page"]
    page: int = query["current_page"]
    data, total = ctx.state.storage.nara_page(user_id, rows, page, query["sort_by"])
    return JSONResponse(
        {
            "data": [m.to_json() for m in data],
            "pagination": {
                "current_page": page,
                "rows_per_page": rows,
                "total_rows": total,
                "total_pages": math.ceil(total / rows),
            },
        }
    )
