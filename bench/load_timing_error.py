"""TTFT and ITL error against the server's injected truth at 10, 100 and 500 concurrent streams.

Usage: python bench/load_timing_error.py [--base-url URL] [--seconds 15] [--streams 10,100,500]
Without --base-url, each level starts the embedded server with --ttft-ms 200 --itl-ms 20.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from chatgate.embedded import EmbeddedServer
from chatgate.load.runner import run_load

# The reference server's dev keys; a real --base-url takes its keys from the environment instead.
for _name, _value in (("NARA_API_KEY", "nara-dev-key-1001"), ("NAVIGABLE_API_KEY", "navigable-dev-key")):
    os.environ.setdefault(_name, _value)
os.environ.setdefault("NARA_USER_ID", "1001")

TTFT, ITL = 200.0, 20.0


@contextlib.contextmanager
def target(base_url: str | None) -> Iterator[str]:
    if base_url:
        yield base_url
        return
    with EmbeddedServer(["--ttft-ms", str(TTFT), "--itl-ms", str(ITL), "--reply-tokens", "12"]) as s:
        yield s.base_url


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url")
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--streams", default="10,100,500")
    a = ap.parse_args()
    print("| streams | TTFT p50 | TTFT err | ITL p50 | ITL err | headers p50 | loop lag p99 | verdict |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for n in (int(x) for x in a.streams.split(",")):
        with target(a.base_url) as url, tempfile.TemporaryDirectory() as tmp:
            r = run_load(
                "nara-stream-sends", users=n, spawn_rate=min(n, 100), run_time=f"{a.seconds}s",
                base_url=url, report_dir=Path(tmp),
            )  # fmt: skip
            s = r.summary
            print(
                f"| {n} | {s['ttft']['p50']:.2f} | {s['ttft']['p50'] - TTFT:+.2f} | {s['itl']['p50']:.2f} "
                f"| {s['itl']['p50'] - ITL:+.2f} | {s['headers']['p50']:.2f} "
                f"| {s['monitor']['loop_lag_p99_ms']:.1f} | {s['verdict']} |"
            )


if __name__ == "__main__":
    main()
