"""The load generator's stream matcher on byte streams: today's grammar and evolved specs (an optional
event, a renamed content event, unknown events ignored or rejected), index gaps, link mismatches, the
error terminal, cut streams. Each verdict is the one the gate gives the same bytes (DESIGN.md)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from chatgate.load.outcome import Outcome
from chatgate.load.stream import Events, StreamRules, judge_bytes
from chatgate.load.validators import Validators
from tests.load import spec_variants
from tests.load.spec_variants import nara_rules, write_specs


def ev(name: str, **data: Any) -> bytes:
    return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n".encode()


START = ev("message_start", message_id=2, user_message_id=1, conversation_id="c")
END = ev("message_end", message_id=2, finish_reason="stop")
ERROR = ev("error", code="overloaded", message="try again")
USAGE = ev("usage", output_tokens=3)


def delta(i: int, name: str = "delta") -> bytes:
    return ev(name, index=i, content="x")


def deltas(n: int, name: str = "delta") -> bytes:
    return b"".join(delta(i, name) for i in range(n))


@pytest.fixture
def specs_at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``specs_at(edit)``: the specs in use become a copy with Nara's edited; its stream rules."""

    def use(*edits: spec_variants.Edit) -> StreamRules:
        def edit(doc: dict[str, Any]) -> None:
            for e in edits:
                e(doc)

        monkeypatch.setenv("CHATGATE_SPECS_DIR", str(write_specs(tmp_path / "specs", edit)))
        return nara_rules()

    return use


def verdict(rules: StreamRules, body: bytes, *, validate: bool = True, complete: bool = True) -> Outcome:
    return judge_bytes(rules, body, validate=validate, complete=complete)


TODAY = [
    pytest.param(START + deltas(3) + END, None, "", id="complete"),
    pytest.param(START + b": ping\n\n" + END, None, "", id="no content, a ping"),
    pytest.param(START + deltas(2) + ERROR, "stream_error", "terminal 'error'", id="error terminal"),
    pytest.param(delta(0) + START + END, "contract", "opens with 'delta'", id="opening not first"),
    pytest.param(START + START + END, "contract", "'message_start' after 'message_start'", id="twice"),
    pytest.param(START + END + delta(0), "contract", "after terminal 'message_end'", id="after the end"),
    pytest.param(START + END + END, "contract", "after terminal", id="two terminals"),
    pytest.param(START + delta(0) + delta(2) + END, "contract", "index 2 where 1 was due", id="index gap"),
    pytest.param(START + delta(1) + END, "contract", "index 1 where 0 was due", id="index from 1"),
    pytest.param(START + ev("delta", content="x") + END, "contract", "index None", id="no index"),
    pytest.param(
        START + ev("message_end", message_id=3, finish_reason="stop"), "contract", "message_id 3, earlier",
        id="link mismatch",
    ),
    pytest.param(START + USAGE + END, "contract", "unknown event 'usage'", id="unknown rejected"),
    pytest.param(START + b"event: delta\ndata: {\n\n" + END, "contract", "not a JSON object", id="not JSON"),
    pytest.param(START + b"event: delta\ndata: [1]\n\n" + END, "contract", "not a JSON object", id="array"),
    pytest.param(
        START + b'event: delta\ndata: {"type":"message_end","index":0,"content":"x"}\n\n' + END, "contract",
        "type is 'message_end'", id="name differs from type",
    ),
    pytest.param(START + deltas(2), "broken_stream", "expected one of ['delta', 'message_end'", id="no end"),
    pytest.param(START + delta(0) + b"event: delta\ndata: {", "broken_stream", "cut mid-event", id="cut"),
    pytest.param(b"", "broken_stream", "expected one of ['message_start']", id="empty"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "error", "detail"), TODAY)
def test_todays_grammar(body: bytes, error: str | None, detail: str) -> None:
    out = verdict(nara_rules(), body)
    assert out.error == error and detail in out.detail, out.detail


def test_schema_validation_is_sampled_but_grammar_index_and_link_are_always_checked() -> None:
    rules = nara_rules()
    bad_schema = START + ev("delta", index=0, content=7) + END
    assert verdict(rules, bad_schema).error == "contract"
    assert verdict(rules, bad_schema, validate=False).error is None  # its schema alone says it is wrong
    for body in (START + delta(1) + END, delta(0) + END, START + END + END):
        out = verdict(rules, body, validate=False)
        assert out.error == "contract" and out.validated == 0, out.detail


def test_content_events_are_the_tokens_and_the_tail_gap_ends_at_the_terminal() -> None:
    rules, out = nara_rules(), Outcome("nara.stream", sent=0.0)
    events = Events(out, rules, Validators())
    for at, raw in [(0.1, START), (0.3, delta(0)), (0.32, delta(1)), (0.35, delta(2)), (0.6, END)]:
        [(name, data, _)] = _split(raw)
        events.on(name, data, at)
        assert (events.state in rules.stops) is (raw is END)
    events.finish(False, True)
    assert out.error is None and out.deltas == 3 and out.validated == 5
    assert out.ttft_s == pytest.approx(0.3) and out.gaps == pytest.approx([0.02, 0.03])
    assert out.tail_gap_s == pytest.approx(0.25)


def _split(raw: bytes) -> list[tuple[str, bytes | str, float]]:
    from chatgate.sse import EventSplitter

    return [(n, d, t) for n, d, t in EventSplitter().feed(raw, 0.0)]


def test_an_optional_event_the_grammar_declares(specs_at: Any) -> None:
    rules = specs_at(spec_variants.with_usage)
    assert verdict(rules, START + deltas(3) + USAGE + END).error is None
    assert verdict(rules, START + deltas(3) + END).error is None  # optional: absent is fine too
    assert verdict(rules, START + USAGE + ERROR).error == "stream_error"
    misplaced = verdict(rules, START + USAGE + delta(0) + END)
    assert misplaced.error == "contract" and "'delta' after 'usage'" in misplaced.detail
    assert verdict(rules, START + USAGE + USAGE + END).error == "contract"
    bad = verdict(rules, START + ev("usage", output_tokens=-1) + END)
    assert bad.error == "contract" and "output_tokens" in bad.detail  # its own data schema
    cut = verdict(rules, START + deltas(2) + USAGE)
    assert cut.error == "broken_stream" and "['message_end', 'error']" in cut.detail


def test_a_renamed_content_event_is_the_token(specs_at: Any) -> None:
    rules = specs_at(spec_variants.renamed_content_event)
    out = verdict(rules, START + deltas(4, "content_delta") + END)
    assert out.error is None and out.deltas == 4 and out.validated == 6 and len(out.gaps) == 3
    old = verdict(rules, START + deltas(1) + END)
    assert old.error == "contract" and "unknown event 'delta'" in old.detail
    gap = verdict(rules, START + delta(0, "content_delta") + delta(2, "content_delta") + END)
    assert gap.error == "contract" and "index 2 where 1 was due" in gap.detail


def test_unknown_events_ignored_or_rejected(specs_at: Any) -> None:
    body = START + delta(0) + USAGE + delta(1) + ev("thinking", text="hmm") + END
    assert verdict(nara_rules(), body).error == "contract"
    rules = specs_at(spec_variants.ignoring_unknown)
    out = verdict(rules, body)
    assert out.error is None and out.events == 6 and out.deltas == 2 and out.validated == 4
    # a known event out of place is still a grammar error, and an unknown one is no way around it
    assert verdict(rules, USAGE + START + END).error is None
    assert verdict(rules, START + USAGE).error == "broken_stream"


def test_the_matcher_is_cheap_enough_for_the_hot_path() -> None:
    """Not a benchmark (bench/load_events_cpu.py is): a guard against a per-event cost that grows with
    the stream (e.g. a list scanned per event)."""
    rules, body = nara_rules(), START + deltas(2000) + END
    started = time.process_time()
    out = verdict(rules, body, validate=False)
    assert out.error is None and out.deltas == 2000
    assert time.process_time() - started < 0.5
