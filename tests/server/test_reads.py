"""Reads: Nara pagination is total and exact in every sort; Navigable reads the latest session's last 20,
oldest first, with the identifier in the query, a JSON body or a form (query wins); form sends coerce."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.server.server_helpers import LIST, NARA_1002, NAV, NAVIGABLE, InProcess, assert_conforms


@pytest.fixture(scope="module")
def client(seeded_server: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=seeded_server.base_url, timeout=30) as c:
        yield c


def _page(c: httpx.Client, **params: Any) -> dict[str, Any]:
    r = c.get(LIST, params={"user_id": 1002, **params}, headers=NARA_1002)
    doc: dict[str, Any] = assert_conforms("nara", LIST, "get", r, 200)
    return doc


@pytest.mark.parametrize("sort", ["created_at:desc", "created_at:asc", "id:desc", "id:asc"])
def test_pages_cover_every_message_once_in_a_total_order(client: httpx.Client, sort: str) -> None:
    everything = _page(client, rows_per_page=100, sort_by=sort)
    total = everything["pagination"]["total_rows"]
    assert total == len(everything["data"]) >= 50  # seeded with 50
    seen: list[dict[str, Any]] = []
    for page in range(1, math.ceil(total / 7) + 2):
        doc = _page(client, rows_per_page=7, current_page=page, sort_by=sort)
        assert doc["pagination"] == {
            "current_page": page,
            "rows_per_page": 7,
            "total_rows": total,
            "total_pages": math.ceil(total / 7),
        }
        seen += doc["data"]
    assert seen == everything["data"]  # the last request was past the end: 200 with no rows
    key = (lambda m: (m["created_at"], m["id"])) if sort.startswith("created_at") else (lambda m: m["id"])
    assert seen == sorted(seen, key=key, reverse=sort.endswith("desc"))
    assert {m["user_id"] for m in seen} == {1002} and {m["role"] for m in seen} == {"user", "assistant"}


def test_listing_defaults(client: httpx.Client) -> None:
    doc = _page(client)
    assert doc["pagination"]["rows_per_page"] == 20 and doc["pagination"]["current_page"] == 1
    assert doc["data"] == _page(client, rows_per_page=20, sort_by="created_at:desc")["data"]
    assert _page(client, current_page=2147483647)["data"] == []


def test_navigable_reads_latest_session_last_20_oldest_first(client: httpx.Client) -> None:
    doc = assert_conforms(
        "navigable", NAV, "get", client.get(NAV, params={"identifier": "seed-3"}, headers=NAVIGABLE), 200
    )
    rows = doc["data"]
    assert len(rows) == 20
    assert [r["createdAt"] for r in rows] == sorted(r["createdAt"] for r in rows)
    assert rows[-1]["content"] == "Seed assistant message 49."  # 50 seeded: sessions of 10, 10, 30
    assert not any(r["new"] for r in rows)  # the session began before these 20

    ident = "reads-fresh"
    first = client.post(NAV, json={"message": "first", "identifier": ident}, headers=NAVIGABLE).json()
    client.post(NAV, json={"message": "second", "identifier": ident}, headers=NAVIGABLE)
    client.post(NAV, data={"message": "new session", "identifier": ident, "new": "true"}, headers=NAVIGABLE)
    rows = client.get(NAV, params={"identifier": ident}, headers=NAVIGABLE).json()["data"]
    assert [(r["sender"], r["new"]) for r in rows] == [("USER", True), ("ASSISTANT", False)]
    assert rows[0]["content"] == "new session"
    assert first["data"]["identifier"] == ident
    assert client.get(NAV, params={"identifier": "never-used"}, headers=NAVIGABLE).json()["data"] == []


def test_navigable_identifier_forms_and_query_wins(client: httpx.Client) -> None:
    by_query = client.get(NAV, params={"identifier": "seed-4"}, headers=NAVIGABLE).json()
    by_json = client.request("GET", NAV, json={"identifier": "seed-4"}, headers=NAVIGABLE).json()
    by_form = client.request("GET", NAV, data={"identifier": "seed-4"}, headers=NAVIGABLE).json()
    both = client.request(
        "GET", NAV, params={"identifier": "seed-4"}, json={"identifier": "seed-5"}, headers=NAVIGABLE
    ).json()
    assert by_query == by_json == by_form == both
    assert (
        by_query["data"]
        and by_query["data"]
        != client.get(NAV, params={"identifier": "seed-5"}, headers=NAVIGABLE).json()["data"]
    )


def test_navigable_form_send_coerces_by_schema(client: httpx.Client) -> None:
    r = client.post(
        NAV,
        content=b"message=hi&new=true&markdown=true&configuredActions=Go+to+Home&configuredActions=Open+help"
        b"&configuredFunctions=lookup",
        params={"identifier": "form-user"},
        headers={**NAVIGABLE, "Content-Type": "application/x-www-form-urlencoded"},
    )
    data = assert_conforms("navigable", NAV, "post", r, 200)["data"]
    assert data["identifier"] == "form-user"  # from the query, as the body has none
    assert data["action"] in ("Go to Home", "Open help")
    assert [c["function"]["name"] for c in data["toolCalls"]] == ["lookup"]
    r = client.post(
        NAV, json={"message": "hi", "identifier": "body-wins"}, params={"identifier": "q"}, headers=NAVIGABLE
    )
    assert r.json()["data"]["identifier"] == "body-wins"
    anon = client.post(NAV, json={"message": "who am I?"}, headers=NAVIGABLE).json()["data"]["identifier"]
    assert (
        anon
        and client.get(NAV, params={"identifier": anon}, headers=NAVIGABLE).json()["data"][0]["content"]
        == "who am I?"
    )


def test_stats_count_requests_per_operation_and_status(in_process: InProcess) -> None:
    server = in_process()
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        c.get(NAV, params={"identifier": "s"}, headers=NAVIGABLE)
        c.get(NAV, params={"identifier": "s"})
        c.get(LIST, params={"user_id": 1002}, headers=NARA_1002)
        c.get("/nowhere")
        stats = c.get("/_chatgate/stats").json()
    assert stats["requests"]["navigable"]["getChatSessionMessages"] == {"200": 1, "401": 1}
    assert stats["requests"]["nara"]["listChatMessages"] == {"200": 1}
    assert stats["total"] == 3 and stats["unmatched"] == {"404": 1}
    assert stats["streams"]["active"] == 0
