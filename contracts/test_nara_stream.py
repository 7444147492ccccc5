"""Nara streaming: ``stream_grammar``, ``stream_mode`` and ``stream_equivalence`` (see CHECKS)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from contracts.gate import Client, Exchange, Gate
from contracts.target import Target
from contracts.validation import Problem, grammar_problems, stream_start, streamed_content

pytestmark = pytest.mark.api("nara")

SEND = "/api/v1.0/chat"
LIST = "/api/v1.0/chat/messages"
OP_SEND = f"POST {SEND}"
SSE = "text/event-stream"
JSON = "application/json"


def _conversation(tag: str) -> str:
    return f"chatgate-{tag}-{uuid.uuid4().hex[:10]}"


def _send(client: Client, message: str, conversation: str, stream: bool | None, **headers: str) -> Exchange:
    body: dict[str, Any] = {"message": message, "conversation_id": conversation}
    if stream is not None:
        body["stream"] = stream
    return client.request("POST", SEND, json=body, headers=headers)


@pytest.mark.covers("stream_grammar", OP_SEND, writes=True)
def test_stream_grammar(nara_client: Client, gate: Gate) -> None:
    for i, message in enumerate(["Hello!", "Tell me about pagination, in a few words.", "x"]):
        ex = _send(nara_client, message, _conversation("grammar"), True)
        problems: list[Problem] = []
        if ex.status != 200 or ex.content_type != SSE:
            problems.append(
                Problem(
                    "streamed send gave no event stream", f"case {i}: {ex.status} {ex.content_type or '-'}"
                )
            )
        else:
            problems = grammar_problems(ex.body, cut=ex.cut)
        gate.check("nara", OP_SEND, "stream_grammar", problems, ex)


@pytest.mark.covers("stream_mode", OP_SEND, writes=True)
@pytest.mark.parametrize("stream", [True, False, None], ids=["stream-true", "stream-false", "stream-absent"])
def test_stream_mode(nara_client: Client, gate: Gate, stream: bool | None) -> None:
    expected = SSE if stream else JSON
    for accept in (None, JSON, SSE, "*/*"):
        headers = {"Accept": accept} if accept else {}
        ex = _send(nara_client, "Which form?", _conversation("mode"), stream, **headers)
        problems = []
        if ex.status != 200 or ex.content_type != expected:
            problems.append(
                Problem(
                    f"stream={stream} does not answer {expected}",
                    f"stream={stream}, Accept={accept or '(none)'}: got {ex.status} {ex.content_type or '-'}",
                )
            )
        gate.check("nara", OP_SEND, "stream_mode", problems, ex)


def _listed(client: Client, user_id: int, ids: set[Any]) -> dict[Any, dict[str, Any]]:
    """The messages with these ids among the user's most recent ones."""
    ex = client.request("GET", LIST, params={"user_id": user_id, "rows_per_page": 100, "sort_by": "id:desc"})
    doc = ex.json() if ex.status == 200 else None
    rows = doc.get("data") if isinstance(doc, dict) else None
    return {m.get("id"): m for m in rows or [] if isinstance(m, dict) and m.get("id") in ids}


@pytest.mark.covers("stream_equivalence", OP_SEND, writes=True)
def test_stream_equivalence(nara_client: Client, gate: Gate, nara: Target) -> None:
    assert nara.user_id is not None
    for message in ["Is the stream the same?", "Zwei Wörter, bitte."]:
        conversation = _conversation("equiv")
        plain = _send(nara_client, message, conversation, False)
        streamed = _send(nara_client, message, conversation, True)
        problems: list[Problem] = []
        reply = plain.json() if plain.status == 200 and plain.content_type == JSON else None
        if not isinstance(reply, dict) or streamed.status != 200 or streamed.content_type != SSE:
            problems.append(
                Problem(
                    "no reply pair to compare",
                    f"non-streamed: {plain.status} {plain.content_type}; streamed: {streamed.status} "
                    f"{streamed.content_type}",
                )
            )
            gate.check("nara", OP_SEND, "stream_equivalence", problems, streamed)
            continue
        text = streamed_content(streamed.body)
        if text != reply.get("content"):
            problems.append(
                Problem(
                    "streamed content differs from the non-streamed reply",
                    f"streamed {text[:200]!r} vs non-streamed {str(reply.get('content'))[:200]!r}",
                )
            )
        start = stream_start(streamed.body)
        wanted = {i for i in (start.get("message_id"), start.get("user_message_id"), reply.get("id")) if i}
        listed = _listed(nara_client, nara.user_id, wanted)
        streamed_row = listed.get(start.get("message_id"))
        if streamed_row is None:
            problems.append(
                Problem("streamed reply not read back", f"message {start.get('message_id')} is not listed")
            )
        elif streamed_row.get("content") != text or streamed_row.get("role") != "assistant":
            problems.append(
                Problem(
                    "streamed reply read back differs",
                    f"listed {streamed_row.get('role')} {str(streamed_row.get('content'))[:200]!r} vs "
                    f"streamed {text[:200]!r}",
                )
            )
        user_row = listed.get(start.get("user_message_id"))
        if user_row is None or user_row.get("content") != message or user_row.get("role") != "user":
            problems.append(
                Problem(
                    "sent message not read back", f"user message {start.get('user_message_id')}: {user_row}"
                )
            )
        plain_row = listed.get(reply.get("id"))
        if plain_row is None or plain_row.get("content") != reply.get("content"):
            problems.append(
                Problem("non-streamed reply not read back", f"reply {reply.get('id')} listed as {plain_row}")
            )
        gate.check("nara", OP_SEND, "stream_equivalence", problems, streamed)
