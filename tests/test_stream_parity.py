"""The gate and the load generator judge a stream alike: the same byte streams, the same verdict.

Each side keeps its own matcher (the gate lists every problem of a whole body, ``contracts.streams``;
the load generator stops at the first, on its hot path, ``chatgate.load.stream``), both built on the
spec model's compiled grammar and event roles. The verdicts line up as: the gate finds nothing and load
says OK (or ``stream_error``: a stream that ends in its error event is a valid stream, and a failed
request); the gate finds only a missing end and load says ``broken_stream``; anything else the gate
finds, load calls ``contract``. Run on today's spec and on evolved ones (an optional event; unknown
events ignored)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chatgate.contract_model import model_for
from chatgate.load.stream import judge_bytes
from contracts.streams import grammar_problems
from contracts.validation import event_problems
from tests.load import spec_variants
from tests.load.spec_variants import nara_rules, write_specs
from tests.load.test_stream_rules import END, ERROR, START, TODAY, USAGE, delta, deltas, ev

ENDS = {"stream cut before its end", "no terminal event", "empty stream"}


def _gate(body: bytes) -> str:
    """The gate's verdict class on a whole body (grammar and every event's schema)."""
    op = model_for("nara").streamed()[0]
    assert op.stream is not None
    titles = {p.title for p in grammar_problems(op.stream, body)}
    titles |= {p.title for p in event_problems("nara", op, op.stream, body)}
    if not titles:
        return "ok"
    return "broken_stream" if titles <= ENDS else "contract"


def _load(body: bytes) -> str:
    error = judge_bytes(nara_rules(), body, validate=True, complete=True).error
    return {None: "ok", "stream_error": "ok"}.get(error, error or "ok")


EVOLVED: list[tuple[str, bytes]] = [
    ("usage before the end", START + deltas(2) + USAGE + END),
    ("usage alone", START + USAGE + END),
    ("usage misplaced", START + USAGE + delta(0) + END),
    ("usage twice", START + USAGE + USAGE + END),
    ("usage with bad data", START + ev("usage", output_tokens=-1) + END),
    ("usage then error", START + USAGE + ERROR),
    ("cut after usage", START + deltas(2) + USAGE),
]


@pytest.mark.parametrize("body", [p.values[0] for p in TODAY], ids=[str(p.id) for p in TODAY])
def test_todays_spec_gives_one_verdict_on_both_sides(body: bytes) -> None:
    assert _gate(body) == _load(body)


@pytest.mark.parametrize(("name", "body"), EVOLVED, ids=[e[0] for e in EVOLVED])
def test_an_evolved_spec_gives_one_verdict_on_both_sides(
    name: str, body: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def edit(doc: dict[str, Any]) -> None:
        spec_variants.with_usage(doc)

    monkeypatch.setenv("CHATGATE_SPECS_DIR", str(write_specs(tmp_path / "specs", edit)))
    assert _gate(body) == _load(body), name


def test_unknown_events_ignored_give_one_verdict_on_both_sides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "CHATGATE_SPECS_DIR", str(write_specs(tmp_path / "specs", spec_variants.ignoring_unknown))
    )
    for body in (
        START + delta(0) + USAGE + delta(1) + ev("thinking", text="hmm") + END,
        USAGE + START + END,
        START + USAGE,
    ):
        assert _gate(body) == _load(body), body
