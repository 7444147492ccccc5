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

from chatgate.load.raw import read_manifest, read_rows
from tests.load import sse_servers
from tests.load.conftest import run_judged, served

# Tiers: calibration, a cut stream, a cap too small and the stop's unfinished requests in the default
# tier; the rest (marked e2e) in the e2e tier, which .ci/run runs too.
pytestmark = pytest.mark.slow


@pytest.mark.timing
def test_calibration_ttft_and_itl_against_server_pacing(serve: Any, tmp_path: Path) -> None:
    server = serve("--ttft-ms", "200", "--itl-ms", "20", "--reply-tokens", "12")
    result, s = run_judged(
        "nara-stream-sends", tmp_path, users=50, spawn_rate=50, run_time="8s", base_url=server.base_url
    )
    assert s["ttft"]["count"] >= 100
    assert s["itl"]["count"] >= 1000
    # The server paces its first delta 200 ms after it starts handling the request, which is when it
    # sends the headers: under load its own queueing (headers p50) comes on top, and is its, not ours.
    assert abs(s["ttft"]["p50"] - s["headers"]["p50"] - 200.0) <= 5.0, (s["ttft"], s["headers"])
    assert s["headers"]["p50"] < 25.0, s["headers"]
    assert abs(s["itl"]["p50"] - 20.0) <= 2.0, s["itl"]
    assert s["error_rate"] == 0.0
    assert result.exit_code == 0, s["invalid_reason"]  # a valid measurement, within every SLO
    for name in (
        "summary.json",
        "summary.md",
        "report.html",
        "locust.html",
        "ttft.png",
        "itl.png",
        "throughput.png",
    ):
        assert (tmp_path / "nara-stream-sends" / name).stat().st_size > 0
    assert not (tmp_path / "nara-stream-sends" / "errors.png").exists()  # no errors, no errors plot


@pytest.mark.e2e
def test_injected_5pct_errors_reported_as_5pct(serve: Any, tmp_path: Path, lenient_slo: Path) -> None:
    server = serve("--fault-500-rate", "0.05", "--ttft-ms", "50", "--itl-ms", "5", "--reply-tokens", "3")
    # The open model at a rate the generator holds (a closed model with no wait against this fast
    # server would saturate the generator, and rightly exit 4); the subject is the error accounting.
    result, s = run_judged(
        "nara-stream-sends", tmp_path, arrival_rate=200, run_time="9s", base_url=server.base_url,
        slo_file=lenient_slo,
    )  # fmt: skip
    assert s["requests"] >= 1500, s["requests"]  # enough for +-1% to be ~2 standard errors
    assert abs(s["error_rates"].get("http_500", 0.0) - 0.05) <= 0.01, s["error_rates"]
    assert result.exit_code == 1, s["invalid_reason"]  # 5% > the 1% SLO
    assert any(c.key == "max_error_rate" and not c.ok for c in result.verdict.checks)


def test_cut_stream_counts_as_broken_not_success(serve: Any, tmp_path: Path) -> None:
    server = serve("--fault-stream-cut-rate", "1.0", "--ttft-ms", "5", "--itl-ms", "2", "--reply-tokens", "8")
    _, s = run_judged("nara-stream-sends", tmp_path, users=4, run_time="3s", base_url=server.base_url)
    assert s["requests"] > 0
    assert s["errors"].get("broken_stream") == s["requests"], s["errors"]
    assert s["terminal"]["count"] == 0


@pytest.mark.e2e
def test_two_workers_merge_with_no_lost_samples(serve: Any, tmp_path: Path) -> None:
    server = serve("--ttft-ms", "10", "--itl-ms", "2", "--reply-tokens", "4")
    before = served(server.base_url, "nara", "sendChatMessage")
    _, s = run_judged(
        "nara-stream-sends", tmp_path, users=8, run_time="5s", workers=2, base_url=server.base_url
    )
    answered = served(server.base_url, "nara", "sendChatMessage") - before
    assert s["requests"] > 50
    assert s["requests"] + s["unfinished"] == answered
    assert s["ttft"]["count"] == s["requests"]
    assert [w["index"] for w in s["workers"]] == [0, 1]  # each worker's budgets judged on its own
    assert {c["worker"] for c in s["monitor_checks"]} == {0, 1}


@pytest.mark.e2e
@pytest.mark.timing
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


@pytest.mark.e2e
@pytest.mark.timing
@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs Linux CPU affinity")
def test_starved_generator_is_measurement_invalid(serve: Any, tmp_path: Path) -> None:
    server = serve("--ttft-ms", "20", "--itl-ms", "5", "--reply-tokens", "4")
    with _cpu_hogs(2, delay=4.0, seconds=6.0):
        result, s = run_judged(
            "nara-stream-sends",
            tmp_path,
            users=20,
            run_time="9s",
            base_url=server.base_url,
            generator_prefix=("taskset", "-c", "0", "nice", "-n", "19"),
        )
    assert result.exit_code == 4, s["monitor"]
    assert s["invalid_reason"].startswith("worker 0: "), s["invalid_reason"]  # names the worker
    assert "loop_lag" in s["invalid_reason"] or "cpu" in s["invalid_reason"]


@pytest.mark.e2e
def test_open_model_splits_rate_and_cap_across_workers(shared_server: Any, tmp_path: Path) -> None:
    _, s = run_judged(
        "navigable-reads", tmp_path, arrival_rate=40, max_in_flight=10, workers=2, run_time="4s",
        base_url=shared_server.base_url,
    )  # fmt: skip
    workers = s["workers"]
    assert [w["index"] for w in workers] == [0, 1]
    offered = [w["offered"] for w in workers]
    assert abs(offered[0] - offered[1]) <= 0.2 * max(offered), offered  # each its share of the rate
    assert s["offered_rps"] == pytest.approx(40, rel=0.2)
    assert s["in_flight_peak"] <= 10
    _offered_is_sent_plus_not_sent(s)
    assert {r["worker"] for r in read_rows(tmp_path / "navigable-reads" / "raw")} == {0, 1}


def _offered_is_sent_plus_not_sent(s: dict[str, Any]) -> None:
    assert s["offered"] == s["sent"] + sum(s["not_sent"].values()), (s["offered"], s["sent"], s["not_sent"])


@pytest.mark.timing
@pytest.mark.e2e
def test_open_model_holds_100_five_second_streams_and_reports_the_servers_truth(
    serve: Any, tmp_path: Path
) -> None:
    # 5 s streams (TTFT 200 ms, then 24 gaps of 200 ms) at 20/s: about 100 open at once. (The
    # concurrency is the point; a faster pace would measure the Python reference server's own lag.)
    server = serve("--ttft-ms", "200", "--itl-ms", "200", "--reply-tokens", "25")
    result, s = run_judged(
        "nara-stream-sends", tmp_path, arrival_rate=20, run_time="15s", base_url=server.base_url
    )
    assert result.exit_code == 0, (s["invalid_reason"], s["slo"])
    assert s["achieved_rps"] >= 0.98 * s["offered_rps"], (s["achieved_rps"], s["offered_rps"])
    # the server's truth: 200 ms from when it handles the request, that is from its headers (its own
    # queueing at 20 new streams/s, a few ms, is the server's)
    assert abs(s["ttft"]["p50"] - s["headers"]["p50"] - 200.0) <= 5.0, (s["ttft"], s["headers"])
    assert abs(s["ttft_intended"]["p50"] - s["headers"]["p50"] - 200.0) <= 5.0, s["ttft_intended"]
    assert s["headers"]["p50"] < 25.0, s["headers"]
    assert s["in_flight_peak"] >= 90 and s["unfinished"] == 0 and s["errors"] == {}
    _offered_is_sent_plus_not_sent(s)


def test_a_cap_too_small_for_a_fast_server_is_the_generators_limit(
    serve: Any, tmp_path: Path, lenient_slo: Path
) -> None:
    # 100 ms answers at 100/s need ~10 in flight; a cap of 5 holds back half the arrivals while every
    # answer is well within the SLO: the cap, not the server, limited the run.
    server = serve("--added-latency-ms", "100")
    result, s = run_judged(
        "navigable-reads",
        tmp_path,
        arrival_rate=100,
        max_in_flight=5,
        slo_file=lenient_slo,
        run_time="4s",
        base_url=server.base_url,
    )
    assert result.exit_code == 4, s["slo"]
    assert "--max-in-flight 5" in s["invalid_reason"], s["invalid_reason"]
    assert s["held_back"] > 50 and s["in_flight_peak"] <= 5
    assert s["latency"]["p99"] < 1000  # from sent, the server was fine
    _offered_is_sent_plus_not_sent(s)


@pytest.mark.e2e
def test_a_stalled_server_filling_the_cap_is_charged_with_the_held_back_arrivals(
    tmp_path: Path, lenient_slo: Path
) -> None:
    # Every stream stalls after two deltas and then only sends pings: each ends at the 1 s idle
    # deadline as a timeout, and 5 of them fill the cap; the arrivals behind them are the server's.
    for base in sse_servers.serve():
        started = time.monotonic()
        result, s = run_judged(
            "nara-stream-sends",
            tmp_path,
            arrival_rate=10,
            max_in_flight=5,
            run_time="4s",
            base_url=f"{base}/pings",
            stream_idle_timeout_s=1.0,
            slo_file=lenient_slo,
        )
        took = time.monotonic() - started
    assert result.exit_code == 1, s["invalid_reason"]
    assert s["requests"] > 0 and s["errors"] == {"timeout": s["requests"]}, s["errors"]
    held = s["held_back"] + s["not_sent"].get("held_back", 0)
    assert held > 5 and any("charged to the server" in n for n in s["notes"]), s["notes"]
    assert s["intended_all"]["p99"] >= 1000
    # run time + the stream deadline + Locust's start and stop, whatever the target does
    assert took < 4 + 1 + 12, took
    _offered_is_sent_plus_not_sent(s)


@pytest.mark.timing  # the elapsed time at the stop is the generator's own clock: a busy core shortens it
def test_requests_cut_at_the_stop_are_unfinished_not_lost(serve: Any, tmp_path: Path) -> None:
    server = serve("--ttft-ms", "100", "--itl-ms", "200", "--reply-tokens", "20")  # 4 s streams
    _, s = run_judged(
        "nara-stream-sends", tmp_path, users=3, run_time="2s", stop_timeout_s=0, base_url=server.base_url
    )
    assert s["requests"] == 0 and s["unfinished"] == 3, (s["requests"], s["unfinished"])
    raw = tmp_path / "nara-stream-sends" / "raw"
    rows = list(read_rows(raw))
    assert [r["state"] for r in rows] == ["unfinished"] * 3
    # each row's time is its elapsed time at the stop (from its own send), not a made-up figure
    stopped = float(read_manifest(raw)["stopped"])
    cut = [round((stopped - r["sent"]) * 1000) for r in rows]
    assert all(r["total_ms"] > 0 and abs(r["total_ms"] - c) < 250 for r, c in zip(rows, cut, strict=True)), (
        [r["total_ms"] for r in rows],
        cut,
    )
