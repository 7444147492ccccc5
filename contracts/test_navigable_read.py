"""Navigable reads: ``navigable_read`` — at most 20 messages, the latest ones, oldest first; the documented
envelope on 200, 400 and 401; ``identifier`` accepted alike in the query, a JSON body and an urlencoded
body.

The session is made of three waves of sends: one that starts it (``new: true``), then nine at once,
then one last: 22 messages, so a read of 20 must leave out exactly the first exchange. The judgement
holds when other clients write to the same session (their messages are not ours, so only the order of
*our* messages and their presence are judged): rows oldest first, each reply after its message, the
last exchange present, none of the first exchange when a newer message of ours was left out, and 20
rows (the session has more).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest

from contracts.client import Client, Exchange
from contracts.session import Suite
from contracts.validation import Problem

pytestmark = pytest.mark.api("navigable")

PATH = "/api/v1/chat"
OP = f"GET {PATH}"
WAVES = (1, 9, 1)  # sends per wave: 22 messages in one session, more than the 20 a read returns


def _exchange(client: Client, identifier: str, tag: str, first: bool) -> tuple[str, str]:
    body: dict[str, Any] = {"message": f"navigable read {tag}", "identifier": identifier}
    if first:
        body["new"] = True
    ex = client.request("POST", PATH, json=body)
    doc = ex.json() if ex.status == 200 else None
    reply = doc.get("data", {}).get("assistantMessage") if isinstance(doc, dict) else None
    return body["message"], str(reply)


def session(suite: Suite) -> tuple[str, list[list[tuple[str, str]]]]:
    """A fresh identifier with three waves of sends; it and each wave's (message, reply) pairs."""

    def make() -> tuple[str, list[list[tuple[str, str]]]]:
        client, identifier = suite.client("navigable"), f"chatgate-{uuid.uuid4().hex[:12]}"
        waves: list[list[tuple[str, str]]] = []
        for w, count in enumerate(WAVES):
            tags = [(f"{w}.{i}", w == 0) for i in range(count)]
            waves.append(suite.map(lambda t: _exchange(client, identifier, *t), tags))
        return identifier, waves

    return suite.once("navigable-session", make)


def _rows(ex: Exchange) -> list[dict[str, Any]] | None:
    doc = ex.json() if ex.status == 200 else None
    data = doc.get("data") if isinstance(doc, dict) else None
    return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else None


def _when(row: dict[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(row.get("createdAt")).replace("Z", "+00:00"))
    except ValueError:
        return datetime.min


def _order_problems(rows: list[dict[str, Any]], waves: list[list[tuple[str, str]]]) -> list[Problem]:
    problems = []
    times = [_when(r) for r in rows]
    if times != sorted(times):
        problems.append(
            Problem("messages are not oldest first", f"createdAt: {[r.get('createdAt') for r in rows][:6]}")
        )
    at = {str(r.get("content")): i for i, r in enumerate(rows)}
    pairs = [p for wave in waves for p in wave]
    if any(m in at and r in at and at[r] < at[m] for m, r in pairs):
        problems.append(Problem("a reply is listed before its message", f"{len(pairs)} exchanges"))
    return problems


def _latest_problems(rows: list[dict[str, Any]], waves: list[list[tuple[str, str]]]) -> list[Problem]:
    """The latest ones: the last exchange present, nothing of the first left in when a newer message of
    ours is left out, and 20 rows."""
    contents = {str(r.get("content")) for r in rows}
    problems = []
    last = waves[-1][0]
    if not set(last) <= contents:
        problems.append(Problem("not the session's latest messages", f"the last exchange {last} is missing"))
    newer = {x for wave in waves[1:] for pair in wave for x in pair}
    if newer - contents and set(waves[0][0]) & contents:
        missing = sorted(newer - contents)[:2]
        problems.append(
            Problem("not the session's latest messages", f"older messages kept, newer {missing} left out")
        )
    if len(rows) < 20:
        problems.append(
            Problem("fewer than 20 messages although the session has more", f"{len(rows)} messages")
        )
    return problems


@pytest.mark.covers("navigable_read", OP, writes=True)
def test_latest_twenty_oldest_first(suite: Suite) -> None:
    client = suite.client("navigable")
    identifier, waves = session(suite)
    ex = client.request("GET", PATH, params={"identifier": identifier})
    rows = _rows(ex)
    problems = []
    if rows is None:
        problems.append(Problem("read did not answer 200 with data", f"{ex.status} {ex.content_type}"))
    elif len(rows) > 20:
        problems.append(Problem("more than 20 messages", f"{len(rows)} messages returned"))
    else:
        problems = _order_problems(rows, waves) + _latest_problems(rows, waves)
    suite.gate.check("navigable", OP, "navigable_read", problems, client.example(ex))


@pytest.mark.covers("navigable_read", OP, writes=True)
def test_identifier_in_query_json_and_form(suite: Suite) -> None:
    client = suite.client("navigable")
    identifier, waves = session(suite)
    ours = {x for wave in waves for pair in wave for x in pair}
    forms: list[tuple[str, dict[str, Any]]] = [
        ("query", {"params": {"identifier": identifier}}),
        ("JSON body", {"json": {"identifier": identifier}}),
        ("urlencoded body", {"data": {"identifier": identifier}}),
    ]
    reads = suite.map(lambda form: client.request("GET", PATH, **form[1]), forms)
    by_query = _rows(reads[0])
    for (form, _), ex in zip(forms[1:], reads[1:], strict=True):
        rows = _rows(ex)
        problems = []
        if rows is None:
            problems.append(
                Problem(f"identifier in a {form} is not accepted", f"{ex.status} {ex.content_type}")
            )
        elif by_query is not None and _ours(rows, ours) != _ours(by_query, ours):
            found = f"{len(rows)} vs {len(by_query)} messages"
            problems.append(Problem(f"identifier in a {form} reads other messages than in the query", found))
        suite.gate.check("navigable", OP, "navigable_read", problems, client.example(ex))


def _ours(rows: list[dict[str, Any]], ours: set[str]) -> list[Any]:
    """The rows of the gate's own sends, newest ten (another client may write between two reads)."""
    return [(r.get("sender"), r.get("content")) for r in rows if str(r.get("content")) in ours][-10:]


@pytest.mark.covers("navigable_read", OP)
@pytest.mark.parametrize("case", ["no identifier", "empty identifier", "no key", "wrong key"])
def test_error_envelopes(suite: Suite, case: str) -> None:
    """400 and 401 in the documented envelopes (the body's schema is checked by schema_validation too)."""
    client = suite.client("navigable")
    params = {"identifier": ""} if case == "empty identifier" else {}
    if case in ("no key", "wrong key"):
        params = {"identifier": "chatgate-envelope"}
    headers = {"X-Api-Key": "chatgate-wrong-key"} if case == "wrong key" else {}
    ex = client.request("GET", PATH, params=params, headers=headers, auth=case not in ("no key", "wrong key"))
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
    suite.gate.check("navigable", OP, "navigable_read", problems, client.example(ex))
