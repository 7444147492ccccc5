"""``chatgate compare`` on real kept runs (short navigable-reads runs against one shared server): the
command end to end, runs that cannot be compared, invalid measurements, directories that hold no run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatgate.compare.runner import compare_runs
from chatgate.compare.samples import find_run
from chatgate.errors import UsageError
from tests.load.conftest import run_judged, write_lenient_slo
from tests.summary_schemas import assert_valid_summary

# Two runs of one server are compared as alike only when nothing else loads the machine: a busy core
# makes one run's p99 really slower. Alone, with the other timing tests (the module's runs are shared).
pytestmark = [pytest.mark.slow, pytest.mark.timing]

SCENARIO = "navigable-reads"


@pytest.fixture(scope="module")
def kept(shared_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Three kept runs of one server: two alike (40/s), one at another rate (60/s)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("NAVIGABLE_API_KEY", "navigable-dev-key")
    mp.delenv("NAVIGABLE_BASE_URL", raising=False)
    out = tmp_path_factory.mktemp("kept-runs")
    slo = write_lenient_slo(out / "lenient.toml")  # a busy machine's lag would make a run invalid (exit 4)
    runs = {}
    for name, rate in (("a", 40.0), ("b", 40.0), ("faster", 60.0)):
        run_judged(
            SCENARIO, out / name, arrival_rate=rate, run_time="6s", base_url=shared_server.base_url,
            slo_file=slo,
        )  # fmt: skip
        runs[name] = out / name / SCENARIO
    yield runs
    mp.undo()


def test_compare_end_to_end_two_runs_of_one_server(kept: dict[str, Path], tmp_path: Path) -> None:
    report = tmp_path / "cmp"
    args = ["compare", str(kept["a"]), str(kept["b"].parent), "--report-dir", str(report)]
    proc = subprocess.run(
        [sys.executable, "-m", "chatgate", *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith(f"{SCENARIO}: no significant regression beyond 10%")
    summary = json.loads((report / "summary.json").read_text(encoding="utf-8"))
    assert_valid_summary("compare", summary)
    assert summary["base"]["dir"] == str(kept["a"]) and summary["new"]["dir"] == str(
        kept["b"]
    )  # found inside
    by_key = {c["metric"]["key"]: c for c in summary["comparisons"]}
    # every metric both runs measured (one request name: no per-name rows), the shipped SLOs' marked
    assert list(by_key) == [
        "latency_p50", "latency_p95", "latency_p99", "error_rate", "throughput", "goodput_share",
    ]  # fmt: skip
    judged = {k: c["metric"]["slo_key"] for k, c in by_key.items() if c["metric"]["judged"]}
    assert judged == {"latency_p99": "p99_latency_ms", "error_rate": "max_error_rate",
                      "throughput": "min_throughput_rps"}  # fmt: skip
    tested = [c for c in summary["comparisons"] if c["tested"]]
    assert len(tested) >= 5 and not any(c["regression"] for c in summary["comparisons"]), summary
    assert all(c["adjusted_p"] >= c["p_value"] for c in tested)
    throughput = by_key["throughput"]
    assert throughput["base"] == pytest.approx(40.0, rel=0.05) and throughput["low"] < 0 < throughput["high"]
    markdown = (report / "summary.md").read_text(encoding="utf-8")
    assert "| latency p99 (from intended start) | p99_latency_ms ≤ 1000.0 ms |" in markdown, markdown
    assert (report / "compare.png").stat().st_size > 10_000


def test_a_run_against_itself_changes_nothing(kept: dict[str, Path], tmp_path: Path) -> None:
    result = compare_runs(kept["a"], kept["a"], report_dir=tmp_path)
    assert result.exit_code == 0 and all(c.change == 0.0 for c in result.comparisons)


def test_runs_at_other_rates_are_not_comparable_and_say_why(kept: dict[str, Path], tmp_path: Path) -> None:
    result = compare_runs(kept["a"], kept["faster"], report_dir=tmp_path)
    assert (result.verdict, result.exit_code) == ("not_comparable", 2)
    assert result.reasons == ("other load model: arrival_rate 40.0 -> 60.0",) and result.comparisons == ()
    assert_valid_summary("compare", json.loads(json.dumps(result.to_json())))


def test_an_invalid_measurement_is_exit_4_naming_the_run(kept: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(kept["b"], bad)
    summary = json.loads((bad / "summary.json").read_text(encoding="utf-8"))
    summary.update(verdict="measurement_invalid", invalid_reason="worker 0: loop_lag_p99_ms 31 > 20")
    (bad / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    result = compare_runs(kept["a"], bad, report_dir=tmp_path / "out")
    assert result.exit_code == 4
    assert result.reasons == ("the new run's measurement is invalid (worker 0: loop_lag_p99_ms 31 > 20)",)


def test_directories_without_a_kept_run_are_usage_errors(kept: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such directory"):
        compare_runs(tmp_path / "missing", kept["a"])
    for name in ("x", "y"):
        (tmp_path / "two" / name).mkdir(parents=True)
        (tmp_path / "two" / name / "summary.json").write_text("{}", encoding="utf-8")
    with pytest.raises(UsageError, match="give one of x, y"):
        find_run(tmp_path / "two")
    with pytest.raises(UsageError, match="not a kept chatgate load run"):
        compare_runs(tmp_path / "two" / "x", kept["a"])
