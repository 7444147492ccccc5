"""Requests/s of one chatgate generator process on nara-paginated-reads vs a bare FastHttpUser script.

Usage: python bench/load_throughput.py [--base-url URL] [--users 20] [--seconds 20]
Both run in this invocation, one after the other, against the same target (embedded server by default).
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

from chatgate.embedded import EmbeddedServer
from chatgate.load.runner import run_load

HERE = Path(__file__).resolve().parent


def bare(base_url: str, users: int, seconds: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "bare"
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(HERE / "load_bare_locustfile.py"), "--headless",
             "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "-H", base_url, "--csv", str(prefix),
             "--only-summary", "--loglevel", "WARNING"],
            check=False, capture_output=True,
        )  # fmt: skip
        with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["Name"] == "Aggregated":
                    return float(row["Request Count"]) / seconds
    return 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--validate-sample", type=float, default=0.0)
    a = ap.parse_args()

    def measure(url: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            r = run_load(
                "nara-paginated-reads",
                users=a.users,
                run_time=f"{a.seconds}s",
                base_url=url,
                report_dir=Path(tmp),
                validate_sample=a.validate_sample,
            )
            ours = r.summary["requests"] / a.seconds
        theirs = bare(url, a.users, a.seconds)
        print(f"chatgate nara-paginated-reads: {ours:.1f} req/s")
        print(f"bare FastHttpUser:             {theirs:.1f} req/s")
        print(f"ratio: {ours / theirs:.3f}" if theirs else "ratio: n/a")

    if a.base_url:
        measure(a.base_url)
    else:
        with EmbeddedServer(["--seed-messages", "300"]) as server:
            measure(server.base_url)


if __name__ == "__main__":
    main()
