"""``ownership_cross_user``: with a second Nara identity (``NARA_API_KEY_2`` and ``NARA_USER_ID_2``),
neither user reads the other's messages, and neither listing ever holds the other's.

Each user asks for the other's listing (403 expected), and each sends a message; then each user's
listing is read from the newest message down past both messages: it holds its own and never the other
user's, whatever ``user_id`` the rows claim. Without a second identity these tests do not run and the
check is ``not_run`` ("needs a second key"); the one-key ``ownership`` check runs either way.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from contracts.client import Client, Exchange
from contracts.session import Suite
from contracts.validation import Problem, stream_start

pytestmark = pytest.mark.api("nara")

LIST = "/api/v1.0/chat/messages"
SEND = "/api/v1.0/chat"
OP = f"GET {LIST}"
MAX_PAGES = 10  # pages of 100 read per listing, newest first, to find the messages


def _pair(suite: Suite) -> tuple[Client, Client]:
    if suite.second_client is None:
        pytest.skip("needs a second key (NARA_API_KEY_2 and NARA_USER_ID_2)")
    return suite.client("nara"), suite.second_client


def _user(client: Client) -> int:
    assert client.target.user_id is not None
    return client.target.user_id


@pytest.mark.covers("ownership_cross_user", OP)
def test_neither_user_reads_the_others_listing(suite: Suite) -> None:
    first, second = _pair(suite)

    def read(pair: tuple[Client, Client]) -> None:
        reader, owner = pair
        ex = reader.request("GET", LIST, params={"user_id": _user(owner)})
        problems = []
        if ex.status != 403:
            message = (
                f"user {_user(reader)} reading user {_user(owner)}'s messages: {ex.status}, expected 403"
            )
            problems.append(Problem("another user's messages are readable", message))
        suite.gate.check("nara", OP, "ownership_cross_user", problems, reader.example(ex))

    suite.map(read, [(first, second), (second, first)])


def _send(client: Client) -> set[Any]:
    """Send one streamed message; the ids of the user's message and of the reply."""
    body = {"message": "whose message is this?", "conversation_id": f"chatgate-owner-{uuid.uuid4().hex[:8]}",
            "stream": True}  # fmt: skip
    start = stream_start(client.request("POST", SEND, json=body).body)
    return {i for i in (start.get("message_id"), start.get("user_message_id")) if i is not None}


def _listed_ids(client: Client, down_to: Any) -> tuple[set[Any], Exchange | None]:
    """Ids in the client's own listing, newest first, down to the id ``down_to`` (or MAX_PAGES pages)."""
    ids: set[Any] = set()
    ex = None
    for page in range(1, MAX_PAGES + 1):
        params = {"user_id": _user(client), "rows_per_page": 100, "sort_by": "id:desc", "current_page": page}
        ex = client.request("GET", LIST, params=params)
        doc = ex.json() if ex.status == 200 else None
        rows = (
            [r for r in (doc or {}).get("data", []) if isinstance(r, dict)] if isinstance(doc, dict) else []
        )
        ids |= {r.get("id") for r in rows}
        if not rows or all(isinstance(r.get("id"), int) and r["id"] < down_to for r in rows[-1:]):
            break
    return ids, ex


@pytest.mark.covers("ownership_cross_user", OP, "POST /api/v1.0/chat", writes=True)
def test_neither_listing_holds_the_others_messages(suite: Suite) -> None:
    first, second = _pair(suite)
    sent = dict(zip((0, 1), suite.map(_send, [first, second]), strict=True))
    ints = [i for ids in sent.values() for i in ids if isinstance(i, int)]
    oldest = min(ints) if ints else 0
    for me, client in enumerate((first, second)):
        listed, ex = _listed_ids(client, oldest)
        problems = []
        foreign = sorted(listed & sent[1 - me], key=str)
        if foreign:
            message = f"user {_user(client)}'s listing holds messages {foreign} the other user sent"
            problems.append(Problem("a listing holds another user's messages", message))
        if sent[me] and not sent[me] <= listed:
            message = (
                f"user {_user(client)}'s own messages {sorted(sent[me] - listed, key=str)} are not listed"
            )
            problems.append(Problem("a user's own messages are not listed", message))
        suite.gate.check("nara", OP, "ownership_cross_user", problems, client.example(ex) if ex else None)
