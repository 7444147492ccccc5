"""Nara streaming: ``stream_grammar``, ``stream_mode`` and ``stream_equivalence`` (see CHECKS).

``stream_equivalence`` holds each reply to its own stored copy, as the spec states it for sampled
models: the streamed content equals what the listing reads back for that reply, and a non-streamed
reply equals its own stored copy; the user's message is stored too. Only with deterministic replies
(``CHATGATE_DETERMINISTIC_REPLIES=1``; ``chatgate contract`` sets it for the embedded server) is a
streamed reply also compared with the non-streamed reply to the same input. Streams the transport did
not read to their end (cut, stalled, capped) are left to ``transport``, ``stream_grammar`` and
``stream_stalled``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from contracts.client import Client, Exchange
from contracts.session import Suite
from contracts.validation import Problem, grammar_problems, stream_start, streamed_content

pytestmark = pytest.mark.api("nara")

SEND = "/api/v1.0/chat"
LIST = "/api/v1.0/chat/messages"
OP_SEND = f"POST {SEND}"
SSE = "text/event-stream"
JSON = "application/json"
MAX_PAGES = 10  # pages of 100 read, newest first, to find a reply's stored copy


def _conversation(tag: str) -> str:
    return f"chatgate-{tag}-{uuid.uuid4().hex[:10]}"


def _send(client: Client, message: str, conversation: str, stream: bool | None, **headers: str) -> Exchange:
    body: dict[str, Any] = {"message": message, "conversation_id": conversation}
    if stream is not None:
        body["stream"] = stream
    return client.request("POST", SEND, json=body, headers=headers)


@pytest.mark.covers("stream_grammar", OP_SEND, writes=True)
def test_stream_grammar(suite: Suite) -> None:
    client = suite.client("nara")

    def one(case: tuple[int, str]) -> None:
        i, message = case
        ex = _send(client, message, _conversation("grammar"), True)
        problems: list[Problem] = []
        if ex.status != 200 or ex.content_type != SSE:
            found = f"case {i}: {ex.status} {ex.content_type or '-'}"
            problems.append(Problem("streamed send gave no event stream", found))
        elif ex.wire is not None and not ex.wire.complete and not ex.wire.cut:
            return  # stalled or capped: stream_stalled and the transport report it
        else:
            problems = grammar_problems(ex.body, cut=ex.cut)
        suite.gate.check("nara", OP_SEND, "stream_grammar", problems, client.example(ex))

    suite.map(one, list(enumerate(["Hello!", "Tell me about pagination, in a few words.", "x"])))


@pytest.mark.covers("stream_mode", OP_SEND, writes=True)
@pytest.mark.parametrize("stream", [True, False, None], ids=["stream-true", "stream-false", "stream-absent"])
def test_stream_mode(suite: Suite, stream: bool | None) -> None:
    client = suite.client("nara")
    expected = SSE if stream else JSON

    def one(accept: str | None) -> None:
        headers = {"Accept": accept} if accept else {}
        ex = _send(client, "Which form?", _conversation("mode"), stream, **headers)
        problems = []
        if ex.status != 200 or ex.content_type != expected:
            found = f"stream={stream}, Accept={accept or '(none)'}: got {ex.status} {ex.content_type or '-'}"
            problems.append(Problem(f"stream={stream} does not answer {expected}", found))
        suite.gate.check("nara", OP_SEND, "stream_mode", problems, client.example(ex))

    suite.map(one, [None, JSON, SSE, "*/*"])


def stored(client: Client, ids: set[Any]) -> dict[Any, dict[str, Any]]:
    """The stored messages with these ids, read from the listing newest first (past the oldest id)."""
    user = client.target.user_id
    found: dict[Any, dict[str, Any]] = {}
    oldest = min((i for i in ids if isinstance(i, int)), default=0)
    for page in range(1, MAX_PAGES + 1):
        params = {"user_id": user, "rows_per_page": 100, "sort_by": "id:desc", "current_page": page}
        ex = client.request("GET", LIST, params=params)
        doc = ex.json() if ex.status == 200 else None
        rows = [r for r in doc.get("data", []) if isinstance(r, dict)] if isinstance(doc, dict) else []
        found.update({r.get("id"): r for r in rows if r.get("id") in ids})
        last = rows[-1].get("id") if rows else None
        if not rows or set(found) >= ids or (isinstance(last, int) and last < oldest):
            break
    return found


def _copies(stream_ex: Exchange, plain_ex: Exchange, message: str, client: Client) -> list[Problem]:
    """Each reply against its own stored copy, and the user's message stored."""
    text, start, reply = streamed_content(stream_ex.body), stream_start(stream_ex.body), plain_ex.json()
    wanted = {start.get("message_id"), start.get("user_message_id"), reply.get("id")} - {None}
    rows = stored(client, wanted)
    problems = []
    streamed_row = rows.get(start.get("message_id"))
    if streamed_row is None:
        problems.append(
            Problem("streamed reply not read back", f"message {start.get('message_id')} is not listed")
        )
    elif streamed_row.get("content") != text or streamed_row.get("role") != "assistant":
        listed = f"{streamed_row.get('role')} {str(streamed_row.get('content'))[:200]!r}"
        found = f"listed {listed} vs streamed {text[:200]!r}"
        problems.append(Problem("streamed reply read back differs", found))
    user_row = rows.get(start.get("user_message_id"))
    if user_row is None or user_row.get("content") != message or user_row.get("role") != "user":
        found = f"user message {start.get('user_message_id')}: {user_row}"
        problems.append(Problem("sent message not read back", found))
    plain_row = rows.get(reply.get("id"))
    if plain_row is None or plain_row.get("content") != reply.get("content"):
        problems.append(
            Problem("non-streamed reply not read back", f"reply {reply.get('id')} listed as {plain_row}")
        )
    return problems


@pytest.mark.covers("stream_equivalence", OP_SEND, writes=True)
def test_stream_equivalence(suite: Suite) -> None:
    client = suite.client("nara")

    def pair(message: str) -> None:
        conversation = _conversation("equiv")
        plain, streamed = suite.map(
            lambda stream: _send(client, message, conversation, stream), (False, True)
        )
        reply = plain.json() if plain.status == 200 and plain.content_type == JSON else None
        if not isinstance(reply, dict) or streamed.status != 200 or streamed.content_type != SSE:
            found = (
                f"non-streamed: {plain.status} {plain.content_type}; "
                f"streamed: {streamed.status} {streamed.content_type}"
            )
            problems = [Problem("no reply pair to compare", found)]
        elif not streamed.whole or not plain.whole:
            return  # not read to its end: transport, stream_grammar and stream_stalled report it
        else:
            problems = _copies(streamed, plain, message, client)
            text = streamed_content(streamed.body)
            if suite.settings.deterministic_replies and text != reply.get("content"):
                found = f"streamed {text[:200]!r} vs non-streamed {str(reply.get('content'))[:200]!r}"
                problems.append(Problem("streamed content differs from the non-streamed reply", found))
        suite.gate.check("nara", OP_SEND, "stream_equivalence", problems, client.example(streamed))

    suite.map(pair, ["Is the stream the same?", "Zwei Wörter, bitte."])
