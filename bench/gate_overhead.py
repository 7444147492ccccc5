"""The fixed cost of one small gate run, this tree against another, side by side.

    .venv/bin/python bench/gate_overhead.py --baseline /path/to/other/checkout [--rounds 7]
        [--max-examples 3] [--out FILE]

Each round runs ``chatgate contract --max-examples N --seed 1`` on the embedded server twice, once with
this tree's ``src/`` and once with the baseline's (``PYTHONPATH`` puts it first; the same venv, so only
chatgate's own code differs), in alternating order. Reported per tree: the median wall time and the
median CPU time of the whole process tree (the gate, its suite child and the embedded server, from
``RUSAGE_CHILDREN``), and the ratio of the medians. Small runs are where the fixed costs (starting the
server, checking the specs, the suite's start and end) weigh most: they are what the test suite, and
a CI gate at ``--max-examples`` 1-5, pay on every run.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"NARA_API_KEY": "nara-dev-key-1001", "NAVIGABLE_API_KEY": "navigable-dev-key", "NARA_USER_ID": "1001"}


def one_run(tree: Path, max_examples: int, out: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process tree) of one gate run using ``tree``'s chatgate."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NARA_", "NAVIGABLE_", "CHATGATE_"))}
    env.update(KEYS, PYTHONPATH=str(tree / "src"), CHATGATE_CONTRACTS_DIR=str(tree / "contracts"))
    cmd = [sys.executable, "-m", "chatgate", "contract", "--max-examples", str(max_examples), "--seed", "1"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    cmd += ["--report-dir", str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: gate exit {proc.returncode}: {proc.stdout[-1000:]}{proc.stderr[-1000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="another checkout of chatgate")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--max-examples", type=int, default=3)
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args()
    trees = {"this tree": ROOT, "baseline": args.baseline.resolve()}
    rows: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            order = list(trees) if i % 2 == 0 else list(reversed(trees))
            for name in order:
                rows[name].append(one_run(trees[name], args.max_examples, Path(tmp) / f"{i}-{name[:4]}"))
                print(f"round {i + 1} {name}: {rows[name][-1][0]:.2f} s wall, {rows[name][-1][1]:.2f} s CPU",
                      file=sys.stderr)  # fmt: skip
    med = {
        n: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for n, r in rows.items()
    }
    lines = [
        f"gate --max-examples {args.max_examples} --seed 1 on the embedded server, {args.rounds} alternating "
        f"rounds; {platform.python_version()}, {os.cpu_count()} cores, load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after",
        "",
        "| tree | median wall | median CPU (process tree) |",
        "| --- | ---: | ---: |",
        *(f"| {n} ({trees[n]}) | {w:.2f} s | {c:.2f} s |" for n, (w, c) in med.items()),
        "",
        f"this tree / baseline: wall {med['this tree'][0] / med['baseline'][0]:.2f}, "
        f"CPU {med['this tree'][1] / med['baseline'][1]:.2f}",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
