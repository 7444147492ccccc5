"""Requests/s of one chatgate generator process on nara-paginated-reads vs a bare FastHttpUser script.

Usage: python bench/load_throughput.py [--base-url URL] [--users 20] [--seconds 20] [--repeat 3]
       [--validate-sample 0..1]
Both run in this invocation, alternating, against the same target (embedded server by default) and
with the same request (page 1 of 20 rows, newest first). Reported per generator: requests/s and CPU
milliseconds per request (the generator's own cost, whichever side is the bottleneck).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from chatgate.embedded import EmbeddedServer
from chatgate.load.runner import run_load

# The reference server's dev keys; a real --base-url takes its keys from the environment instead.
for _name, _value in (("NARA_API_KEY", "nara-dev-key-1001"), ("NAVIGABLE_API_KEY", "navigable-dev-key")):
    os.environ.setdefault(_name, _value)
os.environ.setdefault("NARA_USER_ID", "1001")

HERE = Path(__file__).resolve().parent


def _children_cpu_s() -> float:
    """CPU seconds of the child processes that have ended (the generators of finished runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bare(base_url: str, users: int, seconds: int) -> tuple[float, float]:
    """(requests/s, generator CPU ms per request) of the bare FastHttpUser script."""
    cpu0 = _children_cpu_s()
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "bare"
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(HERE / "load_bare_locustfile.py"), "--headless",
             "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "-H", base_url, "--csv", str(prefix),
             "--only-summary", "--loglevel", "WARNING"],
            check=False, capture_output=True,
        )  # fmt: skip
        cpu = _children_cpu_s() - cpu0
        with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["Name"] == "Aggregated":
                    n = float(row["Request Count"])
                    return n / seconds, 1000.0 * cpu / n if n else 0.0
    return 0.0, 0.0


# The chatgate scenario asked to send exactly the bare script's request: page 1 of 20 rows, newest first.
SAME_REQUEST = {"CHATGATE_PAGE_SIZES": "20", "CHATGATE_SORTS": "created_at:desc", "CHATGATE_MAX_PAGES": "1"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--validate-sample", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()

    def measure(url: str) -> None:
        # Alternate the two generators (chatgate, bare, chatgate, bare...) so drift of this shared
        # machine hits both alike; report each round and the medians.
        ratios, cpu_ratios = [], []
        for round_ in range(1, a.repeat + 1):
            cpu0 = _children_cpu_s()
            with tempfile.TemporaryDirectory() as tmp:
                r = run_load(
                    "nara-paginated-reads",
                    users=a.users,
                    run_time=f"{a.seconds}s",
                    base_url=url,
                    report_dir=Path(tmp),
                    validate_sample=a.validate_sample,
                    extra_env=SAME_REQUEST,
                )
            n = r.summary["requests"]
            ours, our_cpu = n / a.seconds, 1000.0 * (_children_cpu_s() - cpu0) / max(1, n)
            theirs, their_cpu = bare(url, a.users, a.seconds)
            ratio = ours / theirs if theirs else float("nan")
            ratios.append(ratio)
            cpu_ratios.append(our_cpu / their_cpu if their_cpu else float("nan"))
            print(
                f"round {round_}: chatgate {ours:.0f} req/s ({our_cpu:.3f} CPU ms/request, errors "
                f"{r.summary['error_rate']:.2%}), bare FastHttpUser {theirs:.0f} req/s ({their_cpu:.3f} "
                f"CPU ms/request); throughput ratio {ratio:.3f}"
            )
        print(
            f"validate sample {a.validate_sample}: median throughput ratio {statistics.median(ratios):.3f}, "
            f"median CPU-per-request ratio {statistics.median(cpu_ratios):.2f} over {a.repeat} rounds"
        )

    if a.base_url:
        measure(a.base_url)
    else:
        with EmbeddedServer(["--seed-messages", "300"]) as server:
            measure(server.base_url)


if __name__ == "__main__":
    main()
