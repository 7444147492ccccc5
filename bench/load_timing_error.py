"""Timing error against the server's injected truth, and the generator's own timer lag beside it.

Usage: python bench/load_timing_error.py [--streams 10,100,300] [--seconds 15] [--itl-ms 20]

Each level runs nara-stream-sends in the closed model with N users (N concurrent streams) against the
embedded server paced at TTFT 200 ms and ``--itl-ms`` between 12 deltas, the server on CPU 1 and the
generator on CPU 0. Columns: the reported TTFT p50 and ITL p50/p99/max minus the truth, beside the
known-delay probe's lag p99 and max (``loop_lag``). The calibration claim of ``[monitor]`` in
``loadtests/slo.toml``: the ITL error at p99 (and at max) stays within the probe's lag at p99 (max)
plus the server's own jitter, so judging the probe at p99 and max bounds the error of what the SLOs
judge at those percentiles.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from chatgate.embedded import EmbeddedServer
from chatgate.load.config import load_options
from chatgate.load.runner import run_load

for _name, _value in (("NARA_API_KEY", "nara-dev-key-1001"), ("NAVIGABLE_API_KEY", "navigable-dev-key")):
    os.environ.setdefault(_name, _value)
os.environ.setdefault("NARA_USER_ID", "1001")
PIN = ("taskset", "-c", "0") if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else ()
TTFT = 200.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--streams", default="10,100,300")
    ap.add_argument("--itl-ms", type=float, default=20.0)
    a = ap.parse_args()
    itl = a.itl_ms
    print(
        "| streams | TTFT p50 err | ITL p50 err | ITL p99 err | ITL max err | lag p99 | lag max | verdict |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for n in (int(x) for x in a.streams.split(",")):
        args = ["--ttft-ms", str(TTFT), "--itl-ms", str(itl), "--reply-tokens", "12"]
        with EmbeddedServer(args) as server, tempfile.TemporaryDirectory() as tmp:
            if PIN and server.proc is not None:
                subprocess.run(
                    ["taskset", "-pc", "1", str(server.proc.pid)], check=False, capture_output=True
                )
            opts = load_options(
                "nara-stream-sends", users=n, spawn_rate=float(min(n, 100)), run_time_s=float(a.seconds),
                base_url=server.base_url, report_dir=Path(tmp), generator_prefix=PIN,
            )  # fmt: skip
            r = run_load(opts)
            s = r.summary
            lag = max((w.loop_lag for w in s.workers), key=lambda x: x.p99)
            print(
                f"| {n} | {s.ttft.p50 - TTFT:+.2f} | {s.itl.p50 - itl:+.2f} | {s.itl.p99 - itl:+.2f} "
                f"| {s.itl.max - itl:+.2f} | {lag.p99:.2f} | {lag.max:.2f} | {r.verdict.verdict} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
