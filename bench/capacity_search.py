"""Capacity search at known capacities: ``chatgate capacity`` against reference servers whose capacity is
set by ``--max-concurrent-streams N`` and 1 s streams (TTFT 100 ms, then 18 gaps of 50 ms): about N
req/s. Reported: found against the truth, the steps, the wall time (target: within 10%, under 5 min).

Usage: python bench/capacity_search.py [--slots 10,40] [--slo FILE] [--max-time 5m] [--start-rps R]

The search runs as a user runs it (the real command, the shipped SLO file unless ``--slo``), starting
the embedded server itself. The truth is N over the stream's duration as the generator saw it at the
search's first (unloaded) step: ``N / (terminal p50)``, about N / 1.0 s. Prints one Markdown row per
capacity and the machine's load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PACING = "--ttft-ms 100 --itl-ms 50 --reply-tokens 19"  # 0.1 s + 18 x 0.05 s = 1.0 s per stream


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def one(slots: int, a: argparse.Namespace, out: Path) -> str:
    report = out / f"slots-{slots}"
    server = f"--max-concurrent-streams {slots} {PACING}"
    cmd = [sys.executable, "-m", "chatgate", "capacity", "--max-time", a.max_time,
           "--report-dir", str(report), "--server-arg", server]  # fmt: skip
    if a.slo:
        cmd += ["--slo", a.slo]
    if a.start_rps:
        cmd += ["--start-rps", str(a.start_rps)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    print(proc.stdout, proc.stderr, sep="\n", flush=True)
    summary = json.loads((report / "nara-stream-sends" / "summary.json").read_text(encoding="utf-8"))
    first = json.loads(Path(summary["steps"][0]["dir"], "summary.json").read_text(encoding="utf-8"))
    stream_s = first["terminal"]["p50"] / 1000.0
    truth = slots / stream_s
    found = summary["capacity_rps"]
    error = f"{(found / truth - 1):+.1%}" if found else "-"
    steps = summary["steps"]
    invalid = sum(s["verdict"] == "invalid" for s in steps)
    return (
        f"| {slots} x {stream_s:.3f} s | {truth:.2f} | {found} | {summary['failing_rps']} | {error} "
        f"| {len(steps)}{f' ({invalid} re-measured)' if invalid else ''} | {summary['plan']['step_s']:g} s "
        f"| {wall:.0f} s "
        f"| {proc.returncode} |"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--slots", default="10,40")
    p.add_argument("--slo")
    p.add_argument("--max-time", default="5m")
    p.add_argument("--start-rps", type=float)
    a = p.parse_args()
    print(f"load average before: {loadavg()}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for slots in (int(s) for s in a.slots.split(",")):
            rows.append(one(slots, a, Path(tmp)))
            print(f"load average: {loadavg()}", flush=True)
    print("| server | truth req/s | found req/s | lowest failing | error | steps | step | wall time | exit |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))
    print(f"load average after: {loadavg()}")


if __name__ == "__main__":
    main()
