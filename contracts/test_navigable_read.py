"""Navigable reads: ``navigable_read`` — at most 20 messages, the latest ones, oldest first; the documented
envelope on 200, 400 and 401; ``identifier`` accepted alike in the query, a JSON body and an urlencoded
body."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest

from contracts.gate import Client, Exchange, Gate
from contracts.validation import Problem

pytestmark = pytest.mark.api("navigable")

PATH = "/api/v1/chat"
OP = f"GET {PATH}"
SENDS = 11  # 22 messages in one session: more than the 20 a read returns


@pytest.fixture(scope="module")
def session(navigable_client: Client) -> tuple[str, list[str]]:
    """A fresh identifier with SENDS exchanges in one session; returns it and every message's content."""
    identifier = f"chatgate-{uuid.uuid4().hex[:12]}"
    contents: list[str] = []
    for i in range(SENDS):
        body: dict[str, Any] = {"message": f"navigable read {i}", "identifier": identifier}
        if i == 0:
            body["new"] = True
        ex = navigable_client.request("POST", PATH, json=body)
        doc = ex.json() if ex.status == 200 else None
        reply = doc.get("data", {}).get("assistantMessage") if isinstance(doc, dict) else None
        contents += [body["message"], str(reply)]
    return identifier, contents


def _rows(ex: Exchange) -> list[dict[str, Any]] | None:
    doc = ex.json() if ex.status == 200 else None
    data = doc.get("data") if isinstance(doc, dict) else None
    return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else None


def _when(row: dict[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(row.get("createdAt")).replace("Z", "+00:00"))
    except ValueError:
        return datetime.min


@pytest.mark.covers("navigable_read", OP, writes=True)
def test_latest_twenty_oldest_first(
    navigable_client: Client, gate: Gate, session: tuple[str, list[str]]
) -> None:
    identifier, contents = session
    ex = navigable_client.request("GET", PATH, params={"identifier": identifier})
    rows = _rows(ex)
    problems = []
    if rows is None:
        problems.append(Problem("read did not answer 200 with data", f"{ex.status} {ex.content_type}"))
    else:
        if len(rows) > 20:
            problems.append(Problem("more than 20 messages", f"{len(rows)} messages returned"))
        times = [_when(r) for r in rows]
        if times != sorted(times):
            problems.append(
                Problem(
                    "messages are not oldest first", f"createdAt: {[r.get('createdAt') for r in rows][:6]}"
                )
            )
        got = [r.get("content") for r in rows]
        if got != contents[-20:] and len(rows) <= 20 and times == sorted(times):
            problems.append(
                Problem(
                    "not the session's latest 20 messages", f"first {got[:2]}, expected {contents[-20:][:2]}"
                )
            )
    gate.check("navigable", OP, "navigable_read", problems, ex)


@pytest.mark.covers("navigable_read", OP, writes=True)
def test_identifier_in_query_json_and_form(
    navigable_client: Client, gate: Gate, session: tuple[str, list[str]]
) -> None:
    identifier, _ = session
    by_query = _rows(navigable_client.request("GET", PATH, params={"identifier": identifier}))
    for form, ex in (
        ("JSON body", navigable_client.request("GET", PATH, json={"identifier": identifier})),
        ("urlencoded body", navigable_client.request("GET", PATH, data={"identifier": identifier})),
    ):
        rows = _rows(ex)
        problems = []
        if rows is None:
            problems.append(
                Problem(f"identifier in a {form} is not accepted", f"{ex.status} {ex.content_type}")
            )
        elif rows != by_query:
            problems.append(
                Problem(
                    f"identifier in a {form} reads other messages than in the query",
                    f"{len(rows)} vs {len(by_query or [])} messages",
                )
            )
        gate.check("navigable", OP, "navigable_read", problems, ex)


@pytest.mark.covers("navigable_read", OP)
@pytest.mark.parametrize("case", ["no identifier", "empty identifier", "no key", "wrong key"])
def test_error_envelopes(navigable_client: Client, gate: Gate, case: str) -> None:
    """400 and 401 in the documented envelopes (the body's schema is checked by schema_validation too)."""
    params = {"identifier": ""} if case == "empty identifier" else {}
    if case in ("no key", "wrong key"):
        params = {"identifier": "chatgate-envelope"}
    headers = {"X-Api-Key": "chatgate-wrong-key"} if case == "wrong key" else {}
    ex = navigable_client.request(
        "GET", PATH, params=params, headers=headers, auth=case not in ("no key", "wrong key")
    )
    expected = 401 if "key" in case else 400
    doc = ex.json()
    problems = []
    if ex.status != expected:
        problems.append(Problem(f"{case}: not {expected}", f"got {ex.status} {ex.content_type}"))
    elif (
        not isinstance(doc, dict)
        or doc.get("success") is not False
        or not isinstance(doc.get("message"), str)
    ):
        problems.append(Problem(f"{expected} without the documented envelope", f"body: {ex.body[:200]!r}"))
    elif expected == 400 and "identifier" not in (doc.get("errors") or {}):
        problems.append(Problem("400 does not name the identifier in errors", f"errors: {doc.get('errors')}"))
    gate.check("navigable", OP, "navigable_read", problems, ex)
