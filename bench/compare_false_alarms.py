"""``chatgate compare``: its false-regression rate over pairs of identical kept runs (A/A), the whole
family of metrics together, and its power against a server 50 ms slower to its first token (target: at
most 5% of A/A pairs with any metric called worse, over at least 20 pairs).

Usage: python bench/compare_false_alarms.py [--scenario nara-stream-sends|mixed] [--pairs 20]
                                            [--slower 10] [--rate 10] [--seconds 10] [--warmup 2]
                                            [--all-pairs]
       python bench/compare_false_alarms.py --synthetic-only

Two reference servers run side by side for the whole benchmark: one with a 100 ms TTFT, one with 150 ms
(both 20 ms between 10 deltas). Round i runs the scenario in the open model (``--rate`` per second for
``--seconds`` after ``--warmup``) against the 100 ms server twice (A_i, B_i) and, for the first
``--slower`` rounds, against the 150 ms server (S_i): the runs alternate, so the machine's load falls on
both sides alike. compare(A_i, B_i) is a false alarm when it says regression; compare(A_i, S_i) should,
naming TTFT. Each comparison covers every metric both runs measured (``--max-regression 10%``, Holm's
correction over the family); beside it, how many pairs a per-metric 5% test without the correction
would have called worse (any metric's own p-value below 5%), on the same comparisons. ``--all-pairs``
also compares every pair of the valid identical runs (n runs: n (n - 1) / 2 comparisons).

First, without a server (a second): the same rule on synthetic runs whose level drifts from second to
second (AR(1), phi 0.8, 60 windows of 20 requests), at the 10% threshold and at 0 (a bare one-sided 5%
test), beside resampling single requests (what a bootstrap that ignores the time order does).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chatgate.compare.runner import compare_runs, compare_samples
from chatgate.compare.stats import Sample
from chatgate.embedded import EmbeddedServer
from chatgate.load.config import load_options
from chatgate.load.runner import run_load
from tests.compare.test_stats import TTFT, synthetic_run

os.environ.setdefault("NARA_API_KEY", "nara-dev-key-1001")
os.environ.setdefault("NARA_USER_ID", "1001")
os.environ.setdefault("NAVIGABLE_API_KEY", "navigable-dev-key")
PACING = ["--itl-ms", "20", "--reply-tokens", "10", "--seed-messages", "50"]


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def synthetic(pairs: int = 200) -> None:
    rng = np.random.default_rng(11)
    rows = {"block bootstrap, 10%": 0, "block bootstrap, 0%": 0, "single requests, 0%": 0}
    for _ in range(pairs):
        a, b = synthetic_run(rng), synthetic_run(rng)
        rows["block bootstrap, 10%"] += compare_samples(TTFT, a, b, 0.10, 1000, rng).regression
        rows["block bootstrap, 0%"] += compare_samples(TTFT, a, b, 0.0, 1000, rng).regression
        n = len(a.values)  # each request its own window, in random order: no time structure left
        fa, fb = (
            Sample(s.kind, rng.permutation(s.values), s.weights, np.arange(n), n, 1.0, s.q) for s in (a, b)
        )
        rows["single requests, 0%"] += compare_samples(TTFT, fa, fb, 0.0, 1000, rng).regression
    print(f"synthetic drifting runs, {pairs} identical pairs (TTFT p95):")
    print("| rule | false regressions |\n| --- | ---: |")
    for name, n in rows.items():
        print(f"| {name} | {n} of {pairs} ({n / pairs:.1%}) |")


def run(server: EmbeddedServer, out: Path, a: argparse.Namespace) -> Path:
    opts = load_options(a.scenario, arrival_rate=a.rate, run_time_s=float(a.seconds + a.warmup),
                        warmup_s=float(a.warmup), base_url=server.base_url, report_dir=out)  # fmt: skip
    r = run_load(opts)
    from chatgate.artifacts import RunDir
    from chatgate.load.report import write_load_reports

    write_load_reports(r, RunDir(r.report_dir))
    if r.exit_code == 4:
        print(f"  {out.name}: measurement invalid ({r.verdict.invalid_reason})", flush=True)
    return out / str(a.scenario)


def uncorrected(result: object) -> list[str]:
    """The metrics a per-metric 5% test without Holm's correction would have called worse."""
    from chatgate.compare.model import CompareResult

    assert isinstance(result, CompareResult)
    return [c.metric.name for c in result.comparisons if c.tested and (c.p_value or 1.0) < 0.05]


def describe(result: object, label: str) -> str:
    from chatgate.compare.model import CompareResult

    assert isinstance(result, CompareResult)
    ttft = next(
        (c for c in result.comparisons if c.metric.key == "ttft_p95" and c.metric.request is None), None
    )
    worse = ", ".join(c.metric.name for c in result.regressions) or "-"
    t = f"TTFT p95 {ttft.change:+.1%} (low {ttft.low:+.1%})" if ttft and ttft.low is not None else "TTFT -"
    tested = sum(c.tested for c in result.comparisons)
    loose = ", ".join(uncorrected(result)) or "-"
    return (
        f"  {label}: exit {result.exit_code} {result.verdict}; {tested} metrics tested; regressed: {worse}; "
        f"{t}; without Holm: {loose}"
    )


def all_pairs(kept: list[Path], root: Path) -> None:
    """Every pair of the valid identical runs (the earlier one as base): many more A/A comparisons
    than rounds, though not independent ones (each run is in many pairs)."""
    flagged = loose = n = 0
    metrics: Counter[str] = Counter()
    for i, base in enumerate(kept):
        for j, new in enumerate(kept[i + 1 :], start=i + 1):
            result = compare_runs(base, new, report_dir=root / f"cmp-all-{i}-{j}")
            n += 1
            flagged += result.exit_code == 1
            loose += bool(uncorrected(result))
            metrics.update(c.metric.name for c in result.regressions)
    print(f"every pair of the {len(kept)} valid identical runs: {n} comparisons; called a regression: "
          f"{flagged} ({flagged / max(1, n):.1%}); metrics: {dict(metrics) or 'none'}; without Holm's "
          f"correction: {loose} ({loose / max(1, n):.1%})")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default="nara-stream-sends", choices=["nara-stream-sends", "mixed"])
    p.add_argument("--pairs", type=int, default=20)
    p.add_argument("--slower", type=int, default=10)
    p.add_argument("--rate", type=float, default=10.0)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2, help="Seconds before each run's judged part.")
    p.add_argument("--all-pairs", action="store_true", help="Also compare every pair of identical runs.")
    p.add_argument("--synthetic-only", action="store_true")
    a = p.parse_args()
    synthetic()
    if a.synthetic_only:
        return
    print(f"\nload average before: {loadavg()}", flush=True)
    false_alarms: Counter[str] = Counter()
    exits: Counter[str] = Counter()
    detected = loose_pairs = invalid = 0
    kept: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp, EmbeddedServer(["--ttft-ms", "100", *PACING]) as fast, \
            EmbeddedServer(["--ttft-ms", "150", *PACING]) as slow:  # fmt: skip
        root = Path(tmp)
        for i in range(a.pairs):
            base, again = run(fast, root / f"a{i}", a), run(fast, root / f"b{i}", a)
            same = compare_runs(base, again, report_dir=root / f"cmp-same-{i}")
            exits[f"same {same.exit_code}"] += 1
            invalid += same.exit_code == 4
            kept += [
                r for r in (base, again) if '"measurement_invalid"' not in (r / "summary.json").read_text()
            ]
            false_alarms.update(c.metric.name for c in same.regressions)
            loose_pairs += bool(uncorrected(same))
            print(describe(same, f"pair {i + 1} (same server)"), flush=True)
            if i < a.slower:
                slower = compare_runs(base, run(slow, root / f"s{i}", a), report_dir=root / f"cmp-slow-{i}")
                exits[f"slower {slower.exit_code}"] += 1
                detected += any(c.metric.source == "ttft" for c in slower.regressions)
                print(describe(slower, f"pair {i + 1} (+50 ms TTFT)"), flush=True)
            print(f"  load average: {loadavg()}", flush=True)
        if a.all_pairs:
            all_pairs(kept, root)
    flagged, judged = exits.get("same 1", 0), a.pairs - invalid
    print(f"\n{a.scenario}: identical pairs: {a.pairs} ({invalid} with an invalid run, not judged); called a "
          f"regression: {flagged} of {judged} ({flagged / max(1, judged):.1%}); metrics: "
          f"{dict(false_alarms) or 'none'}; exits {dict(exits)}")  # fmt: skip
    print(f"without Holm's correction (any metric's own p < 5%): {loose_pairs} of {judged} "
          f"({loose_pairs / max(1, judged):.1%})")  # fmt: skip
    share = detected / max(1, a.slower)
    print(f"+50 ms TTFT: {detected} of {a.slower} detected as a TTFT regression ({share:.0%})")
    print(f"load average after: {loadavg()}")


if __name__ == "__main__":
    main()
