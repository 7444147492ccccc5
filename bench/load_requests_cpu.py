"""Requests per generator CPU-second on each scenario's own request mix: chatgate against a bare Locust
FastHttpUser sending that mix (``load_bare_mix_locustfile.py``).

Usage: python bench/load_requests_cpu.py [--scenarios all] [--users 20] [--seconds 15] [--warm 3]
       [--repeat 3]

For each scenario, both generators run as plain ``locust -f`` processes, alternately, against one
embedded reference server per scenario (seeded with 300 messages a user; replies not paced, 12
deltas), the server
on CPU 1 and the generator on CPU 0. Each process measures its own CPU time and its successful
requests over the steady state (``load_cpu_probe.py``). chatgate validates every response against the
spec and keeps its per-request rows and histograms; the bare script does neither.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
from pathlib import Path

from load_events_cpu import LOADTESTS, PIN, run_locust

from chatgate.embedded import EmbeddedServer

HERE = Path(__file__).resolve().parent
SCENARIOS = {
    "nara-stream-sends": "nara_stream_sends.py",
    "nara-paginated-reads": "nara_paginated_reads.py",
    "navigable-reads": "navigable_reads.py",
    "navigable-sends": "navigable_sends.py",
    "mixed": "mixed.py",
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenarios", default="all")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--warm", type=float, default=3.0)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    names = list(SCENARIOS) if a.scenarios == "all" else a.scenarios.split(",")
    ours_env = {"CHATGATE_MESSAGE_LENGTHS": "27:1", "CHATGATE_NAVIGABLE_IDENTIFIER": "seed-1"}
    table = []
    for name in names:
        # a fresh server per scenario: the sends of one would grow the listings the next one walks
        with EmbeddedServer(["--seed-messages", "300"]) as server:
            if PIN and server.proc is not None:
                subprocess.run(
                    ["taskset", "-pc", "1", str(server.proc.pid)], check=False, capture_output=True
                )
            ratios = []
            for round_ in range(1, a.repeat + 1):
                ours = run_locust(LOADTESTS / SCENARIOS[name], server.base_url, a, ours_env)
                bare = run_locust(
                    HERE / "load_bare_mix_locustfile.py", server.base_url, a, {"BENCH_SCENARIO": name}
                )
                rates = [r["requests"] / r["cpu_s"] for r in (ours, bare)]
                ratios.append(rates[0] / rates[1])
                print(
                    f"{name} round {round_}: chatgate {rates[0]:.0f} req/CPU-s "
                    f"({ours['requests']} requests), "
                    f"bare {rates[1]:.0f} req/CPU-s ({bare['requests']}); ratio {ratios[-1]:.3f}",
                    flush=True,
                )
            table.append((name, statistics.median(ratios)))
    print("| scenario | median ratio (chatgate / bare requests per CPU-second) |")
    print("| --- | ---: |")
    for name, ratio in table:
        print(f"| {name} | {ratio:.3f} |")


if __name__ == "__main__":
    main()
