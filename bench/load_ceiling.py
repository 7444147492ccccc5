"""Concurrency ceiling: the most concurrent 10 s streams (50 ms between deltas) one generator process
holds with achieved >= 98% of offered, TTFT p50 error <= 5 ms and ITL p99 error <= 5 ms against the
server's own pacing, as a valid measurement.

Usage: python bench/load_ceiling.py [--low 10] [--high 100] [--steps 4] [--seconds 25] [--warmup 12]

Open model at R arrivals/s of 10 s streams (TTFT 200 ms, 196 gaps of 50 ms) holds about 10 R streams
once the warm-up is over. The server runs on CPU 1, the generator on CPU 0 (``taskset``); a bisection
on R between ``--low`` and ``--high``. Each level prints what it saw and which criterion failed, and
the generator's CPU and timer lag, which say whether the generator or the server was the limit. It is
sensitive to everything else running on the machine: run it alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from chatgate.embedded import EmbeddedServer
from chatgate.load.config import load_options
from chatgate.load.runner import run_load

os.environ.setdefault("NARA_API_KEY", "nara-dev-key-1001")
os.environ.setdefault("NARA_USER_ID", "1001")
PIN = ("taskset", "-c", "0") if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else ()
TTFT, ITL, TOKENS = 200.0, 50.0, 197  # 200 ms + 196 x 50 ms = 10 s


def level(rate: float, a: argparse.Namespace) -> tuple[bool, str]:
    args = ["--ttft-ms", str(TTFT), "--itl-ms", str(ITL), "--reply-tokens", str(TOKENS)]
    with EmbeddedServer(args) as server, tempfile.TemporaryDirectory() as tmp:
        if PIN and server.proc is not None:
            subprocess.run(["taskset", "-pc", "1", str(server.proc.pid)], check=False, capture_output=True)
        opts = load_options(
            "nara-stream-sends", arrival_rate=rate, run_time_s=float(a.seconds), warmup_s=float(a.warmup),
            base_url=server.base_url, report_dir=Path(tmp), generator_prefix=PIN,
        )  # fmt: skip
        r = run_load(opts)
    s = r.summary
    w = s.workers[0]
    achieved = (s.achieved_rps or 0) / (s.offered_rps or 1)
    ttft_err, itl_err = s.ttft.p50 - TTFT, s.itl.p99 - ITL
    failed = [
        name
        for name, bad in (
            ("achieved < 98%", achieved < 0.98),
            ("TTFT p50 error > 5 ms", abs(ttft_err) > 5),
            ("ITL p99 error > 5 ms", abs(itl_err) > 5),
            (f"invalid: {r.verdict.invalid_reason}", r.exit_code == 4),
        )
        if bad
    ]
    line = (
        f"| {rate:g}/s | {s.in_flight_peak} | {achieved:.1%} | {ttft_err:+.2f} | {itl_err:+.2f} "
        f"| {s.headers.p50:.2f} | {w.cpu_mean_percent:.0f}% | {w.loop_lag.p99:.2f} / {w.loop_lag.max:.1f} "
        f"| {'; '.join(failed) or 'holds'} |"
    )
    return not failed, line


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--low", type=float, default=10)
    ap.add_argument("--high", type=float, default=100)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--seconds", type=int, default=25)
    ap.add_argument("--warmup", type=int, default=12)
    a = ap.parse_args()
    print(f"load average before: {os.getloadavg()}")
    print("| rate | streams at peak | achieved | TTFT p50 err | ITL p99 err | headers p50 | gen CPU "
          "| lag p99 / max | result |")  # fmt: skip
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    low, high, best = a.low, a.high, 0.0
    ok, line = level(high, a)
    print(line, flush=True)
    if ok:
        best = high
    else:
        for _ in range(a.steps):
            mid = round((low + high) / 2)
            ok, line = level(mid, a)
            print(line, flush=True)
            low, high = (mid, high) if ok else (low, mid)
            best = max(best, mid if ok else 0.0)
            time.sleep(1)
    print(f"ceiling: about {best * 10:.0f} concurrent 10 s streams ({best:g} arrivals/s)")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
