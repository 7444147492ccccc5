"""Issue 21: ``chatgate compare`` covers every metric both runs measured, whatever their SLO files judged.

Through the real command line, on kept ``nara-stream-sends`` runs of one paced server. Before the fix
compare read the metrics off the runs' SLO checks: runs judged by a one-threshold file were compared
on TTFT p95 alone (error rate, ITL, latency and throughput silently skipped), and runs judged by two
different files were "not comparable" (exit 2).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatgate.embedded import EmbeddedServer
from tests.load.conftest import LENIENT_MONITOR, run_judged
from tests.summary_schemas import assert_valid_summary

# two runs of one server compared: alone; e2e tier (test_compare.py's end-to-end pair is the default's)
pytestmark = [pytest.mark.slow, pytest.mark.timing, pytest.mark.e2e]

SCENARIO = "nara-stream-sends"
EVERY_METRIC = [
    "ttft_p50", "ttft_p95", "ttft_p99", "itl_p50", "itl_p99", "largest_gap_p99", "latency_p50",
    "latency_p95", "latency_p99", "error_rate", "throughput", "goodput_share",
]  # fmt: skip


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Three kept runs of one server: two judged by a file holding one threshold, one by another."""
    tmp = tmp_path_factory.mktemp("compare-metrics")
    mp = pytest.MonkeyPatch()
    for name, value in (("NARA_API_KEY", "nara-dev-key-1001"), ("NARA_USER_ID", "1001")):
        mp.setenv(name, value)
    mp.delenv("NARA_BASE_URL", raising=False)
    files = {}
    for name, ttft in (("one", 2000), ("other", 1500)):
        files[name] = tmp / f"{name}.toml"
        files[name].write_text(LENIENT_MONITOR + f"[scenario.{SCENARIO}]\np95_ttft_ms = {ttft}\n", "utf-8")
    runs = {}
    pacing = ["--ttft-ms", "20", "--itl-ms", "5", "--reply-tokens", "6", "--db", str(tmp / "db.sqlite3")]
    with EmbeddedServer(pacing) as server:
        for name, slo in (("a", "one"), ("b", "one"), ("c", "other")):
            run_judged(SCENARIO, tmp / name, arrival_rate=20, run_time="7s", warmup_s=1.0,
                       base_url=server.base_url, slo_file=files[slo])  # fmt: skip
            runs[name] = tmp / name / SCENARIO
    yield runs
    mp.undo()


def chatgate_compare(base: Path, new: Path, report: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatgate", "compare", str(base), str(new), "--report-dir", str(report)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_every_metric_both_runs_measured_is_compared(kept: dict[str, Path], tmp_path: Path) -> None:
    proc = chatgate_compare(kept["a"], kept["b"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert_valid_summary("compare", summary)
    keys = [c["metric"]["key"] for c in summary["comparisons"]]
    assert keys == EVERY_METRIC, keys  # before: ["p95_ttft_ms"] alone (the SLO file's one threshold)
    marked = {
        c["metric"]["key"]: c["metric"]["slo_key"] for c in summary["comparisons"] if c["metric"]["judged"]
    }
    assert marked["ttft_p95"] == "p95_ttft_ms"  # the SLO-judged ones marked (the shipped ones layered too)
    assert marked["error_rate"] == "max_error_rate" and "latency_p50" not in marked
    error_rate = next(c for c in summary["comparisons"] if c["metric"]["key"] == "error_rate")
    assert error_rate["tested"] and error_rate["limit"] == pytest.approx(0.005)  # the absolute rule's floor
    for label in ("| error rate |", "| ITL p99 |", "| latency p95 (from intended start) |", "| throughput |"):
        assert label in proc.stdout, (label, proc.stdout)


def test_runs_judged_by_different_slo_files_are_comparable(kept: dict[str, Path], tmp_path: Path) -> None:
    proc = chatgate_compare(kept["a"], kept["c"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # before: 2, "other SLO file: p95_ttft_ms ..."
    summary = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert summary["notes"] == [
        "the runs' SLO files differ (p95_ttft_ms 2000.0 -> 1500.0): context only, every metric compared"
    ]
    ttft = next(c for c in summary["comparisons"] if c["metric"]["key"] == "ttft_p95")
    assert ttft["metric"]["thresholds"] == [2000.0, 1500.0]
    assert "p95_ttft_ms ≤ 2000.0 ms → 1500.0 ms" in proc.stdout
    assert "the runs' SLO files differ" in (tmp_path / "summary.md").read_text("utf-8")
