"""SSE events per generator CPU-second: chatgate's nara-stream-sends against a bare Locust FastHttpUser
that reads the same streams and only splits them into events (``load_bare_stream_locustfile.py``).

Usage: python bench/load_events_cpu.py [--users 50] [--seconds 20] [--warm 4] [--repeat 3]
       [--itl-ms 20] [--tokens 60] [--baseline DIR]

Both generators run as plain ``locust -f`` processes, alternately (chatgate, bare, chatgate, bare...),
against one embedded reference server paced at TTFT 100 ms and ``--itl-ms`` between ``--tokens``
deltas. The server runs on CPU 1 and each generator on CPU 0 (taskset), so neither steals the other's
core. Each process measures its own CPU time and its completed streams over the steady state only
(``bench/load_cpu_probe.py``: from ``--warm`` seconds after the start to the stop). Every stream
carries the same events (message_start, the deltas, message_end), so events = streams x that count.
chatgate times every event, parses it as JSON and validates it against the spec; a last chatgate run
prints its own counters to show that every event received was timed and validated.

``--baseline DIR`` adds another checkout (``git archive <commit> | tar -x -C DIR``) as a third contender in
each round (its ``loadtests/nara_stream_sends.py`` with its ``src/`` first on ``PYTHONPATH``): before and
after a change, side by side against the same bare script.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from chatgate.embedded import EmbeddedServer
from chatgate.load.config import load_options
from chatgate.load.runner import run_load

HERE = Path(__file__).resolve().parent
for _name, _value in (("NARA_API_KEY", "nara-dev-key-1001"), ("NARA_USER_ID", "1001")):
    os.environ.setdefault(_name, _value)
LOADTESTS = HERE.parent / "loadtests"
PIN = ["taskset", "-c", "0"] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []


def run_locust(
    locustfile: Path, url: str, a: argparse.Namespace, env: dict[str, str], cwd: Path | None = None
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.json"
        cmd = [*PIN, sys.executable, "-m", "locust", "-f", f"{locustfile},{HERE / 'load_cpu_probe.py'}",
               "--headless", "-u", str(a.users), "-r", str(a.users), "-t", f"{a.seconds}s", "-H", url,
               "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "0"]  # fmt: skip
        full = {**os.environ, **env, "BENCH_OUT": str(out), "BENCH_WARM_S": str(a.warm)}
        subprocess.run(cmd, env=full, check=False, capture_output=True, timeout=a.seconds + 120, cwd=cwd)
        data: dict[str, float] = json.loads(out.read_text(encoding="utf-8"))
        return data


def counters(url: str, a: argparse.Namespace) -> str:
    """A short ``chatgate load`` run on the same server: its counters of events received, timed, validated."""
    with tempfile.TemporaryDirectory() as tmp:
        opts = load_options(
            "nara-stream-sends", users=a.users, run_time_s=8.0, base_url=url, report_dir=Path(tmp),
            generator_prefix=tuple(PIN), extra_env={"CHATGATE_MESSAGE_LENGTHS": "27:1"},
        )  # fmt: skip
        st = run_load(opts).summary.streams
    return (
        f"chatgate's own counters ({a.users} users, 8 s): {st.events} events received, "
        f"{st.events_validated} validated against the spec, {st.deltas} deltas of which {st.deltas_timed} "
        f"timed (TTFT or a gap), {st.comments} comments, {st.buffered} buffered streams"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--warm", type=float, default=4.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--itl-ms", type=float, default=20.0)
    ap.add_argument("--tokens", type=int, default=60)
    ap.add_argument("--baseline", type=Path, help="another checkout, run side by side")
    a = ap.parse_args()
    per_stream = a.tokens + 2
    ours_env = {"CHATGATE_MESSAGE_LENGTHS": "27:1", "NARA_API_KEY": "nara-dev-key-1001"}
    server_args = ["--ttft-ms", "100", "--itl-ms", str(a.itl_ms), "--reply-tokens", str(a.tokens)]
    ratios: dict[str, list[float]] = {"chatgate / bare": [], "baseline / bare": [], "chatgate / baseline": []}
    files = {"chatgate": (LOADTESTS / "nara_stream_sends.py", ours_env, None)}
    if a.baseline is not None:
        base = a.baseline.resolve()
        env = {**ours_env, "PYTHONPATH": str(base / "src")}
        files["baseline"] = (base / "loadtests/nara_stream_sends.py", env, base)
    files["bare"] = (HERE / "load_bare_stream_locustfile.py", {}, None)
    with EmbeddedServer(server_args) as server:
        if PIN and server.proc is not None:
            subprocess.run(["taskset", "-pc", "1", str(server.proc.pid)], check=False, capture_output=True)
        for round_ in range(1, a.repeat + 1):
            order = list(files) if round_ % 2 else [*reversed(list(files)[:-1]), "bare"]  # fair to both
            runs = {name: run_locust(files[name][0], server.base_url, a, files[name][1], files[name][2])
                    for name in order}  # fmt: skip
            rates = {name: _rate(round_, name, r, per_stream) for name, r in runs.items()}
            for name in ("chatgate", "baseline"):
                if name in rates:
                    ratios[f"{name} / bare"].append(rates[name] / rates["bare"])
                    print(f"round {round_}: {name} / bare {rates[name] / rates['bare']:.3f}")
            if "baseline" in rates:
                ratios["chatgate / baseline"].append(rates["chatgate"] / rates["baseline"])
                print(f"round {round_}: chatgate / baseline {rates['chatgate'] / rates['baseline']:.3f}")
        print(counters(server.base_url, a))
    for name, got in ratios.items():
        if got:
            median = statistics.median(got)
            print(f"median ratio ({name} events per CPU-second) over {a.repeat} rounds: {median:.3f}")


def _rate(round_: int, name: str, r: dict[str, float], per_stream: int) -> float:
    ev = r["requests"] * per_stream
    print(
        f"round {round_}: {name}: {ev:.0f} events in {r['wall_s']:.1f} s, {r['cpu_s']:.2f} CPU-s, "
        f"{ev / r['cpu_s']:.0f} events/CPU-s ({1e6 * r['cpu_s'] / ev:.1f} us/event)"
    )
    return ev / r["cpu_s"]


if __name__ == "__main__":
    main()
