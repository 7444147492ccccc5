"""Bad input of every kind gets the documented status in the API's own envelope (checked against the
spec's schema for that status), never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.server.server_helpers import LIST, NARA_1001, NAV, NAVIGABLE, SEND, assert_conforms

OK = {"message": "hello", "conversation_id": "bad-input"}


@pytest.fixture(scope="module")
def client(seeded_server: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=seeded_server.base_url, timeout=30) as c:
        yield c
        statuses = c.get("/_chatgate/stats").json()["statuses"]
        assert not any(s.startswith("5") for s in statuses), statuses


def _raw(c: httpx.Client, content: bytes | str, ctype: str = "application/json", **kw: Any) -> httpx.Response:
    return c.post(SEND, content=content, headers={**NARA_1001, "Content-Type": ctype}, **kw)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"message": "hi", "conversation_id": ', None),  # malformed JSON
        ("", None),
        ("[1, 2]", None),  # not an object
        ('{"message": "hi", "conversation_id": "c", "temperature": NaN}', None),
        ('{"message": "hi", "conversation_id": "c", "temperature": 1e400}', "temperature"),
        ('{"message": "hi", "conversation_id": "c", "temperature": ' + "9" * 5000 + "}", None),
        ("[" * 20000 + "]" * 20000, None),  # deep JSON
        (json.dumps({"message": 5, "conversation_id": "c"}), "message"),
        (json.dumps({"message": "hi", "conversation_id": "c", "stream": "yes"}), "stream"),
        (json.dumps({"message": "hi", "conversation_id": "c", "temperature": "hot"}), "temperature"),
        (json.dumps({"message": "hi", "conversation_id": "c", "temperature": 1.5}), "temperature"),
        (json.dumps({"message": "hi", "conversation_id": "c", "temprature": 0.1}), "temprature"),
        (json.dumps({"conversation_id": "c"}), "message"),
        (json.dumps({"message": "", "conversation_id": "c"}), "message"),
        (json.dumps({"message": "hi"}), "conversation_id"),
        (b'{"message": "\xff\xfe", "conversation_id": "c"}', None),  # not UTF-8
    ],
    ids=lambda v: str(v)[:30],
)
def test_nara_send_invalid_body_is_400(client: httpx.Client, body: str | bytes, field: str | None) -> None:
    doc = assert_conforms("nara", SEND, "post", _raw(client, body), 400)
    assert doc["error"]["code"] == "invalid_request"
    if field is not None:
        assert doc["error"]["details"]["field"] == field


@pytest.mark.parametrize(
    "message",
    ["\ud800 lone surrogate", "NUL \x00 inside", "emoji \U0001f600", "x" * 16000],
    ids=["surrogate", "nul", "emoji", "longest"],
)
def test_nara_send_odd_but_valid_strings_are_stored(client: httpx.Client, message: str) -> None:
    body = json.dumps({"message": message, "conversation_id": "odd"})  # ensure_ascii: \ud800 on the wire
    reply = assert_conforms("nara", SEND, "post", _raw(client, body), 200)
    page = client.get(LIST, params={"user_id": 1001, "rows_per_page": 2}, headers=NARA_1001).json()["data"]
    assert page[0]["id"] == reply["id"]
    assert page[1]["content"] == message.replace("\ud800", "\ufffd")


def test_the_largest_valid_bodies_fit_under_the_default_limit(client: httpx.Client) -> None:
    # Every character at its maxLength and escaped as \uXXXX: 6 bytes on the wire each.
    nara = json.dumps({"message": "\x01" * 16000, "conversation_id": "\x01" * 128, "temperature": 1})
    assert len(nara) > 96_000
    assert_conforms("nara", SEND, "post", _raw(client, nara), 200)
    longest = "\x01" * 256
    navigable = {
        "message": "\x01" * 16000,
        "identifier": longest,
        "new": True,
        "markdown": True,
        "currentPage": longest,
        "configuredActions": [longest] * 50,
        "configuredFunctions": [longest] * 50,
        "functionCallId": longest,
    }
    r = client.post(
        NAV, content=json.dumps(navigable), headers={**NAVIGABLE, "Content-Type": "application/json"}
    )
    assert len(r.request.content) > 250_000
    assert_conforms("navigable", NAV, "post", r, 200)


def test_oversized_bodies_are_413_by_length_and_when_chunked(client: httpx.Client) -> None:
    big = json.dumps({"message": "x" * 1_100_000, "conversation_id": "big"}).encode()
    assert_conforms("nara", SEND, "post", _raw(client, big), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding chunked
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    r = client.post(SEND, content=chunks(), headers={**NARA_1001, "Content-Type": "application/json"})
    assert "content-length" not in r.request.headers
    assert assert_conforms("nara", SEND, "post", r, 413)["error"]["code"] == "payload_too_large"
    r = client.post(NAV, content=chunks(), headers={**NAVIGABLE, "Content-Type": "application/json"})
    assert assert_conforms("navigable", NAV, "post", r, 413)["message"] == "PAYLOAD_TOO_LARGE"


def test_wrong_media_type_is_415(client: httpx.Client) -> None:
    for ctype in ("text/plain", "application/x-www-form-urlencoded", ""):
        r = _raw(client, json.dumps(OK), ctype)
        assert assert_conforms("nara", SEND, "post", r, 415)["error"]["code"] == "unsupported_media_type"
    r = client.post(NAV, content=b"message=hi", headers={**NAVIGABLE, "Content-Type": "text/plain"})
    assert assert_conforms("navigable", NAV, "post", r, 415)["message"] == "UNSUPPORTED_MEDIA_TYPE"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Token nara-dev-key-1001"}, {"X-Api-Key": "x"}],
)
def test_missing_or_wrong_nara_key_is_401(client: httpx.Client, headers: dict[str, str]) -> None:
    r = client.post(SEND, json=OK, headers=headers)
    assert assert_conforms("nara", SEND, "post", r, 401)["error"]["code"] == "unauthorized"
    r = client.get(LIST, params={"user_id": 1001}, headers=headers)
    assert_conforms("nara", LIST, "get", r, 401)


@pytest.mark.parametrize("headers", [{}, {"X-Api-Key": ""}, {"X-Api-Key": "wrong"}, NARA_1001])
def test_missing_or_wrong_navigable_key_is_401(client: httpx.Client, headers: dict[str, str]) -> None:
    r = client.get(NAV, params={"identifier": "seed-0"}, headers=headers)
    assert assert_conforms("navigable", NAV, "get", r, 401) == {"success": False, "message": "UNAUTHORIZED"}
    r = client.post(NAV, json={"message": "hi"}, headers=headers)
    assert_conforms("navigable", NAV, "post", r, 401)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"user_id": 1001, "sort_by": "name:asc"}, "sort_by"),
        ({"user_id": 1001, "sort_by": "created_at"}, "sort_by"),
        ({"user_id": 1001, "current_page": 0}, "current_page"),
        ({"user_id": 1001, "current_page": "one"}, "current_page"),
        ({"user_id": 1001, "rows_per_page": 0}, "rows_per_page"),
        ({"user_id": 1001, "rows_per_page": 101}, "rows_per_page"),
        ({"user_id": "abc"}, "user_id"),
        ({"user_id": "1e3"}, "user_id"),
        ({"user_id": 10**30}, "user_id"),
        ({"user_id": "9" * 5000}, "user_id"),
        ({}, "user_id"),
    ],
    ids=lambda v: str(v)[:40],
)
def test_nara_listing_invalid_params_are_400(
    client: httpx.Client, params: dict[str, Any], field: str
) -> None:
    doc = assert_conforms("nara", LIST, "get", client.get(LIST, params=params, headers=NARA_1001), 400)
    assert doc["error"]["details"]["field"] == field


def test_reading_another_users_messages_is_403(client: httpx.Client) -> None:
    r = client.get(LIST, params={"user_id": 1002}, headers=NARA_1001)
    assert assert_conforms("nara", LIST, "get", r, 403)["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"params": {}}, "identifier"),
        ({"params": {"identifier": ""}}, "identifier"),
        ({"params": {"identifier": "x" * 257}}, "identifier"),
        ({"json": {"identifier": 5}}, "identifier"),
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, "body"),
    ],
    ids=["none", "empty", "too-long", "json-number", "bad-json"],
)
def test_navigable_read_invalid_is_400(client: httpx.Client, kwargs: dict[str, Any], field: str) -> None:
    kwargs["headers"] = {**NAVIGABLE, **kwargs.get("headers", {})}
    doc = assert_conforms("navigable", NAV, "get", client.request("GET", NAV, **kwargs), 400)
    assert doc["message"] == "BAD_REQUEST" and field in doc["errors"]
    if field == "identifier":
        assert doc["errors"]["identifier"] == 'Property "identifier" must be a valid string.'


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"json": {"identifier": "x"}}, "message"),
        ({"json": {"message": 5}}, "message"),
        ({"json": {"message": "hi", "new": False}}, "new"),
        ({"json": {"message": "hi", "configuredActions": "Go"}}, "configuredActions"),
        ({"data": {"message": "hi", "new": "false"}}, "new"),
        ({"data": {"message": "hi", "identifier": ["a", "b"]}}, "identifier"),
        ({"json": {"message": "hi"}, "params": {"identifier": ""}}, "identifier"),
        ({"content": b"{", "headers": {"Content-Type": "application/json"}}, "body"),
    ],
    ids=[
        "no-message",
        "message-type",
        "new-false",
        "actions-type",
        "form-new-false",
        "form-repeat",
        "query",
        "bad",
    ],
)
def test_navigable_send_invalid_is_400(client: httpx.Client, kwargs: dict[str, Any], field: str) -> None:
    kwargs["headers"] = {**NAVIGABLE, **kwargs.get("headers", {})}
    doc = assert_conforms("navigable", NAV, "post", client.request("POST", NAV, **kwargs), 400)
    assert field in doc["errors"], doc


def test_unknown_paths_are_404_and_unlisted_methods_405_with_allow(client: httpx.Client) -> None:
    r = client.get("/api/v1.0/nope", headers=NARA_1001)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.get("/api/v1/nope", headers=NAVIGABLE)
    assert r.status_code == 404 and r.json() == {"success": False, "message": "NOT_FOUND"}
    assert client.get("/api/v1.0/chat/messages/", headers=NARA_1001).status_code == 404  # no slash redirect
    for method, path, allow in [
        ("GET", SEND, "POST"),
        ("DELETE", LIST, "GET"),
        ("PUT", NAV, "GET, POST"),
        ("OPTIONS", NAV, "GET, POST"),
    ]:
        r = client.request(method, path, headers=NARA_1001)
        assert r.status_code == 405 and r.headers["Allow"] == allow, (method, path)
        envelope = r.json()
        assert (
            envelope["error"]["code"] == "method_not_allowed" if path != NAV else envelope["success"] is False
        )
