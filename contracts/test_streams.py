"""Streamed answers: ``stream_grammar``, ``stream_mode`` and ``stream_equivalence`` (see CHECKS), on every
operation whose spec states a stream (``x-chatgate-stream``).

``stream_grammar`` holds streams to the spec's grammar and stream rules (:mod:`contracts.streams`).
``stream_mode`` holds the field that selects the form (``select``): its value answers
``text/event-stream``, another value or its absence the JSON form, whatever ``Accept`` says.
``stream_equivalence`` holds each reply to its own stored copy, as the spec's read-back rules state it
for sampled models: what the stream carried is what the listing reads back, and a reply of the other
form likewise; only with deterministic replies (``CHATGATE_DETERMINISTIC_REPLIES=1``; ``chatgate
contract`` sets it for the embedded server) is a streamed reply also compared with the other form's
reply to the same input. Streams the transport did not read to their end (cut, stalled, capped) are left
to ``transport``, ``stream_grammar`` and ``stream_stalled``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chatgate.contract_model import Operation, build_body, model_for
from contracts.client import Client, Exchange
from contracts.readback import call_of, read_back, rule_for
from contracts.rules import rule_params
from contracts.session import Suite
from contracts.streams import grammar_problems, stream_content
from contracts.validation import Problem

SSE = "text/event-stream"
JSON = "application/json"


def _session(tag: str) -> str:
    return f"chatgate-{tag}-{uuid.uuid4().hex[:10]}"


def _send(client: Client, op: Operation, message: str, session: str, stream: bool | None,
          **headers: str) -> tuple[Exchange, dict[str, Any]]:  # fmt: skip
    body = build_body(op, message=message, session=session, stream=stream)
    return client.request(op, json=body, headers=headers), body


def _op(suite: Suite, api: str, label: str) -> tuple[Client, Operation]:
    op = model_for(api).by_label(label)
    assert op is not None
    return suite.client(api), op


@pytest.mark.parametrize(("api", "operation"), rule_params("stream_grammar", writes=True))
def test_stream_grammar(suite: Suite, api: str, operation: str) -> None:
    client, op = _op(suite, api, operation)
    s = op.stream
    assert s is not None

    def one(case: tuple[int, str]) -> None:
        i, message = case
        ex, _ = _send(client, op, message, _session("grammar"), True)
        problems: list[Problem] = []
        if not 200 <= ex.status < 300 or ex.content_type != SSE:
            found = f"case {i}: {ex.status} {ex.content_type or '-'}"
            problems.append(Problem("streamed send gave no event stream", found))
        elif ex.wire is not None and not ex.wire.complete and not ex.wire.cut:
            return  # stalled or capped: stream_stalled and the transport report it
        else:
            problems = grammar_problems(s, ex.body, cut=ex.cut)
        suite.gate.check(api, op.label, "stream_grammar", problems, client.example(ex))

    suite.map(one, list(enumerate(["Hello!", "Tell me about pagination, in a few words.", "x"])))


MODES: dict[str, bool | None] = {"selected": True, "other-value": False, "absent": None}


def _modes(op: Operation) -> list[str]:
    """The select field set to its value, to another value and absent (the last two only when the
    operation documents a JSON answer too)."""
    return list(MODES) if op.success(JSON) is not None else ["selected"]


@pytest.mark.parametrize(
    ("api", "operation", "mode"),
    rule_params("stream_mode", writes=True, extra=_modes),
)
def test_stream_mode(suite: Suite, api: str, operation: str, mode: str) -> None:
    client, op = _op(suite, api, operation)
    selected = MODES[mode]
    expected = SSE if selected else JSON
    s = op.stream
    assert s is not None
    what = f"{s.select_field} {mode}"

    def one(accept: str | None) -> None:
        headers = {"Accept": accept} if accept else {}
        ex, _ = _send(client, op, "Which form?", _session("mode"), selected, **headers)
        problems = []
        if not 200 <= ex.status < 300 or ex.content_type != expected:
            found = f"{what}, Accept={accept or '(none)'}: got {ex.status} {ex.content_type or '-'}"
            problems.append(Problem(f"{what} does not answer {expected}", found))
        suite.gate.check(api, op.label, "stream_mode", problems, client.example(ex))

    suite.map(one, [None, JSON, SSE, "*/*"])


def _copies(
    suite: Suite, api: str, op: Operation, pair: list[tuple[Exchange, dict[str, Any]]]
) -> tuple[list[Problem], list[Exchange]]:
    """Each reply of the pair against its own stored copy, as the read-back rule of its form says; and
    the listing's exchanges read."""
    model, client = model_for(api), suite.client(api)
    problems: list[Problem] = []
    read: list[Exchange] = []
    for (ex, sent), form in zip(pair, ("streamed", "non-streamed"), strict=True):
        rule = rule_for(model, op, ex.content_type)
        if rule is None:
            continue
        found, taken = read_back(model, client, rule, call_of(op, ex, sent, client.target.user_id), form)
        problems += found
        read += taken
    return problems, read


def _same_reply(op: Operation, streamed: Exchange, plain: Exchange) -> list[Problem]:
    """With deterministic replies: the streamed content is the other form's reply (the value the read-back
    rules bind to the same stored field)."""
    s = op.stream
    model = model_for(op.api)
    json_rule, sse_rule = rule_for(model, op, JSON), rule_for(model, op, SSE)
    if s is None or json_rule is None or sse_rule is None:
        return []
    field = next((f for r in sse_rule.rows for f, e in r.equal.items() if e.source == "content"), None)
    expr = next(
        (r.equal[field] for r in json_rule.rows if field in r.equal and r.equal[field].source == "response"),
        None,
    )
    if field is None or expr is None:
        return []
    text, reply = stream_content(s, streamed.body), expr.value(call_of(op, plain, None, None))
    if text == reply:
        return []
    found = f"streamed {text[:200]!r} vs non-streamed {str(reply)[:200]!r}"
    return [Problem("streamed content differs from the non-streamed reply", found)]


@pytest.mark.parametrize(("api", "operation"), rule_params("stream_equivalence", writes=True))
def test_stream_equivalence(suite: Suite, api: str, operation: str) -> None:
    client, op = _op(suite, api, operation)

    def pair(message: str) -> None:
        session = _session("equiv")
        streamed, plain = suite.map(lambda stream: _send(client, op, message, session, stream), (True, False))
        ok = 200 <= streamed[0].status < 300 and streamed[0].content_type == SSE
        read: list[Exchange] = []
        if not ok or not 200 <= plain[0].status < 300:
            found = (
                f"streamed: {streamed[0].status} {streamed[0].content_type}; "
                f"other form: {plain[0].status} {plain[0].content_type}"
            )
            problems = [Problem("no reply pair to compare", found)]
        elif not streamed[0].whole or not plain[0].whole:
            return  # not read to its end: transport, stream_grammar and stream_stalled report it
        else:
            problems, read = _copies(suite, api, op, [streamed, plain])
            if suite.settings.deterministic_replies:
                problems += _same_reply(op, streamed[0], plain[0])
        also = [client.example(e) for e in (plain[0], *read)] if problems else []
        suite.gate.check(api, op.label, "stream_equivalence", problems, client.example(streamed[0]), also)

    suite.map(pair, ["Is the stream the same?", "Zwei Wörter, bitte."])
