"""Real Locust runs against the real reference server: calibration, error accounting, distributed
merging, SLO breach and a starved generator. Loopback only, bounded users and time."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatgate.load.runner import run_load
from tests.load.conftest import served

pytestmark = pytest.mark.slow


def test_calibration_ttft_and_itl_against_server_pacing(serve: Any, tmp_path: Path) -> None:
    server = serve("--ttft-ms", "200", "--itl-ms", "20", "--reply-tokens", "12")
    result = run_load(
        "nara-stream-sends",
        users=50,
        spawn_rate=50,
        run_time="12s",
        base_url=server.base_url,
        report_dir=tmp_path,
    )
    s = result.summary
    assert s["ttft"]["count"] >= 100
    assert s["itl"]["count"] >= 1000
    assert abs(s["ttft"]["p50"] - 200.0) <= 5.0, s["ttft"]
    assert abs(s["itl"]["p50"] - 20.0) <= 2.0, s["itl"]
    assert s["error_rate"] == 0.0
    assert result.exit_code == 0, result.invalid_reason  # a valid measurement, within every SLO
    for name in ("summary.json", "summary.md", "locust.html", "ttft.png", "itl.png", "errors.png"):
        assert (tmp_path / "nara-stream-sends" / name).stat().st_size > 0


def test_injected_5pct_errors_reported_as_5pct(serve: Any, tmp_path: Path) -> None:
    server = serve("--fault-500-rate", "0.05", "--ttft-ms", "50", "--itl-ms", "5", "--reply-tokens", "3")
    result = run_load(
        "nara-stream-sends", users=20, run_time="12s", base_url=server.base_url, report_dir=tmp_path
    )
    s = result.summary
    assert s["requests"] >= 1500, s["requests"]  # enough for +-1% to be ~2 standard errors
    assert abs(s["error_rates"].get("http_500", 0.0) - 0.05) <= 0.01, s["error_rates"]
    assert result.exit_code == 1  # 5% > the 1% SLO
    assert any(c.key == "max_error_rate" and not c.ok for c in result.checks)


def test_cut_stream_counts_as_broken_not_success(serve: Any, tmp_path: Path) -> None:
    server = serve("--fault-stream-cut-rate", "1.0", "--ttft-ms", "5", "--itl-ms", "2", "--reply-tokens", "8")
    result = run_load(
        "nara-stream-sends", users=4, run_time="4s", base_url=server.base_url, report_dir=tmp_path
    )
    s = result.summary
    assert s["requests"] > 0
    assert s["errors"].get("broken_stream") == s["requests"], s["errors"]
    assert s["terminal"]["count"] == 0


def test_two_workers_merge_with_no_lost_samples(serve: Any, tmp_path: Path) -> None:
    server = serve("--ttft-ms", "10", "--itl-ms", "2", "--reply-tokens", "4")
    before = served(server.base_url, "nara", "sendChatMessage")
    result = run_load(
        "nara-stream-sends", users=8, run_time="6s", workers=2, base_url=server.base_url, report_dir=tmp_path
    )
    answered = served(server.base_url, "nara", "sendChatMessage") - before
    assert result.summary["requests"] > 50
    assert result.summary["requests"] == answered
    assert result.summary["ttft"]["count"] == answered


def test_slo_breach_exits_1_with_table(serve: Any, tmp_path: Path, load_cli: Any) -> None:
    server = serve("--ttft-ms", "50", "--itl-ms", "5", "--reply-tokens", "4")
    slo = tmp_path / "slo.toml"
    slo.write_text("[scenario.nara-stream-sends]\np95_ttft_ms = 10\nmax_error_rate = 0.5\n", encoding="utf-8")
    proc = load_cli(
        "--base-url", server.base_url, "--users", "4", "--run-time", "3s", "--slo", str(slo),
        "--report-dir", str(tmp_path / "r"),
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "| p95_ttft_ms | 10 |" in proc.stdout and "BREACH" in proc.stdout
    assert "| max_error_rate | 0.5 |" in proc.stdout
    assert "nara-dev-key" not in proc.stdout + proc.stderr


def _hog(delay: float, seconds: float) -> None:
    """Spin on CPU 0 from ``delay`` to ``delay + seconds`` (the generator starts unstarved)."""
    os.sched_setaffinity(0, {0})
    time.sleep(delay)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


@contextlib.contextmanager
def _cpu_hogs(n: int, delay: float, seconds: float) -> Iterator[None]:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_hog, args=(delay, seconds), daemon=True) for _ in range(n)]
    for p in procs:
        p.start()
    try:
        yield
    finally:
        for p in procs:
            p.terminate()
            p.join(5)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs Linux CPU affinity")
def test_starved_generator_is_measurement_invalid(serve: Any, tmp_path: Path) -> None:
    server = serve("--ttft-ms", "20", "--itl-ms", "5", "--reply-tokens", "4")
    with _cpu_hogs(2, delay=4.0, seconds=6.0):
        result = run_load(
            "nara-stream-sends",
            users=20,
            run_time="9s",
            base_url=server.base_url,
            report_dir=tmp_path,
            generator_prefix=["taskset", "-c", "0", "nice", "-n", "19"],
        )
    assert result.exit_code == 4, result.summary["monitor"]
    assert "loop_lag" in result.invalid_reason or "slip" in result.invalid_reason


def test_open_model_charges_a_slow_server_with_the_wait_it_caused(serve: Any, tmp_path: Path) -> None:
    # 2 users, 200 ms per request: at most 10 requests/s for 20 arrivals/s. The arrivals queue up,
    # which is the server's doing: its latency from the intended start breaches the SLO (exit 1); the
    # generator itself was on time (not exit 4).
    server = serve("--added-latency-ms", "200")
    result = run_load(
        "navigable-reads",
        users=2,
        arrival_rate=20,
        run_time="4s",
        base_url=server.base_url,
        report_dir=tmp_path,
    )
    s = result.summary
    assert s["late_arrivals"] > 10
    assert s["latency"]["p50"] < 400
    assert s["intended"]["p99"] > 1000 and s["intended"]["count"] == s["requests"]
    assert result.exit_code == 1, (result.invalid_reason, s["monitor"])
    breached = {c.key: c for c in result.breaches}
    assert breached["p99_latency_ms"].observed == s["intended"]["p99"]
    assert s["monitor"]["schedule_slip_p99_ms"] < 250
