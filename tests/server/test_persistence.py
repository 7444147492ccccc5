"""Storage: concurrent sends all persist, data survives a restart, replies are stored and deterministic."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx

from tests.server.server_helpers import (
    LIST,
    NARA_1001,
    NAV,
    NAVIGABLE,
    SEND,
    assert_conforms,
    event_data_valid,
    read_stream,
)


def _total(c: httpx.Client, user: int = 1001) -> int:
    r = c.get(LIST, params={"user_id": user, "rows_per_page": 1}, headers=NARA_1001)
    total: int = assert_conforms("nara", LIST, "get", r, 200)["pagination"]["total_rows"]
    return total


async def _concurrent_sends(base_url: str, n: int) -> list[int]:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as c:

        async def one(i: int) -> int:
            if i % 2:
                r = await c.post(
                    NAV, json={"message": f"m{i}", "identifier": "concurrent"}, headers=NAVIGABLE
                )
            else:
                body = {"message": f"m{i}", "conversation_id": "concurrent", "stream": i % 4 == 0}
                r = await c.post(SEND, json=body, headers=NARA_1001)
                await r.aread()
            return r.status_code

        return await asyncio.gather(*(one(i) for i in range(n)))


def test_200_concurrent_sends_all_persist_and_survive_a_restart(serve: Any, tmp_path: Path) -> None:
    db = tmp_path / "persist.sqlite3"
    server = serve(db=db)
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        before = _total(c)
    statuses = asyncio.run(_concurrent_sends(server.base_url, 200))
    assert statuses == [200] * 200
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        after = _total(c)
        nav = c.get(NAV, params={"identifier": "concurrent"}, headers=NAVIGABLE).json()["data"]
    assert after - before == 200  # 100 Nara sends, each a message and its reply
    assert len(nav) == 20  # 100 Navigable sends in one session: the read shows the last 20
    assert server.stop() == 0

    with sqlite3.connect(db) as conn:  # consistent on disk after a graceful stop
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM nara_messages WHERE user_id=1001").fetchone() == (after,)
        assert conn.execute("SELECT count(*) FROM navigable_messages").fetchone() == (200,)

    again = serve(db=db)
    with httpx.Client(base_url=again.base_url, timeout=30) as c:
        assert _total(c) == after
        assert c.get(NAV, params={"identifier": "concurrent"}, headers=NAVIGABLE).json()["data"] == nav
        r = c.post(SEND, json={"message": "after restart", "conversation_id": "c"}, headers=NARA_1001)
        newest = c.get(LIST, params={"user_id": 1001, "rows_per_page": 1}, headers=NARA_1001).json()["data"][
            0
        ]
    assert newest == assert_conforms("nara", SEND, "post", r, 200)  # ids and times continue after restart


def test_streamed_reply_equals_plain_reply_and_is_listed_after_message_end(seeded_server: Any) -> None:
    body = {"message": "Is this deterministic?", "conversation_id": "determinism", "temperature": 0.3}
    with httpx.Client(base_url=seeded_server.base_url, timeout=30) as c:
        streamed = read_stream(c, body)
        listed = c.get(LIST, params={"user_id": 1001, "rows_per_page": 2}, headers=NARA_1001).json()["data"]
        plain = assert_conforms("nara", SEND, "post", c.post(SEND, json=body, headers=NARA_1001), 200)
        other = c.post(SEND, json={**body, "temperature": 0.4}, headers=NARA_1001).json()
    assert streamed.content_type.startswith("text/event-stream")
    assert streamed.names == ["message_start"] + ["delta"] * 12 + ["message_end"]
    assert all(event_data_valid(e) for e in streamed.events)
    assert streamed.content() == plain["content"] != other["content"]
    start = json.loads(streamed.events[0].data)
    assert [m["id"] for m in listed] == [start["message_id"], start["user_message_id"]]
    assert listed[0]["content"] == plain["content"] and listed[0]["role"] == "assistant"
    assert listed[1]["content"] == body["message"] and listed[1]["role"] == "user"


def test_stream_form_is_decided_by_the_stream_field_alone(seeded_server: Any) -> None:
    body = {"message": "accept?", "conversation_id": "accept"}
    with httpx.Client(base_url=seeded_server.base_url, timeout=30) as c:
        sse = {**NARA_1001, "Accept": "text/event-stream"}
        plain = c.post(SEND, json=body, headers=sse)
        streamed = read_stream(c, body, headers={**NARA_1001, "Accept": "application/json"})
    assert plain.headers["content-type"].startswith("application/json")
    assert streamed.content_type.startswith("text/event-stream") and streamed.names[-1] == "message_end"
