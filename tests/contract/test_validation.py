"""The gate's building blocks without a server: stream grammar, event and body validation, masking,
fingerprints and the baseline file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatgate.contract.baseline import load_baseline, write_baseline
from chatgate.contract.findings import Finding, curl_command, scrub
from chatgate.errors import UsageError
from contracts.validation import body_problems, event_problems, grammar_problems, streamed_content

OP = ("nara", "POST", "/api/v1.0/chat", 200)


def ev(name: str, **data: object) -> str:
    return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n"


START = ev("message_start", message_id=2, user_message_id=1, conversation_id="c")
END = ev("message_end", message_id=2, finish_reason="stop")


def stream(*parts: str) -> bytes:
    return "".join(parts).encode()


def titles(problems: list) -> set[str]:  # type: ignore[type-arg]
    return {p.title for p in problems}


def test_a_good_stream_has_no_problem() -> None:
    body = stream(
        START, ": ping\n\n", ev("delta", index=0, content="Hi "), ev("delta", index=1, content="you"), END
    )
    assert grammar_problems(body) == [] and event_problems(*OP, body) == []
    assert streamed_content(body) == "Hi you"


@pytest.mark.parametrize(
    ("body", "title"),
    [
        (stream(ev("delta", index=0, content="x"), END), "stream does not open with message_start"),
        (stream(START, ev("delta", index=0, content="x")), "no terminal event"),
        (stream(START, END, ev("delta", index=0, content="x")), "events after the terminal event"),
        (stream(START, END, END), "more than one terminal event"),
        (stream(START, ev("delta", index=1, content="x"), END), "delta indexes are not 0, 1, 2, ..."),
        (
            stream(START, ev("message_end", message_id=9, finish_reason="stop")),
            "message_end names another message",
        ),
        (
            stream(START, 'event: delta\ndata: {"type": "message_end"}\n\n', END),
            "event name differs from its data type",
        ),
        (stream(START, 'event: delta\ndata: {"type":'), "stream cut before its end"),
        (b"", "empty stream"),
    ],
)
def test_grammar_problems(body: bytes, title: str) -> None:
    assert title in titles(grammar_problems(body))


def test_event_schema_violation_names_its_json_path() -> None:
    body = stream(START, ev("delta", content="no index"), END)
    problems = event_problems(*OP, body)
    assert any("$.events[1].data" in p.message and "index" in p.message for p in problems)
    assert all("[1]" not in p.title for p in problems)  # titles stay stable across positions


def test_body_violation_names_its_json_path() -> None:
    page = {
        "data": [{"id": "7"}],
        "pagination": {"current_page": 1, "rows_per_page": 20, "total_rows": 1, "total_pages": 1},
    }
    problems = body_problems(
        "nara", "GET", "/api/v1.0/chat/messages", 200, "application/json", json.dumps(page).encode()
    )
    assert any(p.message.startswith("$.data[0].id:") for p in problems)
    assert "schema violation at $.data[*].id (type)" in titles(problems)
    assert body_problems("nara", "GET", "/api/v1.0/chat/messages", 200, "application/json", b"{") != []
    assert body_problems("nara", "GET", "/api/v1.0/chat/messages", 599, "application/json", b"{}") == []


def test_curl_masks_credentials_and_scrub_removes_keys() -> None:
    cmd = curl_command(
        "post", "http://h/x", {"authorization": "Bearer k-123456", "x-api-key": "k-abcdef"}, b'{"a":1}'
    )
    assert "k-123456" not in cmd and "k-abcdef" not in cmd
    assert "'Authorization: Bearer ***'" in cmd and "'X-Api-Key: ***'" in cmd and cmd.startswith("curl ")
    assert scrub("key k-123456 here", ["k-123456"]) == "key *** here"


def test_fingerprint_ignores_generated_details(tmp_path: Path) -> None:
    a = Finding("nara", "GET /x", "pagination", "pages overlap", "ids [3]", curl="curl a")
    b = Finding("nara", "GET /x", "pagination", "pages overlap", "ids [9]", curl="curl b")
    assert a.fingerprint == b.fingerprint
    assert a.fingerprint != Finding("nara", "GET /x", "ownership", "pages overlap", "").fingerprint
    path = tmp_path / "baseline.json"
    write_baseline(path, [a])
    assert load_baseline(path) == {a.fingerprint}


@pytest.mark.parametrize("text", ["{", "[]", '{"findings": [{"nope": 1}]}'])
def test_bad_baseline_is_a_usage_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(UsageError):
        load_baseline(path)
    with pytest.raises(UsageError, match="not found"):
        load_baseline(tmp_path / "missing.json")
