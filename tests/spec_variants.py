"""Spec variants: an evolved version of one API's spec, and the proxy that makes the reference server
speak it (issue 20: a new version of an API's spec needs no change to chatgate).

Each :class:`Variant` is an edit of today's spec (on the loaded document; :func:`write_specs` writes both
specs, one of them evolved, into a folder for ``--specs``) and a :class:`~tests.variant_proxy.Rewrite`
that serves the reference server's traffic as that spec says (``conforming``), or with the changed part
broken (``mutant``); ``check`` and ``finding`` say what the gate must find on the mutant.

The reference server keeps today's specs: where a variant needs behaviour it does not have, the proxy
computes it from what the server answers. A new sort key is sorted and paged here from every row the
server lists, not by a server option: the server validates ``sort_by`` against today's spec, so an
option would have had to loosen its own validation, and the server would no longer implement the
specs it ships with. A new operation is served from the server's read of the same session.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from chatgate.apis import DEV_KEYS
from chatgate.server.config import api_of_path
from tests.contract.faulty_server import NARA_LIST, NARA_SEND, NAV, Call, Req, Resp
from tests.variant_proxy import Event, Rewrite, with_path

__all__ = ["VARIANTS", "Variant", "write_specs"]

ROOT = Path(__file__).resolve().parents[1]
Spec = dict[str, Any]
NARA_STREAM = ("paths", "/api/v1.0/chat", "post", "responses", "200", "content", "text/event-stream")
NARA_PAGE_LIMIT = 50
SESSIONS = "/api/v1/chat/sessions"
SESSION_EXAMPLE = "12345"


def at(spec: Spec, *path: str) -> Any:
    node: Any = spec
    for key in path:
        node = node[key]
    return node


def reword(node: dict[str, Any], key: str, old: str, new: str) -> None:
    """Replace ``old`` in the prose ``node[key]`` (which must hold it: a spec that moved on fails here)."""
    assert old in node[key], f"{old!r} is no longer in {node[key]!r}"
    node[key] = node[key].replace(old, new)


def rename(node: Any, old: str, new: str) -> Any:
    """``node`` with the word ``old`` renamed ``new`` in every key and string (whole words only)."""
    word = re.compile(rf"\b{re.escape(old)}\b")
    if isinstance(node, dict):
        return {word.sub(new, k): rename(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [rename(v, old, new) for v in node]
    return word.sub(new, node) if isinstance(node, str) else node


def _nara_list(req: Req) -> bool:
    return req.method == "GET" and req.path == NARA_LIST


# ----- an optional event added to the stream -----------------------------------------------------------


def usage_event(spec: Spec) -> Spec:
    schemas = spec["components"]["schemas"]
    envelope = schemas["ChatStreamEvent"]["properties"]
    envelope["event"]["enum"] = ["message_start", "delta", "usage", "message_end", "error"]
    envelope["data"]["contentSchema"]["oneOf"].insert(2, {"$ref": "#/components/schemas/UsageData"})
    count = {"type": "integer", "minimum": 0}
    schemas["UsageData"] = {
        "type": "object", "additionalProperties": False,
        "required": ["type", "input_tokens", "output_tokens"],
        "description": "What the reply cost, sent at most once, after the last delta.",
        "properties": {
            "type": {"const": "usage", "description": "Always `usage`."},
            "input_tokens": {**count, "description": "Tokens of the request's message."},
            "output_tokens": {**count, "description": "Tokens of the reply."},
        },
    }  # fmt: skip
    media = at(spec, *NARA_STREAM)
    media["x-chatgate-stream"]["grammar"] = "message_start delta* usage? (message_end | error)"
    media["examples"]["usage"] = {
        "summary": "Token counts, after the last delta",
        "value": {"event": "usage", "data": '{"type":"usage","input_tokens":1,"output_tokens":5}'},
    }
    op = at(spec, "paths", "/api/v1.0/chat", "post")
    then = "zero or more `delta`, then"
    reword(op, "description", then, f"{then} at most one `usage`, then")
    return spec


class UsageEvent(Rewrite):
    """A ``usage`` event before ``message_end``; the mutant sends it before the deltas."""

    def events(self, req: Req, stream: dict[str, Any], event: Event) -> list[Event]:
        name, _ = event
        if "input" not in stream:
            stream["input"] = len(str((req.json() or {}).get("message", "")).split())
        stream["deltas"] = stream.get("deltas", 0) + (name == "delta")
        tokens = {"input_tokens": stream["input"], "output_tokens": stream["deltas"]}
        usage = {"type": "usage", **tokens}
        if name == ("message_start" if self.mutant else "message_end"):
            return [event, ("usage", usage)] if self.mutant else [("usage", usage), event]
        return [event]


# ----- an event renamed --------------------------------------------------------------------------------


class EventRenamed(Rewrite):
    """``delta`` is ``content_delta`` (its name and its data's type); the mutant still sends ``delta``."""

    def events(self, req: Req, stream: dict[str, Any], event: Event) -> list[Event]:
        name, data = event
        if name == "delta" and not self.mutant:
            return [("content_delta", {**data, "type": "content_delta"})]
        return [event]


# ----- the content field renamed -----------------------------------------------------------------------


def content_field_renamed(spec: Spec) -> Spec:
    delta = spec["components"]["schemas"]["DeltaData"]
    delta["properties"] = {("text" if k == "content" else k): v for k, v in delta["properties"].items()}
    delta["required"] = ["type", "index", "text"]
    media = at(spec, *NARA_STREAM)
    media["x-chatgate-stream"]["content"]["field"] = "text"
    media["examples"]["delta"]["value"]["data"] = '{"type":"delta","index":0,"text":"Hello"}'
    return spec


class ContentFieldRenamed(Rewrite):
    """A delta's ``content`` is its ``text``; the mutant still sends ``content``."""

    def events(self, req: Req, stream: dict[str, Any], event: Event) -> list[Event]:
        name, data = event
        if name == "delta" and not self.mutant:
            return [(name, {("text" if k == "content" else k): v for k, v in data.items()})]
        return [event]


# ----- a new sort key ----------------------------------------------------------------------------------


def new_sort_key(spec: Spec) -> Spec:
    op = at(spec, "paths", NARA_LIST, "get")
    sort_by = next(p for p in op["parameters"] if p["name"] == "sort_by")
    sort_by["schema"]["enum"] += ["conversation_id:desc", "conversation_id:asc"]
    reword(sort_by, "x-chatgate-assumption", "Sortable fields are `created_at` and `id`",
           "Sortable fields are `created_at`, `id` and `conversation_id` (ties broken by `id`)")  # fmt: skip
    op["x-chatgate-pagination"]["sort"]["fields"]["conversation_id"] = "/conversation_id"
    return spec


async def _every_row(req: Req, call: Call) -> list[dict[str, Any]]:
    """Every row of the listing, read in id order (appends only add at its end), once each."""
    rows: dict[int, dict[str, Any]] = {}
    page = 1
    while True:
        resp = await call(req.with_query(sort_by="id:asc", rows_per_page=100, current_page=page))
        data = (resp.json() or {}).get("data") if resp.status == 200 else None
        if not data:
            return list(rows.values())
        rows.update((row["id"], row) for row in data)
        page += 1


class NewSortKey(Rewrite):
    """``sort_by=conversation_id:asc|desc``, sorted and paged here from every row the server lists (it
    does not sort by it); the mutant answers such a sort in id order."""

    async def request(self, req: Req, call: Call) -> Req | Resp:
        field, _, direction = req.query.get("sort_by", [""])[0].partition(":")
        if not _nara_list(req) or field != "conversation_id" or direction not in ("asc", "desc"):
            return req
        if self.mutant:
            return req.with_query(sort_by=f"id:{direction}")
        probe = await call(req.with_query(sort_by=None))  # the rest of the request as the server judges it
        doc = probe.json()
        if probe.status != 200 or not isinstance(doc, dict):
            return probe
        rows = sorted(await _every_row(req, call), key=lambda r: (r["conversation_id"], r["id"]),
                      reverse=direction == "desc")  # fmt: skip
        meta = doc["pagination"]
        size, first = meta["rows_per_page"], (meta["current_page"] - 1) * meta["rows_per_page"]
        doc["data"] = rows[first : first + size]
        meta["total_rows"], meta["total_pages"] = len(rows), -(-len(rows) // size)
        return probe.with_json(doc)


# ----- a page-size limit changed -----------------------------------------------------------------------


def page_size_limit(spec: Spec) -> Spec:
    op = at(spec, "paths", NARA_LIST, "get")
    size = next(p for p in op["parameters"] if p["name"] == "rows_per_page")
    size["schema"]["maximum"] = NARA_PAGE_LIMIT
    reword(size, "x-chatgate-assumption", "Range 1 to 100", f"Range 1 to {NARA_PAGE_LIMIT}")
    schemas = spec["components"]["schemas"]
    schemas["Pagination"]["properties"]["rows_per_page"]["maximum"] = NARA_PAGE_LIMIT
    schemas["ChatMessagePage"]["properties"]["data"]["maxItems"] = NARA_PAGE_LIMIT
    return spec


class PageSizeLimit(Rewrite):
    """``rows_per_page`` above 50 is a 400 (after the key is judged); the mutant serves 51 to 100."""

    async def request(self, req: Req, call: Call) -> Req | Resp:
        size = req.query.get("rows_per_page", [""])[0]
        if self.mutant or not _nara_list(req) or not re.fullmatch(r"-?[0-9]{1,9}", size):
            return req
        if int(size) <= NARA_PAGE_LIMIT:
            return req
        probe = await call(req.with_query(rows_per_page=NARA_PAGE_LIMIT))
        if probe.status in (400, 401):  # a missing key, or another invalid parameter, comes first
            return probe
        reason = {"code": "invalid_request", "message": f"rows_per_page: {size} is greater than the maximum "
                  f"of {NARA_PAGE_LIMIT}", "details": {"field": "rows_per_page"}}  # fmt: skip
        return Resp(400, [], b"").with_json({"error": reason})


# ----- a response field added --------------------------------------------------------------------------


def field_added(spec: Spec) -> Spec:
    message = spec["components"]["schemas"]["ChatMessage"]
    message["properties"]["tokens"] = {
        "type": "integer", "minimum": 0, "description": "How many tokens the message's content counts.",
    }  # fmt: skip
    return spec


class FieldAdded(Rewrite):
    """Every message object (a send's reply, each listed row) carries ``tokens``; the mutant as text."""

    def answer(self, req: Req, status: int, doc: Any) -> Any:
        if status != 200 or not isinstance(doc, dict):
            return doc
        if req.method == "POST" and req.path == NARA_SEND:
            self._count(doc)
        elif _nara_list(req):
            for row in doc.get("data") or []:
                self._count(row)
        return doc

    def _count(self, message: dict[str, Any]) -> None:
        tokens = len(str(message.get("content", "")).split())
        message["tokens"] = str(tokens) if self.mutant else tokens


# ----- a component renamed -----------------------------------------------------------------------------


class ComponentRenamed(Rewrite):
    """The traffic is today's (``ChatMessage`` is ``Message`` in the spec only); the mutant's listed rows
    lose their ``conversation_id``."""

    def answer(self, req: Req, status: int, doc: Any) -> Any:
        if self.mutant and _nara_list(req) and status == 200 and isinstance(doc, dict):
            for row in doc.get("data") or []:
                row.pop("conversation_id", None)
        return doc


# ----- a second auth scheme ----------------------------------------------------------------------------


def second_auth_scheme(spec: Spec) -> Spec:
    schemes = spec["components"]["securitySchemes"]
    schemes["bearerAuth"] = {
        "type": "http", "scheme": "bearer",
        "description": "The account's API key as a Bearer token: `Authorization: Bearer YOUR_API_KEY`.",
    }  # fmt: skip
    spec["security"] = [{"bearerAuth": []}, {"apiKeyAuth": []}]
    schemes["apiKeyAuth"]["x-chatgate-assumption"] = (
        "The key is accepted in `X-Api-Key` or as a Bearer token in `Authorization`. The same key sent bare "
        "or under another scheme in `Authorization`, or in the query string, is refused with a 401 in the "
        "vendor's envelope."
    )
    return spec


class SecondAuthScheme(Rewrite):
    """``Authorization: Bearer KEY`` on Navigable paths is ``X-Api-Key: KEY``; the mutant ignores it."""

    async def request(self, req: Req, call: Call) -> Req | Resp:
        scheme, _, key = req.header("authorization").partition(" ")
        if self.mutant or api_of_path(req.path) != "navigable" or scheme.lower() != "bearer" or not key:
            return req
        if req.header("x-api-key"):
            return req
        return req.with_header("authorization", None).with_header("x-api-key", key)


# ----- a new operation ---------------------------------------------------------------------------------


def _error(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


def new_operation(spec: Spec) -> Spec:
    read = at(spec, "paths", NAV, "get")
    identifier = {**next(p for p in read["parameters"] if p["name"] == "identifier")}
    identifier["example"] = SESSION_EXAMPLE
    for key in ("x-chatgate-body-forms", "x-chatgate-role", "x-chatgate-assumption"):
        identifier.pop(key, None)
    spec["paths"][SESSIONS] = {"get": {
        "operationId": "listChatSessions", "summary": "List an identifier's chat sessions", "tags": ["chat"],
        "description": "The chat sessions of your user's unique identifier, the latest first. No "
                       "pagination is implemented at this time.",
        "parameters": [identifier],
        "responses": {
            "200": {"description": "The identifier's sessions.", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/SessionsResponse"},
                "example": {"success": True, "message": "SUCCESS", "data": [{
                    "id": "s-1", "title": "Where can I change my password?",
                    "createdAt": "2026-11-22T10:15:30.123Z", "closed": False}]},
            }}},
            **{s: _error(n) for s, n in (("400", "BadRequest"), ("401", "Unauthorized"),
                                         ("429", "TooManyRequests"), ("500", "InternalError"))},
        },
    }}  # fmt: skip
    spec["components"]["schemas"]["ChatSession"] = {
        "type": "object", "description": "One chat session.",
        "required": ["id", "title", "createdAt", "closed"],
        "properties": {
            "id": {"type": "string", "description": "The session's id."},
            "title": {"type": "string", "description": "The session's title (its first message)."},
            "createdAt": {"type": "string", "format": "date-time", "description": "When it started."},
            "closed": {"type": "boolean", "description": "Whether the session is closed."},
        },
    }  # fmt: skip
    spec["components"]["schemas"]["SessionsResponse"] = {
        "type": "object", "description": "The success envelope with the sessions.",
        "required": ["success", "message", "data"],
        "properties": {
            "success": {"const": True, "description": "Indicates if the request was successful."},
            "message": {"type": "string", "description": "The status message."},
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/ChatSession"},
                     "description": "The sessions."},
        },
    }  # fmt: skip
    return spec


def start_session(base_url: str) -> None:
    """A session for the new operation's example identifier (the one its examples phase lists), so the
    gate reads sessions, not only an empty list."""
    body = {"message": "Where can I change my password?", "identifier": SESSION_EXAMPLE}
    key = {"X-Api-Key": DEV_KEYS["navigable"]}
    reply = httpx.post(f"{base_url}{NAV}", json=body, headers=key, timeout=30)
    reply.raise_for_status()


class NewOperation(Rewrite):
    """``GET /api/v1/chat/sessions``: the identifier's session, derived from the server's read of it
    (whose refusals it passes on); the mutant's sessions lack ``closed``."""

    async def request(self, req: Req, call: Call) -> Req | Resp:
        if req.path != SESSIONS:
            return req
        if req.method != "GET":
            allow = [(b"allow", b"GET")]
            return Resp(405, allow, b"").with_json({"success": False, "message": "METHOD_NOT_ALLOWED"})
        read = await call(with_path(req, NAV))
        doc = read.json()
        if read.status != 200 or not isinstance(doc, dict):
            return read
        messages = doc.get("data") or []
        ident = req.query.get("identifier", [""])[0]
        sessions = [self._session(ident, messages)] if messages else []
        return read.with_json({"success": True, "message": doc.get("message", "SUCCESS"), "data": sessions})

    def _session(self, ident: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
        first = messages[0]
        digest = hashlib.sha256(f"{ident}\n{first['createdAt']}".encode()).hexdigest()[:16]
        session = {"id": f"s-{digest}", "title": str(first["content"])[:80], "createdAt": first["createdAt"],
                   "closed": False}  # fmt: skip
        if self.mutant:
            del session["closed"]
        return session


# ----- the table ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """One evolved spec (``api``'s, by ``edit``) and the proxy that speaks it (``rewrite``)."""

    name: str
    api: str
    edit: Callable[[Spec], Spec]
    rewrite: type[Rewrite]
    check: str  # the check that must fail on the mutant
    finding: str  # ...with a finding whose title says this
    # whether the load run's traffic is changed by the rewrite (False: the spec alone changed, the limit
    # is one a client must keep to, or no scenario drives the change)
    load_rewritten: bool = True
    prepare: Callable[[str], None] | None = None  # what a server (its base URL) needs before the gate


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("usage-event", "nara", usage_event, UsageEvent, "stream_grammar",
                "events out of the grammar's order"),
        Variant("event-renamed", "nara", lambda s: rename(s, "delta", "content_delta"), EventRenamed,
                "stream_grammar", "unknown event name"),
        Variant("content-field-renamed", "nara", content_field_renamed, ContentFieldRenamed,
                "schema_validation", "(required: text)"),
        Variant("new-sort-key", "nara", new_sort_key, NewSortKey, "pagination",
                "order does not match sort_by"),
        Variant("page-size-limit", "nara", page_size_limit, PageSizeLimit, "schema_validation",
                "rows_per_page (maximum)", load_rewritten=False),
        Variant("field-added", "nara", field_added, FieldAdded, "schema_validation", "tokens (type)"),
        Variant("component-renamed", "nara", lambda s: rename(s, "ChatMessage", "Message"), ComponentRenamed,
                "schema_validation", "(required: conversation_id)", load_rewritten=False),
        Variant("second-auth-scheme", "navigable", second_auth_scheme, SecondAuthScheme, "auth",
                "the right key in bearerAuth refused"),
        Variant("new-operation", "navigable", new_operation, NewOperation, "schema_validation",
                "(required: closed)", load_rewritten=False, prepare=start_session),
    )
}  # fmt: skip


def write_specs(variant: Variant, folder: Path) -> Path:
    """Both specs into ``folder`` (``nara.openapi.yaml``, ``navigable.openapi.yaml``), the variant's API's
    evolved; returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for api in ("nara", "navigable"):
        spec = yaml.safe_load((ROOT / "specs" / f"{api}.openapi.yaml").read_text(encoding="utf-8"))
        if api == variant.api:
            spec = variant.edit(spec)
            spec["info"]["version"] = f"{spec['info']['version']}+{variant.name}"  # reports name it
        text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=110)
        (folder / f"{api}.openapi.yaml").write_text(text, encoding="utf-8")
    return folder
