"""Generator memory over a soak: RSS of the Locust process every 10 s. Samples are not kept in memory:
each interval's histograms and rows are written out (raw/) and the process starts the next one empty.

Usage: python bench/load_soak_memory.py [--base-url URL] [--minutes 10] [--users 20]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from chatgate.embedded import EmbeddedServer
from chatgate.load.summary import read_raw
from chatgate.resources import loadtests_dir


def soak(url: str, minutes: float, users: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        env = dict(os.environ, CHATGATE_RAW_DIR=str(raw), CHATGATE_INTERVAL="10")
        env.setdefault("NARA_API_KEY", "nara-dev-key-1001")
        proc = subprocess.Popen(
            [sys.executable, "-m", "locust", "-f", str(loadtests_dir() / "nara_stream_sends.py"),
             "--headless",
             "-u", str(users), "-r", str(users), "-t", f"{int(minutes * 60)}s", "-H", url, "--only-summary",
             "--loglevel", "WARNING"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        p = psutil.Process(proc.pid)
        start = time.monotonic()
        samples: list[tuple[float, float]] = []
        print("| t (s) | RSS (MiB) |\n| ---: | ---: |")
        while proc.poll() is None:
            try:
                rss = p.memory_info().rss / 2**20
            except psutil.NoSuchProcess:
                break
            samples.append((time.monotonic() - start, rss))
            print(f"| {samples[-1][0]:.0f} | {rss:.1f} |", flush=True)
            time.sleep(10)
        proc.wait()
        streams = read_raw(raw).counters.get("requests", 0) if (raw / "manifest.json").exists() else 0
        warm = [rss for t, rss in samples if t >= 60] or [rss for _, rss in samples]
        print(
            f"\n{streams} streams in {minutes:g} min; RSS after the first minute {warm[0]:.1f} MiB, "
            f"at the end {warm[-1]:.1f} MiB, max {max(warm):.1f} MiB (growth {warm[-1] - warm[0]:+.1f} MiB)"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url")
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--users", type=int, default=20)
    a = ap.parse_args()
    if a.base_url:
        soak(a.base_url, a.minutes, a.users)
    else:
        with EmbeddedServer(["--ttft-ms", "50", "--itl-ms", "10"]) as s:
            soak(s.base_url, a.minutes, a.users)


if __name__ == "__main__":
    main()
