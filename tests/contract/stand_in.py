"""A small, faithful stand-in for the reference server (both APIs), used by the gate's own tests.

The gate's tests prefer the real reference server (``chatgate.server``); while it is not importable they
use this ASGI app instead, so the gate can be proven on a server that keeps every promise of the specs.
It validates requests with the specs' own schemas (``chatgate.specs.schema_validator``), keeps messages
in memory, replies deterministically ("You said: <message>") and streams the reply as named SSE events.
It honours the same dev keys and the ``CHATGATE_NARA_KEYS`` / ``CHATGATE_NAVIGABLE_KEYS`` overrides.
"""

from __future__ import annotations

import json
import math
import os
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from chatgate.specs import load_spec, schema_validator

MAX_BODY = 65536
_EPOCH = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)


@dataclass
class Message:
    id: int
    owner: str  # nara: str(user_id); navigable: identifier
    conversation: str
    role: str
    content: str
    created: datetime
    session: int = 0
    new: bool = False


class Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: dict[str, list[Message]] = {"nara": [], "navigable": []}
        self.next_id = 1
        self.clock = _EPOCH
        self.sessions: dict[str, int] = {}

    def add(
        self, api: str, owner: str, conversation: str, role: str, content: str, new: bool = False
    ) -> Message:
        with self.lock:
            # Pairs share a timestamp now and then, so ties on created_at really happen.
            if self.next_id % 3:
                self.clock += timedelta(microseconds=1000)
            if api == "navigable" and (new or owner not in self.sessions):
                self.sessions[owner] = self.sessions.get(owner, 0) + 1
                new = True
            msg = Message(
                self.next_id, owner, conversation, role, content, self.clock, self.sessions.get(owner, 0), new
            )
            self.next_id += 1
            self.messages[api].append(msg)
            return msg


def _keys() -> tuple[dict[str, int], set[str]]:
    nara = {"nara-dev-key-1001": 1001, "nara-dev-key-1002": 1002}
    env = os.environ.get("CHATGATE_NARA_KEYS")
    if env:
        nara = {k: int(v) for k, v in (item.split("=", 1) for item in env.split(",") if item)}
    navigable = {"navigable-dev-key"}
    env = os.environ.get("CHATGATE_NAVIGABLE_KEYS")
    if env:
        navigable = {k for k in env.split(",") if k}
    return nara, navigable


def _ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _reply(message: str) -> str:
    return f"You said: {message}"


def _pieces(text: str) -> list[str]:
    out, cur = [], ""
    for ch in text:
        cur += ch
        if ch == " ":
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    return out


def create_app(seed_messages: int = 0) -> Starlette:
    nara_spec, nav_spec = load_spec("nara"), load_spec("navigable")
    chat_request = schema_validator(nara_spec, "#/components/schemas/ChatRequest")
    send_request = schema_validator(nav_spec, "#/components/schemas/SendMessageRequest")
    nara_keys, nav_keys = _keys()
    store = Store()
    for user in sorted(set(nara_keys.values())):
        for i in range(seed_messages // 2):
            store.add("nara", str(user), "seed", "user", f"seed message {i}")
            store.add("nara", str(user), "seed", "assistant", _reply(f"seed message {i}"))
    for i in range(seed_messages // 2):
        store.add("navigable", "seed-user", "", "user", f"seed message {i}")
        store.add("navigable", "seed-user", "", "assistant", _reply(f"seed message {i}"))

    def nara_error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
        err: dict[str, Any] = {"code": code, "message": message}
        if field:
            err["details"] = {"field": field}
        headers = {"Retry-After": "1"} if status == 429 else None
        return JSONResponse({"error": err}, status_code=status, headers=headers)

    def nav_error(status: int, message: str, errors: dict[str, str] | None = None) -> JSONResponse:
        body: dict[str, Any] = {"success": False, "message": message}
        if errors is not None:
            body["errors"] = errors
        return JSONResponse(body, status_code=status)

    def nara_user(request: Request) -> int | None:
        auth = request.headers.get("authorization", "")
        scheme, _, key = auth.partition(" ")
        if scheme.lower() != "bearer":
            return None
        return nara_keys.get(key.strip())

    def nara_message(m: Message) -> dict[str, Any]:
        return {
            "id": m.id,
            "conversation_id": m.conversation,
            "user_id": int(m.owner),
            "role": m.role,
            "content": m.content,
            "created_at": _ts(m.created),
        }

    async def nara_send(request: Request) -> Response:
        user = nara_user(request)
        if user is None:
            return nara_error(401, "unauthorized", "Missing or invalid API key.")
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return nara_error(415, "unsupported_media_type", "Content-Type must be application/json.")
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return nara_error(413, "payload_too_large", f"Request body exceeds {MAX_BODY} bytes.")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return nara_error(400, "invalid_request", "Body is not valid JSON.")
        errors = sorted(chat_request.iter_errors(body), key=lambda e: list(e.path))
        if errors:
            field = str(errors[0].path[0]) if errors[0].path else None
            return nara_error(400, "invalid_request", errors[0].message[:200], field)
        conversation = body["conversation_id"]
        store.add("nara", str(user), conversation, "user", body["message"])
        content = _reply(body["message"])
        if not body.get("stream", False):
            reply = store.add("nara", str(user), conversation, "assistant", content)
            return JSONResponse(nara_message(reply))
        user_msg_id = store.next_id - 1

        async def events() -> AsyncIterator[bytes]:
            reply_id = store.next_id
            start = {
                "type": "message_start",
                "message_id": reply_id,
                "user_message_id": user_msg_id,
                "conversation_id": conversation,
            }
            # Reserve the id by storing the reply first; it is listed once the stream has ended.
            reply = store.add("nara", str(user), conversation, "assistant", content)
            start["message_id"] = reply.id
            yield f"event: message_start\ndata: {json.dumps(start)}\n\n".encode()
            yield b": ping\n\n"
            for i, piece in enumerate(_pieces(content)):
                data = json.dumps({"type": "delta", "index": i, "content": piece})
                yield f"event: delta\ndata: {data}\n\n".encode()
            end = {"type": "message_end", "message_id": reply.id, "finish_reason": "stop"}
            yield f"event: message_end\ndata: {json.dumps(end)}\n\n".encode()

        return StreamingResponse(events(), media_type="text/event-stream")

    def int_param(request: Request, name: str, lo: int, hi: int, default: int | None) -> int | str:
        values = request.query_params.getlist(name)
        if not values:
            if default is None:
                return f"'{name}' is required"
            return default
        try:
            value = int(values[0])
        except ValueError:
            return f"'{name}' must be an integer"
        if not lo <= value <= hi or not values[0].strip().lstrip("-").isdigit():
            return f"'{name}' must be between {lo} and {hi}"
        return value

    async def nara_list(request: Request) -> Response:
        user = nara_user(request)
        if user is None:
            return nara_error(401, "unauthorized", "Missing or invalid API key.")
        params: dict[str, int] = {}
        for name, hi, default in (
            ("user_id", 9007199254740991, None),
            ("rows_per_page", 100, 20),
            ("current_page", 2147483647, 1),
        ):
            value = int_param(request, name, 1, hi, default)
            if isinstance(value, str):
                return nara_error(400, "invalid_request", value, name)
            params[name] = value
        sort_by = request.query_params.get("sort_by", "created_at:desc")
        if sort_by not in ("created_at:desc", "created_at:asc", "id:desc", "id:asc"):
            return nara_error(400, "invalid_request", "'sort_by' is not one of the allowed values", "sort_by")
        if params["user_id"] != user:
            return nara_error(
                403, "forbidden", f"This key may not read messages of user {params['user_id']}."
            )
        field, direction = sort_by.split(":")
        rows = [m for m in store.messages["nara"] if m.owner == str(user)]
        if field == "id":
            rows.sort(key=lambda m: m.id)
        else:
            rows.sort(key=lambda m: (m.created, m.id))
        if direction == "desc":
            rows.reverse()
        size, page = params["rows_per_page"], params["current_page"]
        total = len(rows)
        chunk = rows[(page - 1) * size : page * size] if page <= math.ceil(total / size) else []
        return JSONResponse(
            {
                "data": [nara_message(m) for m in chunk],
                "pagination": {
                    "current_page": page,
                    "rows_per_page": size,
                    "total_rows": total,
                    "total_pages": math.ceil(total / size),
                },
            }
        )

    def nav_authorised(request: Request) -> bool:
        return request.headers.get("x-api-key", "") in nav_keys

    async def nav_body(request: Request) -> tuple[dict[str, Any] | None, Response | None]:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return None, nav_error(413, "PAYLOAD_TOO_LARGE")
        if not raw:
            return {}, None
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "application/json":
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                return None, nav_error(400, "BAD_REQUEST", {"body": "Body is not valid JSON."})
            if not isinstance(body, dict):
                return None, nav_error(400, "BAD_REQUEST", {"body": "Body must be a JSON object."})
            return body, None
        if ctype == "application/x-www-form-urlencoded":
            try:
                form = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
            except UnicodeDecodeError:
                return None, nav_error(400, "BAD_REQUEST", {"body": "Body is not valid UTF-8."})
            out: dict[str, Any] = {}
            for key, values in form.items():
                if key in ("configuredActions", "configuredFunctions"):
                    out[key] = values
                elif key in ("new", "markdown"):
                    out[key] = {"true": True, "false": False}.get(values[-1], values[-1])
                else:
                    out[key] = values[-1]
            return out, None
        return None, nav_error(415, "UNSUPPORTED_MEDIA_TYPE")

    def nav_message(m: Message) -> dict[str, Any]:
        return {
            "sender": "USER" if m.role == "user" else "ASSISTANT",
            "content": m.content,
            "new": m.new,
            "createdAt": _ts(m.created),
            "action": None,
        }

    async def nav_read(request: Request) -> Response:
        if not nav_authorised(request):
            return nav_error(401, "UNAUTHORIZED")
        identifier: Any = request.query_params.get("identifier")
        if identifier is None:
            body, problem = await nav_body(request)
            if problem is not None:
                return problem
            identifier = (body or {}).get("identifier")
        if not isinstance(identifier, str) or not 1 <= len(identifier) <= 256:
            return nav_error(
                400, "BAD_REQUEST", {"identifier": 'Property "identifier" must be a valid string.'}
            )
        session = store.sessions.get(identifier)
        rows = [m for m in store.messages["navigable"] if m.owner == identifier and m.session == session]
        return JSONResponse(
            {"success": True, "message": "SUCCESS", "data": [nav_message(m) for m in rows[-20:]]}
        )

    async def nav_send(request: Request) -> Response:
        if not nav_authorised(request):
            return nav_error(401, "UNAUTHORIZED")
        body, problem = await nav_body(request)
        if problem is not None:
            return problem
        body = body or {}
        errors = {
            str(e.path[0]) if e.path else "body": e.message[:200] for e in send_request.iter_errors(body)
        }
        query_identifier = request.query_params.get("identifier")
        if query_identifier is not None and not 1 <= len(query_identifier) <= 256:
            errors["identifier"] = 'Property "identifier" must be a valid string.'
        if errors:
            return nav_error(400, "BAD_REQUEST", errors)
        identifier = body.get("identifier") or query_identifier or f"anon-{uuid.uuid4().hex[:12]}"
        store.add("navigable", identifier, "", "user", body["message"], bool(body.get("new")))
        reply = store.add("navigable", identifier, "", "assistant", _reply(body["message"]))
        data = {"assistantMessage": reply.content, "action": None, "identifier": identifier, "toolCalls": []}
        return JSONResponse({"success": True, "message": "SUCCESS", "data": data})

    async def nav_chat(request: Request) -> Response:
        return await (nav_read(request) if request.method in ("GET", "HEAD") else nav_send(request))

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/api/v1.0/chat", nara_send, methods=["POST"]),
            Route("/api/v1.0/chat/messages", nara_list, methods=["GET"]),
            Route("/api/v1/chat", nav_chat, methods=["GET", "POST"]),
        ]
    )
