"""CPU per stream event of the load generator's stream matcher alone, this checkout against another.

Usage: python bench/load_stream_match_cpu.py --baseline DIR [--streams 3000] [--tokens 60] [--repeat 5]

``DIR`` is another checkout (e.g. ``git worktree add /tmp/base <commit>`` or ``git archive <commit> | tar
-x -C DIR``): its ``src/`` is put first on ``PYTHONPATH`` of a child process, this checkout's in another,
alternately, ``--repeat`` rounds each. Each child feeds ``--streams`` streams of the shape the reference
server sends (``message_start``, ``--tokens`` content events, ``message_end``; one read per event) through
the fast splitter and the matcher of its own code, with every event validated against the spec (the
default, ``--validate-sample 1``) and with none validated (``--validate-sample 0``), and prints its CPU time
per event. No sockets and no server: what differs between the two is the per-event work of the matcher
(timing, grammar, index, link, JSON, schema), which ``bench/load_events_cpu.py`` measures inside a whole
Locust run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _body(tokens: int) -> list[bytes]:
    def ev(name: str, data: dict[str, Any]) -> bytes:
        text = json.dumps({"type": name, **data}, separators=(",", ":"))
        return f"event: {name}\ndata: {text}\n\n".encode()

    start = ev("message_start", {"message_id": 2, "user_message_id": 1, "conversation_id": "c"})
    deltas = [ev("delta", {"index": i, "content": f"tok{i} "}) for i in range(tokens)]
    return [start, *deltas, ev("message_end", {"message_id": 2, "finish_reason": "stop"})]


def _matcher() -> Any:
    """A factory (outcome, validators or None) -> the matcher of the code on sys.path."""
    try:
        from chatgate.contract_model import model_for
        from chatgate.load.stream import Events, StreamRules
    except ImportError:  # before issue 20: the matcher lived in chatgate.load.http
        from chatgate.load.http import _Events  # type: ignore[attr-defined]

        return lambda out, v: _Events(out, v)
    op = model_for("nara").streamed()[0]
    assert op.stream is not None
    rules = StreamRules("nara", op.stream)
    return lambda out, v: Events(out, rules, v)


def child(streams: int, tokens: int) -> dict[str, float]:
    from chatgate.load.outcome import Outcome
    from chatgate.load.validators import Validators
    from chatgate.sse import EventSplitter

    make, chunks = _matcher(), _body(tokens)
    validators = Validators()
    validators.warm()
    result = {}
    for label, v in (("validated", validators), ("not_validated", None)):
        for warm in (True, False):
            n = streams // 10 if warm else streams
            started = time.process_time()
            for _ in range(n):
                out = Outcome("nara.stream")
                events, splitter = make(out, v), EventSplitter()
                for i, chunk in enumerate(chunks):
                    for name, data, at in splitter.feed(chunk, float(i)):
                        events.on(name, data, at)
                events.finish(splitter.close(), True)
                assert out.error is None, out.detail
            if not warm:
                result[label] = 1e6 * (time.process_time() - started) / (n * len(chunks))
    return result


def run(src: Path, a: argparse.Namespace) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, __file__, "--child", "--streams", str(a.streams), "--tokens", str(a.tokens)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, cwd=src.parent)
    data: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return data


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", type=Path)
    ap.add_argument("--streams", type=int, default=3000)
    ap.add_argument("--tokens", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--child", action="store_true")
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.streams, a.tokens)))
        return
    contenders = {"this": HERE.parent / "src"}
    if a.baseline is not None:
        contenders["baseline"] = a.baseline.resolve() / "src"
    got: dict[str, dict[str, list[float]]] = {n: {"validated": [], "not_validated": []} for n in contenders}
    for round_ in range(1, a.repeat + 1):
        for name, src in contenders.items():
            r = run(src, a)
            for k, v in r.items():
                got[name][k].append(v)
            print(f"round {round_}: {name}: {r['validated']:.2f} us/event validated, "
                  f"{r['not_validated']:.2f} us/event not validated")  # fmt: skip
    for name, series in got.items():
        med = {k: statistics.median(v) for k, v in series.items()}
        line = ", ".join(f"{med[k]:.2f} us/event {k.replace('_', ' ')} ({1e6 / med[k]:,.0f} events/CPU-s)"
                         for k in ("validated", "not_validated"))  # fmt: skip
        print(f"median {name}: {line}")


if __name__ == "__main__":
    main()
