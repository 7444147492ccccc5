"""What counting the spec coverage costs inside a gate run, measured where it is spent.

    .venv/bin/python bench/coverage_cost.py [--max-examples 3] [--rounds 5] [--out FILE]

``bench/gate_overhead.py`` compares whole gate runs, this tree against a baseline checkout: the honest
end-to-end figure, but on a shared 2-core machine its run-to-run noise is a few per cent, the size of
what is measured here. So this bench measures the counting itself, in the processes that do it:

- **the suite** (the gate's child pytest, run with the gate's own command line against the embedded
  server): ``bench/coverage_timer.py`` clocks, per thread, the CPU spent in what counts the coverage
  (the transport's observer, ``contracts/coverage.py``: every answer, every stream's events, every value
  sent against its schema; and the coverage ledger's part of each judgement), set against the suite
  process's whole CPU;
- **the gate** (the parent): the CPU of building the coverage from the suite's record and of rendering
  every report with it, less rendering them without it.

Prints one line per round and a table of medians.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"NARA_API_KEY": "nara-dev-key-1001", "NAVIGABLE_API_KEY": "navigable-dev-key", "NARA_USER_ID": "1001"}


def _suite_env(base_url: str, max_examples: int, results: Path, out: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NARA_", "NAVIGABLE_", "CHATGATE_", "PYTEST_"))
    }
    path = os.pathsep.join(p for p in (str(ROOT / "bench"), env.get("PYTHONPATH", "")) if p)
    return {
        **env, **KEYS, "CHATGATE_BASE_URL": base_url, "CHATGATE_MAX_EXAMPLES": str(max_examples),
        "CHATGATE_SEED": "1", "CHATGATE_RESULTS_FILE": str(results), "PYTHONHASHSEED": "0",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONPATH": path, "COVERAGE_COST_OUT": str(out),
    }  # fmt: skip


def one_suite(base_url: str, max_examples: int, tmp: Path) -> tuple[float, float, Path]:
    """(CPU counting, the suite's CPU, its results.json): the suite as the gate runs it, timed."""
    from chatgate.gate.suite import _command

    results, out = tmp / "results.json", tmp / "cost.json"
    cmd = [*_command(ROOT / "contracts"), "-p", "coverage_timer"]
    proc = subprocess.run(cmd, env=_suite_env(base_url, max_examples, results, out), cwd=ROOT,
                          capture_output=True, text=True, check=False)  # fmt: skip
    if proc.returncode != 0 or not out.exists():
        raise SystemExit(f"suite exit {proc.returncode}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    cost = json.loads(out.read_text(encoding="utf-8"))
    return float(cost["counting_s"]), float(cost["suite_cpu_s"]), results


def _cpu(fn: object) -> float:
    """Median CPU seconds of 5 calls of ``fn``."""
    times = []
    for _ in range(5):
        started = time.process_time()
        fn()  # type: ignore[operator]
        times.append(time.process_time() - started)
    return statistics.median(times)


def gate_side(results: Path) -> float:
    """CPU seconds the gate spends on the coverage: building it, and rendering the reports with it less
    rendering them without."""
    from chatgate.gate.coverage_build import build_coverage
    from chatgate.gate.ledger import SuiteRecord
    from chatgate.gate.reports import render_reports
    from chatgate.gate.result import GateResult, check_verdicts
    from chatgate.gate.scope import Scope

    record = SuiteRecord.from_json(results.read_text(encoding="utf-8"))
    apis = ("nara", "navigable")
    coverage = build_coverage(apis, record.coverage, Scope(), record.tallies, record.not_run)
    without = GateResult(0, apis, {}, True, 1, 3, Scope(), "2026-01-01T00:00:00+00:00", 0.0, record, (),
                         check_verdicts(record.tallies, Scope(), {}), {})  # fmt: skip
    with_it = replace(without, coverage=coverage, coverage_before=coverage.record())
    build = _cpu(lambda: build_coverage(apis, record.coverage, Scope(), record.tallies, record.not_run))
    return build + _cpu(lambda: render_reports(with_it)) - _cpu(lambda: render_reports(without))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from chatgate.embedded import EmbeddedServer

    rows = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            here = Path(tmp) / str(i)
            here.mkdir()
            with EmbeddedServer(["--db", str(here / "db.sqlite3"), "--seed-messages", "50"]) as server:
                spent, cpu, results = one_suite(server.base_url, args.max_examples, here)
            gate = gate_side(results)
            rows.append((spent, cpu, gate))
            print(f"round {i + 1}: counting {spent * 1000:.0f} ms CPU of the suite's {cpu:.2f} s "
                  f"({spent / cpu:.2%}); gate side {gate * 1000:.1f} ms", file=sys.stderr)  # fmt: skip
    spent, cpu, gate = (statistics.median(r[k] for r in rows) for k in range(3))
    lines = [
        f"coverage counting, --max-examples {args.max_examples} --seed 1, both APIs on the embedded server, "
        f"{args.rounds} rounds (medians); {platform.python_version()}, {os.cpu_count()} cores, load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after",
        "",
        "| where | CPU counting | of | share |",
        "| --- | ---: | ---: | ---: |",
        f"| the suite (the transport's observer, the ledger's part) | {spent * 1000:.0f} ms | {cpu:.2f} s "
        f"(the suite process) | {spent / cpu:.2%} |",
        f"| the gate (build the coverage, render it in every report) | {gate * 1000:.0f} ms | | |",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
