"""Fault-injected variants of the reference server: the gate's own proof.

    python -m tests.contract.faulty_server FAULT PORT DB

serves the reference server (``chatgate.server`` when importable, else the stand-in in ``stand_in.py``)
on 127.0.0.1:PORT, wrapped in an ASGI middleware that breaks one promise of the specs. ``FAULT`` is a
key of :data:`FAULTS` (``none`` is the faithful server). The server package itself is never edited:
each fault rewrites requests or responses on their way through, calling the real app underneath.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from chatgate.apis import DEV_NARA_KEYS

Scope = dict[str, Any]
ASGIApp = Callable[..., Awaitable[None]]


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: list[tuple[bytes, bytes]]
    body: bytes
    scope: Scope

    def header(self, name: str) -> str:
        for k, v in self.headers:
            if k.decode().lower() == name:
                return v.decode("latin-1")
        return ""

    def with_query(self, **values: Any) -> Req:
        q = dict(self.query)
        for k, v in values.items():
            if v is None:
                q.pop(k, None)
            else:
                q[k] = [str(v)]
        return replace(self, query=q)

    def with_header(self, name: str, value: str | None) -> Req:
        hs = [(k, v) for k, v in self.headers if k.decode().lower() != name]
        if value is not None:
            hs.append((name.encode(), value.encode()))
        return replace(self, headers=hs)

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass
class Resp:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    cut_after: int | None = None  # send this many bytes, then drop the connection
    stall_after: int | None = (
        None  # send this many bytes, then only ": ping" comments until the client leaves
    )
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        for k, v in self.headers:
            if k.lower() == b"content-type":
                return v.decode().split(";")[0].strip()
        return ""

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def with_json(self, doc: Any, status: int | None = None) -> Resp:
        body = json.dumps(doc).encode()
        hs = [(k, v) for k, v in self.headers if k.lower() not in (b"content-length", b"content-type")]
        hs += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        return replace(self, status=status or self.status, headers=hs, body=body)

    def with_body(self, body: bytes) -> Resp:
        hs = [(k, v) for k, v in self.headers if k.lower() != b"content-length"]
        if self.content_type != "text/event-stream":
            hs.append((b"content-length", str(len(body)).encode()))
        return replace(self, headers=hs, body=body)


Call = Callable[[Req], Awaitable[Resp]]
Fault = Callable[[Req, Call], Awaitable[Resp]]

NARA_SEND, NARA_LIST = "/api/v1.0/chat", "/api/v1.0/chat/messages"
NAV = "/api/v1/chat"


def _events(body: bytes) -> list[tuple[str, str]]:
    out = []
    for block in body.decode().split("\n\n"):
        name, data = "", []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            out.append((name or "message", "\n".join(data)))
    return out


def _stream(events: list[tuple[str, str]]) -> bytes:
    return "".join(f"event: {n}\ndata: {d}\n\n" for n, d in events).encode()


async def _all_rows(req: Req, call: Call) -> tuple[list[dict[str, Any]], Resp]:
    """Every row of the listing in the requested order, fetched page by page from the real app."""
    rows: list[dict[str, Any]] = []
    page, first = 1, None
    while True:
        resp = await call(req.with_query(rows_per_page=100, current_page=page))
        first = first or resp
        doc = resp.json()
        if resp.status != 200 or not isinstance(doc, dict) or not doc.get("data"):
            return rows, first
        rows += doc["data"]
        page += 1


def _paged(req: Req) -> bool:
    return req.method == "GET" and req.path == NARA_LIST


async def _page_with(
    req: Req,
    call: Call,
    pick: Callable[[list[dict[str, Any]], int, int], list[dict[str, Any]]],
    total_delta: int = 0,
) -> Resp:
    probe = await call(req)
    if probe.status != 200:
        return probe
    size = int(req.query.get("rows_per_page", ["20"])[0])
    page = int(req.query.get("current_page", ["1"])[0])
    rows, _ = await _all_rows(req, call)
    doc = probe.json()
    total = len(rows) + total_delta
    doc["data"] = pick(rows, page, size)
    doc["pagination"]["total_rows"] = total
    doc["pagination"]["total_pages"] = math.ceil(total / size)
    return probe.with_json(doc)


# ----- the faults ----------------------------------------------------------------------------------


async def none(req: Req, call: Call) -> Resp:
    return await call(req)


async def nara_wrong_type(req: Req, call: Call) -> Resp:
    resp = await call(req)
    doc = resp.json()
    if _paged(req) and resp.status == 200 and doc.get("data"):
        for row in doc["data"]:
            row["id"] = str(row["id"])
        return resp.with_json(doc)
    return resp


async def nara_missing_field(req: Req, call: Call) -> Resp:
    resp = await call(req)
    doc = resp.json()
    if req.path == NARA_SEND and resp.status == 200 and isinstance(doc, dict):
        doc.pop("created_at", None)
        return resp.with_json(doc)
    return resp


async def nara_undocumented_status(req: Req, call: Call) -> Resp:
    resp = await call(req)
    if req.path.startswith("/api/v1.0/") and resp.status == 400:
        return replace(resp, status=422)
    return resp


async def nara_wrong_content_type(req: Req, call: Call) -> Resp:
    resp = await call(req)
    if _paged(req) and resp.content_type == "application/json":
        hs = [(k, v) for k, v in resp.headers if k.lower() != b"content-type"]
        return replace(resp, headers=[*hs, (b"content-type", b"text/plain; charset=utf-8")])
    return resp


async def nara_stream_grammar(req: Req, call: Call) -> Resp:
    """The terminal event comes before the last delta."""
    resp = await call(req)
    if resp.content_type == "text/event-stream":
        events = _events(resp.body)
        if len(events) >= 3:
            events[-1], events[-2] = events[-2], events[-1]
        return resp.with_body(_stream(events))
    return resp


async def nara_stream_cut(req: Req, call: Call) -> Resp:
    resp = await call(req)
    if resp.content_type == "text/event-stream":
        events = _events(resp.body)
        return replace(resp, cut_after=len(_stream(events[:2])) + 5)
    return resp


async def nara_stream_bad_event(req: Req, call: Call) -> Resp:
    """Deltas lose their index."""
    resp = await call(req)
    if resp.content_type == "text/event-stream":
        events = []
        for name, data in _events(resp.body):
            if name == "delta":
                d = json.loads(data)
                d.pop("index", None)
                data = json.dumps(d)
            events.append((name, data))
        return resp.with_body(_stream(events))
    return resp


async def nara_stream_mode_ignored(req: Req, call: Call) -> Resp:
    """Accept decides the form instead of the stream field."""
    if req.method == "POST" and req.path == NARA_SEND:
        body = req.json()
        accept = req.header("accept")
        if isinstance(body, dict) and "application/json" in accept and body.get("stream") is True:
            body["stream"] = False
            return await call(replace(req, body=json.dumps(body).encode()))
    return await call(req)


async def nara_stream_stalls(req: Req, call: Call) -> Resp:
    """After two deltas, only ': ping' comments, forever: no terminal event (a hung model)."""
    resp = await call(req)
    if resp.content_type == "text/event-stream":
        events = _events(resp.body)
        return replace(resp, stall_after=len(_stream(events[:3])))
    return resp


async def nara_stream_content_differs(req: Req, call: Call) -> Resp:
    resp = await call(req)
    if resp.content_type == "text/event-stream":
        events = _events(resp.body)
        deltas = [i for i, (n, _) in enumerate(events) if n == "delta"]
        if len(deltas) > 1:
            del events[deltas[-1]]
        return resp.with_body(_stream(events))
    return resp


async def nara_pagination_off_by_one(req: Req, call: Call) -> Resp:
    if not _paged(req):
        return await call(req)
    return await _page_with(req, call, lambda rows, p, s: rows[p * s - s + 1 : p * s + 1])


async def nara_overlapping_pages(req: Req, call: Call) -> Resp:
    if not _paged(req):
        return await call(req)
    return await _page_with(
        req, call, lambda rows, p, s: rows[max(0, (p - 1) * s - 1) : max(0, (p - 1) * s - 1) + s]
    )


async def nara_ignored_sort(req: Req, call: Call) -> Resp:
    return await call(req.with_query(sort_by=None) if _paged(req) else req)


async def nara_ignored_rows_per_page(req: Req, call: Call) -> Resp:
    size = req.query.get("rows_per_page", [""])[0]
    if not _paged(req) or not size.isdigit() or not 1 <= int(size) <= 100:  # valid sizes only
        return await call(req)
    resp = await call(req.with_query(rows_per_page=20))
    doc = resp.json()
    if resp.status == 200 and isinstance(doc, dict):
        doc["pagination"]["rows_per_page"] = int(req.query["rows_per_page"][0])
        return resp.with_json(doc)
    return resp


async def nara_wrong_totals(req: Req, call: Call) -> Resp:
    resp = await call(req)
    doc = resp.json()
    if _paged(req) and resp.status == 200:
        doc["pagination"]["total_rows"] += 1
        return resp.with_json(doc)
    return resp


async def nara_500_on_first_try(req: Req, call: Call) -> Resp:
    """Every distinct request is answered 500 the first time it comes, and served when it comes again (a
    flaky backend): only the server's error, and intermittent, since a replay passes."""
    # The requests seen belong to this server: tests in one process start it many times with the same
    # seed, and a set shared between them served every request of a later server at once (no 500).
    seen: set[tuple[str, str, str, bytes]] = req.scope["faulty.state"].setdefault("seen", set())
    key = (req.method, req.path, urlencode(req.query, doseq=True), req.body)
    if req.path.startswith("/api/v1.0/") and key not in seen:
        seen.add(key)
        resp = await call(req)
        return resp.with_json({"error": {"code": "internal_error", "message": "try again"}}, status=500)
    return await call(req)


async def nara_auth_ignored(req: Req, call: Call) -> Resp:
    resp = await call(req)
    if req.path.startswith("/api/v1.0/") and resp.status == 401:
        return await call(req.with_header("authorization", "Bearer nara-dev-key-1001"))
    return resp


def _key_elsewhere(req: Req, keys: set[str]) -> str | None:
    """The right key sent where the spec does not put it: bare or under any scheme in Authorization
    (Basic credentials decoded), or in the query string."""
    import base64
    import contextlib

    scheme, _, rest = req.header("authorization").partition(" ")
    found = [rest or scheme, *req.query.get("api_key", []), *req.query.get("access_token", [])]
    if scheme.lower() == "basic":
        with contextlib.suppress(ValueError):
            found.append(base64.b64decode(rest).decode().partition(":")[0])
    found += req.query.get("x-api-key", [])
    return next((k for k in found if k in keys), None)


async def nara_key_accepted_elsewhere(req: Req, call: Call) -> Resp:
    """The key is taken bare, under another scheme or from the query string, as if it were a Bearer token."""
    if req.path.startswith("/api/v1.0/") and not req.header("authorization").lower().startswith("bearer "):
        key = _key_elsewhere(req, {"nara-dev-key-1001", "nara-dev-key-1002"})
        if key is not None:
            return await call(req.with_header("authorization", f"Bearer {key}"))
    return await call(req)


async def nara_scheme_case_sensitive(req: Req, call: Call) -> Resp:
    """``bearer KEY`` (the scheme's name in lower case, the same scheme by RFC 7235) is refused."""
    if req.path.startswith("/api/v1.0/") and req.header("authorization").startswith("bearer "):
        return await call(req.with_header("authorization", None))
    return await call(req)


async def navigable_key_accepted_elsewhere(req: Req, call: Call) -> Resp:
    """The key is taken from Authorization or the query string when X-Api-Key is missing."""
    if req.path == NAV and not req.header("x-api-key"):
        key = _key_elsewhere(req, {"navigable-dev-key"})
        if key is not None:
            return await call(req.with_header("x-api-key", key))
    return await call(req)


async def nara_long_history_totals(req: Req, call: Call) -> Resp:
    """total_rows one too many, total_pages consistent with it (served on a 10,000-message history)."""
    resp = await call(req)
    doc = resp.json()
    if _paged(req) and resp.status == 200 and isinstance(doc, dict):
        meta = doc["pagination"]
        meta["total_rows"] += 1
        meta["total_pages"] = math.ceil(meta["total_rows"] / meta["rows_per_page"])
        return resp.with_json(doc)
    return resp


async def nara_other_user_message_visible(req: Req, call: Call) -> Resp:
    """With two identities: the newest-first listing of 100 shows the other user's latest message as if it
    were the reader's own (its user_id rewritten, so only a check that knows who sent it can tell)."""
    resp = await call(req)
    doc = resp.json()
    size, sort = req.query.get("rows_per_page", [""])[0], req.query.get("sort_by", [""])[0]
    if not (_paged(req) and resp.status == 200 and doc.get("data") and size == "100" and sort == "id:desc"):
        return resp
    reader = int(req.query["user_id"][0])
    other = 1002 if reader == 1001 else 1001
    theirs = await call(
        req.with_query(user_id=other, rows_per_page=1, current_page=1, sort_by="id:desc").with_header(
            "authorization", f"Bearer nara-dev-key-{other}"
        )
    )
    rows = (theirs.json() or {}).get("data") or []
    if rows:
        doc["data"][0] = {**rows[0], "user_id": reader}
        return resp.with_json(doc)
    return resp


async def nara_other_user_readable(req: Req, call: Call) -> Resp:
    """A refused read of another user's listing is answered 200 with user 1001's own rows instead of 403
    (user_id ignored for that key). Key 1002 stays refused, so no user gets another user's messages:
    the one-key ``ownership`` check sees the 200; a cross-user leak is ``nara-cross-user-readable``."""
    resp = await call(req)
    if _paged(req) and resp.status == 403:
        fixed = await call(req.with_query(user_id=1001))
        return fixed
    return resp


async def nara_cross_user_readable(req: Req, call: Call) -> Resp:
    """Any Nara key reads the listing of any user who has a key: a refused read is answered as the asked
    user's own key is (the server checks the key, not whose messages it asks for). With two identities,
    each user reads the other's messages."""
    resp = await call(req)
    asked = req.query.get("user_id", [""])[0]
    own_key = {str(user): key for key, user in DEV_NARA_KEYS.items()}.get(asked)
    if _paged(req) and resp.status == 403 and own_key is not None:
        return await call(req.with_header("authorization", f"Bearer {own_key}"))
    return resp


async def nara_invalid_input_accepted(req: Req, call: Call) -> Resp:
    """Out-of-range temperatures are clamped instead of refused."""
    body = req.json() if req.method == "POST" and req.path == NARA_SEND else None
    if isinstance(body, dict) and isinstance(body.get("temperature"), int | float):
        t = body["temperature"]
        if not isinstance(t, bool) and not 0 <= t <= 1:
            body["temperature"] = min(1.0, max(0.0, float(t)))
            return await call(replace(req, body=json.dumps(body).encode()))
    return await call(req)


async def nara_500_on_input(req: Req, call: Call) -> Resp:
    """Large pages crash."""
    size = req.query.get("rows_per_page", ["0"])[0]
    if _paged(req) and size.isdigit() and int(size) > 90:
        resp = await call(req)
        return resp.with_json({"detail": "Internal Server Error"}, status=500)
    return await call(req)


async def nara_wrong_error_envelope(req: Req, call: Call) -> Resp:
    resp = await call(req)
    doc = resp.json()
    if req.path.startswith("/api/v1.0/") and resp.status >= 400 and isinstance(doc, dict) and "error" in doc:
        return resp.with_json({"message": doc["error"].get("message", "error")})
    return resp


async def nara_past_end_not_empty(req: Req, call: Call) -> Resp:
    """A page past the end repeats the last page instead of being empty."""
    resp = await call(req)
    doc = resp.json()
    if _paged(req) and resp.status == 200 and isinstance(doc, dict) and not doc.get("data"):
        last = doc["pagination"].get("total_pages", 0)
        if last:
            again = (await call(req.with_query(current_page=last))).json()
            doc["data"] = again.get("data", []) if isinstance(again, dict) else []
            return resp.with_json(doc)
    return resp


async def nara_replies_not_listed(req: Req, call: Call) -> Resp:
    """The listing leaves out the assistant's replies (its totals agree with what it shows)."""
    if not _paged(req):
        return await call(req)
    probe = await call(req)
    if probe.status != 200:
        return probe
    size = int(req.query.get("rows_per_page", ["20"])[0])
    page = int(req.query.get("current_page", ["1"])[0])
    rows, _ = await _all_rows(req, call)
    mine = [r for r in rows if r.get("role") != "assistant"]
    doc = probe.json()
    doc["data"] = mine[(page - 1) * size : page * size]
    doc["pagination"]["total_rows"] = len(mine)
    doc["pagination"]["total_pages"] = math.ceil(len(mine) / size)
    return probe.with_json(doc)


async def nara_foreign_rows_listed(req: Req, call: Call) -> Resp:
    """A user's listing carries a message of another user."""
    resp = await call(req)
    doc = resp.json()
    if _paged(req) and resp.status == 200 and isinstance(doc, dict) and doc.get("data"):
        doc["data"][-1]["user_id"] = doc["data"][-1]["user_id"] + 1
        return resp.with_json(doc)
    return resp


async def nara_two_violations(req: Req, call: Call) -> Resp:
    """Listed rows break two rules at once: ids as text, and no created_at."""
    resp = await call(req)
    doc = resp.json()
    if _paged(req) and resp.status == 200 and isinstance(doc, dict) and doc.get("data"):
        for row in doc["data"]:
            row["id"] = str(row["id"])
            row.pop("created_at", None)
        return resp.with_json(doc)
    return resp


async def navigable_stale_read(req: Req, call: Call) -> Resp:
    """The read misses the session's newest message (a stale replica)."""
    resp = await call(req)
    doc = resp.json()
    if req.method == "GET" and req.path == NAV and resp.status == 200 and doc.get("data"):
        doc["data"] = doc["data"][:-1]
        return resp.with_json(doc)
    return resp


async def navigable_21_messages(req: Req, call: Call) -> Resp:
    resp = await call(req)
    doc = resp.json()
    if req.method == "GET" and req.path == NAV and resp.status == 200 and doc.get("data"):
        doc["data"] = [doc["data"][0], *doc["data"]][:21] if len(doc["data"]) >= 20 else doc["data"]
        return resp.with_json(doc)
    return resp


async def navigable_newest_first(req: Req, call: Call) -> Resp:
    resp = await call(req)
    doc = resp.json()
    if req.method == "GET" and req.path == NAV and resp.status == 200 and doc.get("data"):
        doc["data"].reverse()
        return resp.with_json(doc)
    return resp


async def navigable_identifier_body_ignored(req: Req, call: Call) -> Resp:
    if req.method == "GET" and req.path == NAV and "identifier" not in req.query:
        return await call(replace(req, body=b""))
    return await call(req)


async def navigable_auth_ignored(req: Req, call: Call) -> Resp:
    resp = await call(req)
    if req.path == NAV and resp.status == 401:
        return await call(req.with_header("x-api-key", "navigable-dev-key"))
    return resp


async def navigable_wrong_400_envelope(req: Req, call: Call) -> Resp:
    resp = await call(req)
    doc = resp.json()
    if req.path == NAV and resp.status == 400 and isinstance(doc, dict):
        doc.pop("errors", None)
        doc["error"] = "Bad request"
        return resp.with_json(doc)
    return resp


async def navigable_wrong_type(req: Req, call: Call) -> Resp:
    resp = await call(req)
    doc = resp.json()
    if req.method == "GET" and req.path == NAV and resp.status == 200 and doc.get("data"):
        for row in doc["data"]:
            row["new"] = "true" if row.get("new") else "false"
        return resp.with_json(doc)
    return resp


async def navigable_missing_field(req: Req, call: Call) -> Resp:
    resp = await call(req)
    doc = resp.json()
    if req.method == "POST" and req.path == NAV and resp.status == 200 and isinstance(doc, dict):
        doc.get("data", {}).pop("identifier", None)
        return resp.with_json(doc)
    return resp


FAULTS: dict[str, Fault] = {
    name.replace("_", "-"): fn
    for name, fn in list(globals().items())
    if callable(fn) and (name.startswith(("nara_", "navigable_")) or name == "none") and name != "nara_"
}
NARA_GET, NARA_POST = f"GET {NARA_LIST}", f"POST {NARA_SEND}"
NAV_GET, NAV_POST = f"GET {NAV}", f"POST {NAV}"


@dataclass(frozen=True)
class Expect:
    """The verdict a fault must get: run scoped to ``operation``, ``check`` must fire, and the checks that
    fire are exactly ``fired`` (``check`` among them): the gate neither misses it nor blames it wrongly.
    ``findings``: how many distinct defects the fault is, so how many findings the run must report (each
    with the checks that agreed on it): one unless the fault breaks two things a client fixes apart."""

    operation: str
    check: str
    also: frozenset[str] = frozenset()
    args: tuple[str, ...] = ()  # more flags for the gate run
    env: tuple[tuple[str, str], ...] = ()  # more environment for the gate run
    seed_messages: int = 50  # of the faulty server
    findings: int = 1

    @property
    def fired(self) -> frozenset[str]:
        return self.also | {self.check}


SCHEMA = frozenset({"response_schema_conformance", "schema_validation"})
TWO_KEYS = (("NARA_API_KEY_2", "nara-dev-key-1002"), ("NARA_USER_ID_2", "1002"))  # the second dev identity
EXPECTED: dict[str, Expect] = {
    "nara-wrong-type": Expect(NARA_GET, "schema_validation", SCHEMA | {"pagination"}),  # ids compare as text
    "nara-missing-field": Expect(NARA_POST, "schema_validation", SCHEMA),
    "nara-undocumented-status": Expect(NARA_GET, "status_code_conformance"),
    "nara-wrong-content-type": Expect(NARA_GET, "content_type_conformance"),
    "nara-stream-grammar": Expect(NARA_POST, "stream_grammar"),
    # the transport sees the reset; a stream not read to its end is not compared with its stored copy
    "nara-stream-cut": Expect(NARA_POST, "stream_grammar", frozenset({"transport"})),
    "nara-stream-bad-event": Expect(NARA_POST, "schema_validation", SCHEMA | {"stream_grammar"}),
    "nara-stream-mode-ignored": Expect(NARA_POST, "stream_mode"),
    "nara-stream-content-differs": Expect(NARA_POST, "stream_equivalence"),
    "nara-pagination-off-by-one": Expect(NARA_GET, "pagination"),
    "nara-overlapping-pages": Expect(NARA_GET, "pagination"),
    "nara-ignored-sort": Expect(NARA_GET, "pagination"),
    "nara-ignored-rows-per-page": Expect(NARA_GET, "pagination"),
    # total_rows off by one shows twice: pages that hold other than their totals announce, and a page
    # count that is not ceil(total_rows / rows_per_page) (walks that share no page: two findings)
    "nara-wrong-totals": Expect(NARA_GET, "pagination", findings=2),
    # a missing Authorization header is a coverage case of its own (schemathesis' missing_required_header)
    "nara-auth-ignored": Expect(NARA_GET, "auth", frozenset({"ignored_auth", "missing_required_header"})),
    "nara-other-user-readable": Expect(NARA_GET, "ownership"),
    "nara-cross-user-readable": Expect(
        NARA_GET, "ownership_cross_user", frozenset({"ownership"}), env=TWO_KEYS
    ),
    "nara-invalid-input-accepted": Expect(NARA_POST, "negative_data_rejection"),
    # a 5xx on any request a check sends is the server's error, and only that (one root cause)
    "nara-500-on-input": Expect(NARA_GET, "not_a_server_error"),
    # the same, at random places: schemathesis' own probes (ignored_auth's) meet 500s too
    "nara-500-on-first-try": Expect(NARA_GET, "not_a_server_error"),
    "nara-wrong-error-envelope": Expect(NARA_GET, "schema_validation", SCHEMA | {"auth"}),
    "nara-past-end-not-empty": Expect(NARA_GET, "pagination"),
    "nara-replies-not-listed": Expect(NARA_POST, "stream_equivalence"),
    "nara-foreign-rows-listed": Expect(NARA_GET, "ownership"),
    # two fields wrong, each its own way: two findings (the walk's misordering agrees with the id's type)
    "nara-two-violations": Expect(NARA_GET, "schema_validation", SCHEMA | {"pagination"}, findings=2),
    "navigable-stale-read": Expect(NAV_GET, "navigable_read"),
    "navigable-21-messages": Expect(
        NAV_GET, "navigable_read", frozenset({"schema_validation"})
    ),  # maxItems 20
    "navigable-newest-first": Expect(NAV_GET, "navigable_read"),
    # the JSON body and the urlencoded body are two documented forms, each ignored: two findings
    "navigable-identifier-body-ignored": Expect(NAV_GET, "navigable_read", findings=2),
    # every credential accepted is one defect: served without valid credentials
    "navigable-auth-ignored": Expect(NAV_GET, "auth", frozenset({"ignored_auth", "missing_required_header"})),
    "navigable-wrong-400-envelope": Expect(NAV_GET, "navigable_read", SCHEMA),
    "navigable-wrong-type": Expect(NAV_GET, "schema_validation"),
    "navigable-missing-field": Expect(NAV_POST, "schema_validation", SCHEMA),
    # issue 11: pings keep the connection open, yet no event comes: a stall, caught within the idle timeout
    "nara-stream-stalls": Expect(NARA_POST, "stream_stalled", args=("--stream-idle-timeout", "2s")),
    "nara-key-accepted-elsewhere": Expect(NARA_GET, "auth"),
    "navigable-key-accepted-elsewhere": Expect(NAV_GET, "auth"),
    # one scheme refused one way: one finding (and the probe, in the scheme's usual case, passes)
    "nara-scheme-case-sensitive": Expect(NARA_GET, "auth"),
    "nara-long-history-totals": Expect(NARA_GET, "pagination", seed_messages=10_000),
    "nara-other-user-message-visible": Expect(
        NARA_GET,
        "ownership_cross_user",
        env=TWO_KEYS,
    ),
}


async def _stall(resp: Resp, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
    """Send the start of the body, then a ': ping' every 0.25 s until the client leaves (at most 120 s)."""
    await send({"type": "http.response.body", "body": resp.body[: resp.stall_after], "more_body": True})
    gone = asyncio.ensure_future(receive())
    try:
        for _ in range(480):
            done, _ = await asyncio.wait({gone}, timeout=0.25)
            if done:
                return
            await send({"type": "http.response.body", "body": b": ping\n\n", "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        gone.cancel()


class FaultMiddleware:
    """Buffers each request and response, letting ``fault`` rewrite them (and call the app again).
    ``pace_s``: an event stream goes out one event at a time, this far apart (a proxy's pings then fall
    between events, as they do in front of a model that streams)."""

    def __init__(self, app: ASGIApp, fault: Fault, pace_s: float = 0.0) -> None:
        self.app = app
        self.fault = fault
        self.pace_s = pace_s
        self.state: dict[str, Any] = {}  # a fault's memory, for this server only

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        scope["faulty.state"] = self.state
        req = Req(
            scope["method"],
            scope["path"],
            parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True),
            list(scope.get("headers", [])),
            body,
            scope,
        )
        resp = await self.fault(req, self._call)
        await send({"type": "http.response.start", "status": resp.status, "headers": resp.headers})
        body = resp.body if resp.cut_after is None else resp.body[: resp.cut_after]
        if self.pace_s and resp.content_type == "text/event-stream" and resp.stall_after is None:
            *events, body = body.split(b"\n\n")  # whole events, then what is left of the last one
            for event in events:
                await send({"type": "http.response.body", "body": event + b"\n\n", "more_body": True})
                await asyncio.sleep(self.pace_s)
        if resp.cut_after is not None:
            await send({"type": "http.response.body", "body": body, "more_body": True})
            raise RuntimeError("fault: stream cut")
        if resp.stall_after is not None:
            await _stall(resp, receive, send)
            return
        await send({"type": "http.response.body", "body": body})

    async def _call(self, req: Req) -> Resp:
        headers = [(k, v) for k, v in req.headers if k.lower() != b"content-length"]
        if req.body:
            headers.append((b"content-length", str(len(req.body)).encode()))
        scope = {**req.scope, "query_string": urlencode(req.query, doseq=True).encode(), "headers": headers}
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:  # the client stays connected until the response is complete
                await asyncio.Event().wait()
            sent = True
            return {"type": "http.request", "body": req.body, "more_body": False}

        status, out_headers, chunks = 500, [], []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, out_headers
            if message["type"] == "http.response.start":
                status, out_headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return Resp(status, out_headers, b"".join(chunks))


def reference_app(db: Path, seed_messages: int, **options: Any) -> ASGIApp:
    """The reference server's app (keys from CHATGATE_NARA_KEYS / CHATGATE_NAVIGABLE_KEYS, else dev keys)."""
    import os

    from chatgate.apis import DEV_NAVIGABLE_KEYS
    from chatgate.server.app import create_app
    from chatgate.server.config import ServerConfig, parse_nara_keys, parse_navigable_keys

    nara_env, nav_env = (
        os.environ.get("CHATGATE_NARA_KEYS", ""),
        os.environ.get("CHATGATE_NAVIGABLE_KEYS", ""),
    )
    config = ServerConfig(
        db=db,
        seed_messages=seed_messages,
        nara_keys=parse_nara_keys(nara_env.split(","), "env") if nara_env else dict(DEV_NARA_KEYS),
        navigable_keys=parse_navigable_keys(nav_env.split(","), "env") if nav_env else DEV_NAVIGABLE_KEYS,
        **options,
    )
    app: ASGIApp = create_app(config, db=db)
    return app


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] not in FAULTS:
        print(
            f"usage: faulty_server FAULT PORT DB  (FAULT one of: {', '.join(sorted(FAULTS))})",
            file=sys.stderr,
        )
        return 2
    import uvicorn

    app = FaultMiddleware(reference_app(Path(argv[2]), 50), FAULTS[argv[0]])
    uvicorn.run(app, host="127.0.0.1", port=int(argv[1]), log_level="error", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
