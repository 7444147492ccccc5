"""The gate's building blocks without a server: stream grammar, event and body validation, masking,
fingerprints and the baseline file (versions 1 and 2)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest

from chatgate.artifacts import scrub
from chatgate.contract_model import StreamModel, model_for
from chatgate.errors import UsageError
from chatgate.gate.baseline import compare, load_baseline, render_baseline
from chatgate.gate.ledger import Ledger
from chatgate.gate.model import Example, Finding, mask_headers
from chatgate.gate.reproduce import curl
from chatgate.gate.scope import Scope
from contracts.gate import Gate
from contracts.streams import grammar_problems, stream_content
from contracts.validation import body_problems, event_problems


def _streamed() -> tuple[object, StreamModel]:
    op = model_for("nara").streamed()[0]
    assert op.stream is not None
    return op, op.stream


OP, STREAM = _streamed()


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
    assert grammar_problems(STREAM, body) == [] and event_problems("nara", OP, STREAM, body) == []  # type: ignore[arg-type]
    assert stream_content(STREAM, body) == "Hi you"


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
        (stream(START, ev("usage", tokens=3), END), "unknown event name"),
    ],
)
def test_grammar_problems(body: bytes, title: str) -> None:
    assert title in titles(grammar_problems(STREAM, body))


def test_event_schema_violation_names_its_json_path() -> None:
    body = stream(START, ev("delta", content="no index"), END)
    problems = event_problems("nara", OP, STREAM, body)  # type: ignore[arg-type]
    assert problems is not None
    assert {p.spec_pointer for p in problems} == {"/components/schemas/DeltaData/required"}
    assert any("$.events[1].data" in p.message and "index" in p.message for p in problems)
    assert all("[1]" not in p.title for p in problems)  # titles stay stable across positions


def test_body_violation_names_its_json_path_and_its_schema() -> None:
    page = {
        "data": [{"id": "7"}],
        "pagination": {"current_page": 1, "rows_per_page": 20, "total_rows": 1, "total_pages": 1},
    }
    problems = body_problems(
        "nara", "GET", "/api/v1.0/chat/messages", 200, "application/json", json.dumps(page).encode()
    )
    assert problems is not None
    assert any(p.message.startswith("$.data[0].id:") for p in problems)
    assert "schema violation at $.data[*].id (type)" in titles(problems)
    wrong_type = next(p for p in problems if p.title.endswith("(type)"))
    assert wrong_type.spec_pointer == "/components/schemas/ChatMessage/properties/id/type"
    # each missing property is its own violation: distinct signatures, so distinct findings
    required = [p for p in problems if "(required" in p.title]
    assert len(required) == 5 and len({p.key for p in required}) == 5
    assert body_problems("nara", "GET", "/api/v1.0/chat/messages", 200, "application/json", b"{") != []
    assert body_problems("nara", "GET", "/api/v1.0/chat/messages", 599, "application/json", b"{}") is None


def test_curl_masks_credentials_and_scrub_removes_keys() -> None:
    headers = mask_headers({"authorization": "Bearer k-123456", "x-api-key": "k-abcdef"})
    cmd = curl(Example("post", "http://h/x", tuple(headers.items()), '{"a":1}'))
    assert "k-123456" not in cmd and cmd.startswith("curl ")
    assert "'Authorization: Bearer ***'" in cmd  # HTTP's own credential header, outside the suite
    assert scrub("key k-123456 here", ["k-123456"]) == "key *** here"


def test_a_reproducer_holds_keys_as_variables_and_runs_as_printed() -> None:
    """The suite writes each key as a reference to its variable (its Basic form too): the curl holds no
    key, quotes everything else, reads a stream unbuffered, and a shell with the variables set sends
    exactly what the check sent."""
    gate = Gate(Ledger(), {"NARA_API_KEY": "k-123456", "NAVIGABLE_API_KEY": "k-abc+def"}, Scope())
    basic = base64.b64encode(b"k-123456:").decode()
    sent = {"Authorization": f"Basic {basic}", "X-Api-Key": "k-abc+def", "X-Note": 'it"s $HOME'}
    example = gate.example("GET", "http://h/x?api_key=k-123456&q=1", sent, '{"a": "$PATH"}', 200, b"data",
                           "text/event-stream; charset=utf-8")  # fmt: skip
    cmd = curl(example)
    assert "k-123456" not in cmd and "k-abc" not in cmd and basic not in cmd
    assert cmd.startswith("curl -sS -N ") and "${NAVIGABLE_API_KEY}" in cmd and "${NARA_API_KEY}" in cmd
    echo = "printf '%s\\n' " + cmd.removeprefix("curl -sS -N ")
    env = {"PATH": os.environ["PATH"], "NARA_API_KEY": "k-123456", "NAVIGABLE_API_KEY": "k-abc+def"}
    out = subprocess.run(["sh", "-c", echo], capture_output=True, text=True, env=env, check=True).stdout
    assert f"Authorization: Basic {basic}" in out and "X-Api-Key: k-abc+def" in out
    assert 'X-Note: it"s $HOME' in out and '{"a": "$PATH"}' in out  # nothing else expands
    assert "http://h/x?api_key=k-123456&q=1" in out


def _finding(
    check: str = "pagination", signature: str = "pages overlap", title: str = "pages overlap"
) -> Finding:
    return Finding("nara", "GET /x", check, title, signature, "ids [3]")


def test_fingerprint_ignores_generated_details() -> None:
    a = _finding()
    b = Finding(
        "nara", "GET /x", "pagination", "pages overlap", "pages overlap", "ids [9]", (Example("GET", "u"),)
    )
    assert a.fingerprint == b.fingerprint
    assert a.fingerprint != _finding(check="ownership").fingerprint
    assert a.fingerprint != _finding(signature="200 /components/schemas/X/type at $.id").fingerprint


def test_baseline_new_known_stale_and_notes(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    kept, fixed = _finding(), _finding(signature="totals", title="totals change")
    path.write_text(render_baseline([kept, fixed], None, lambda _e: True))
    data = json.loads(path.read_text())
    data["findings"][0]["note"] = "JIRA-12"
    path.write_text(json.dumps(data))
    baseline = load_baseline(path)
    new = _finding(signature="other", title="other")
    result = compare(baseline, [kept, new], lambda _e: True)
    assert result.known == {kept.fingerprint} and [e.title for e in result.stale] == ["totals change"]
    rewritten = json.loads(render_baseline([kept, new], baseline, lambda _e: True))
    assert {e["title"] for e in rewritten["findings"]} == {"pages overlap", "other"}  # stale dropped
    assert [e["note"] for e in rewritten["findings"] if e["title"] == "pages overlap"] == ["JIRA-12"]
    # an entry the run could not have seen (out of scope) is neither stale nor dropped
    assert compare(baseline, [kept], lambda _e: False).stale == ()
    assert len(json.loads(render_baseline([], baseline, lambda _e: False))["findings"]) == 2


def test_a_version_1_baseline_still_loads_and_is_rewritten(tmp_path: Path) -> None:
    finding = _finding(signature="200 /components/x at $.id", title="schema violation at $.id (type)")
    path = tmp_path / "v1.json"
    legacy = {"fingerprint": finding.legacy_fingerprint, "api": "nara", "operation": "GET /x",
              "check": "pagination", "title": finding.title}  # fmt: skip
    path.write_text(json.dumps({"version": 1, "findings": [legacy]}))
    baseline = load_baseline(path)
    assert baseline.version == 1
    assert compare(baseline, [finding], lambda _e: True).known == {finding.fingerprint}
    rewritten = json.loads(render_baseline([finding], baseline, lambda _e: True))
    assert rewritten["version"] == 2
    assert rewritten["findings"][0]["fingerprint"] == finding.fingerprint
    assert rewritten["findings"][0]["signature"] == finding.signature


@pytest.mark.parametrize("text", ["{", "[]", '{"findings": [{"nope": 1}]}', '{"version": 9, "findings": []}'])
def test_bad_baseline_is_a_usage_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(UsageError):
        load_baseline(path)
    with pytest.raises(UsageError, match="not found"):
        load_baseline(tmp_path / "missing.json")
