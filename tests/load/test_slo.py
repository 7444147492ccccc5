"""SLO file parsing and judging (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatgate.errors import UsageError
from chatgate.load.judge import evaluate
from chatgate.load.slo import SLO_KEYS, load_slo
from chatgate.options import parse_duration
from chatgate.resources import loadtests_dir


def test_shipped_slo_file_covers_every_scenario() -> None:
    slo = load_slo(loadtests_dir() / "slo.toml")
    assert set(slo.scenarios) == {
        "nara-stream-sends", "nara-paginated-reads", "navigable-reads", "navigable-sends", "mixed",
    }  # fmt: skip
    assert slo.monitor["max_loop_lag_p99_ms"] == 20 and slo.monitor["max_late_arrival_rate"] == 0.02
    assert slo.scenario("nara-stream-sends").thresholds["p95_ttft_ms"] == 2000


def test_evaluate_max_and_min_thresholds() -> None:
    summary = {"ttft": {"p95": 250.0}, "error_rate": 0.02, "throughput_rps": 3.0}
    checks = {c.key: c for c in evaluate(
        summary, {"p95_ttft_ms": 200, "max_error_rate": 0.05, "min_throughput_rps": 5}, SLO_KEYS
    )}  # fmt: skip
    assert not checks["p95_ttft_ms"].ok and checks["p95_ttft_ms"].observed == 250.0
    assert checks["max_error_rate"].ok
    assert not checks["min_throughput_rps"].ok


@pytest.mark.parametrize(
    "text, message",
    [
        ("[scenario.x]\np95_ttft_ms = -1\n", "non-negative"),
        ("[scenario.x\n", "invalid SLO file"),
        ("[monitor]\nmax_cpu = 3\n", "unknown key"),
        ("[other]\n", "unknown table"),
        ("[scenario.x]\nstream_timeout = 'soon'\n", "invalid duration"),
        ("[scenario.x]\nmessage_lengths = [[0, 1]]\n", "message_lengths"),
    ],
)
def test_bad_slo_files_are_usage_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "slo.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        load_slo(path)
    with pytest.raises(UsageError, match="cannot read"):
        load_slo(tmp_path / "missing.toml")


def test_parse_duration() -> None:
    assert parse_duration("30s") == 30 and parse_duration("2m") == 120 and parse_duration("1h30m") == 5400
    with pytest.raises(UsageError):
        parse_duration("0s")


def test_deadlines_window_and_message_mix_come_from_the_scenario_table(tmp_path: Path) -> None:
    path = tmp_path / "slo.toml"
    path.write_text(
        "[scenario.x]\nrequest_timeout = 5\nstream_idle_timeout = '2s'\nstream_timeout = '1m'\n"
        "slo_window = '30s'\nmessage_lengths = [[10, 1], [100, 3]]\n",
        encoding="utf-8",
    )
    table = load_slo(path).scenario("x")
    assert dict(table.deadlines) == {"request_timeout": 5, "stream_idle_timeout": 2, "stream_timeout": 60}
    assert table.slo_window_s == 30 and table.message_lengths == ((10, 1.0), (100, 3.0))
