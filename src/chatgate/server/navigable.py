"""The Navigable AI API (``/api/v1/chat``): read a session's last 20 messages, send a message.

``identifier`` of a read comes from the query string, else a JSON or urlencoded body (the query wins).
A send takes a JSON or urlencoded body (form values coerced by the schema: ``new=true`` -> true,
repeated keys -> arrays) and its identifier from the body, else the query, else a new one is made.
Check order after the API key (``app.py``): media type (415), size (413), parse and schema (400).
A send's answer is paced like a non-streamed Nara reply (TTFT + n x ITL, in a generation slot).
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import JSONResponse

from chatgate.server.http import ApiError, media_type, read_body
from chatgate.server.replies import navigable_reply
from chatgate.server.state import Context, Reply, generated_reply
from chatgate.server.validation import OperationSchemas, RequestInvalid, parse_json
from chatgate.specs import load_spec

__all__ = ["read", "send"]

_spec = load_spec("navigable")
READ = OperationSchemas(_spec, "/api/v1/chat", "get")
SEND = OperationSchemas(_spec, "/api/v1/chat", "post")
_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"
_IDENTIFIER_REASON = 'Property "identifier" must be a valid string.'  # the vendor's wording


def _identifier(value: Any, *, required: bool) -> str | None:
    """``value`` checked with the spec's ``identifier`` parameter schema (400 in the vendor's words)."""
    if value is None and not required:
        return None
    _, validator = READ.param_schema("identifier")
    if value is None or not validator.is_valid(value):
        raise ApiError(400, _IDENTIFIER_REASON, field="identifier")
    assert isinstance(value, str)
    return value


def _names(value: Any) -> list[str] | None:
    """An array field of the body; a form may send an array of one as a single value."""
    return [value] if isinstance(value, str) else value


def _query_identifier(ctx: Context) -> str | None:
    values = [v for k, v in ctx.request.query_params.multi_items() if k == "identifier"]
    return values[0] if values else None


async def _body_identifier(ctx: Context) -> Any:
    """The identifier sent in a GET's body (JSON or urlencoded), or None."""
    media = media_type(ctx.request)
    if media not in (_JSON, _FORM):
        return None
    raw = await read_body(ctx.request, ctx.state.config.body_limit)
    if media == _JSON:
        if not raw.strip():
            return None
        doc = parse_json(raw)
        if not isinstance(doc, dict):
            raise RequestInvalid(None, "request body must be a JSON object")
        return doc.get("identifier")
    return SEND.form(_FORM, raw).get("identifier")


async def read(ctx: Context) -> Reply:
    """``GET /api/v1/chat`` (getChatSessionMessages): the latest session's last 20, oldest first."""
    from_query = _query_identifier(ctx)
    value = from_query if from_query is not None else await _body_identifier(ctx)
    identifier = _identifier(value, required=True)
    assert identifier is not None
    rows = ctx.state.storage.navigable_latest(identifier)
    return JSONResponse({"success": True, "message": "SUCCESS", "data": [m.to_json() for m in rows]})


async def send(ctx: Context) -> Reply:
    """``POST /api/v1/chat`` (sendChatMessage): store the message and the assistant's reply."""
    config, request = ctx.state.config, ctx.request
    media = media_type(request)
    if media not in (_JSON, _FORM):
        raise ApiError(415, "Content-Type must be application/json or application/x-www-form-urlencoded.")
    raw = await read_body(request, config.body_limit)
    body = SEND.body(media, parse_json(raw) if media == _JSON else SEND.form(media, raw))
    from_query = _identifier(_query_identifier(ctx), required=False)  # checked even when the body wins
    identifier = _identifier(body.get("identifier"), required=False) or from_query
    if identifier is None:
        identifier = f"anon-{uuid.uuid4().hex}"
    message: str = body["message"]
    reply = navigable_reply(
        message,
        identifier,
        config.reply_tokens,
        actions=_names(body.get("configuredActions")),
        functions=_names(body.get("configuredFunctions")),
        function_call_id=body.get("functionCallId"),
        sample=ctx.state.sampler,
    )
    ctx.state.storage.navigable_exchange(
        identifier, bool(body.get("new")), message, reply.content, reply.action
    )
    data = {
        "assistantMessage": reply.content,
        "action": reply.action,
        "identifier": identifier,
        "toolCalls": reply.tool_calls,
    }
    return generated_reply(ctx, {"success": True, "message": "SUCCESS", "data": data}, config.reply_tokens)
