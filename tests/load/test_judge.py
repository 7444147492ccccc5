"""The judge on its own (pure: a summary and an SLO file in, a verdict out): per-window SLOs, per-worker
budgets named, and who is blamed for arrivals that were not sent on time."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from chatgate.load.judge import judge
from chatgate.load.model import LoadSummary, ModelInfo, Stats, StreamCounts, WorkerInfo
from chatgate.load.slo import DEFAULT_MONITOR, ScenarioSlo, SloFile

CLOSED = ModelInfo("closed", 10, 10.0, None, False, None, 0, 1.0, None, 0.0, 30.0, None, None)
OPEN = dataclasses.replace(
    CLOSED, kind="open", users=None, spawn_rate=None, arrival_rate=100.0, max_in_flight=5
)
FINE = Stats(1000, 50.0, 80.0, 90.0, 120.0, 200.0, 55.0)


def worker(
    index: int = 0, lag_p99: float = 1.0, offered: int = 0, late: int = 0, wid: str = ""
) -> WorkerInfo:
    lag = Stats(1000, 0.3, 0.8, 1.0, lag_p99, 20.0, 0.4)
    return WorkerInfo(index, wid, 1000, lag, Stats(), 5.0, 0, offered, late)


def summary(**changes: Any) -> LoadSummary:
    base: dict[str, Any] = {f.name: None for f in dataclasses.fields(LoadSummary)}
    stats = {f.name: Stats() for f in dataclasses.fields(LoadSummary) if f.type in ("Stats",)}
    base.update(stats)
    base.update(
        scenario="navigable-reads", target="http://127.0.0.1:1", started=0.0, duration_s=60.0, model=CLOSED,
        deadlines={}, requests=1000, requests_by_name={}, throughput_rps=16.0, errors={}, error_rates={},
        error_rate=0.0, latency=FINE, intended=FINE, latency_by_name={}, intended_by_name={},
        streams=StreamCounts(), offered=0, offered_rps=None, achieved_rps=None, sent=0, on_time=0,
        late_arrivals=0, held_back=0, not_sent={}, unfinished=0, in_flight_peak=0, walks_not_judged=0,
        warmup={"seconds": 0, "requests": 0, "errors": 0}, monitor={}, workers=(worker(),), timeline=(),
        window_s=1.0, slo_windows=(), stopped_early="", warnings=(), raw={"dir": "raw", "version": 1},
    )  # fmt: skip
    base.update(changes)
    return LoadSummary(**base)


def slo(**thresholds: float) -> SloFile:
    return SloFile(Path("slo.toml"), {"navigable-reads": ScenarioSlo(thresholds)}, dict(DEFAULT_MONITOR))


def window(start: float, p99: float, requests: int = 600) -> dict[str, Any]:
    lat = dataclasses.asdict(dataclasses.replace(FINE, p99=p99))
    return {"start_s": start, "end_s": start + 60, "requests": requests, "error_rate": 0.0,
            "throughput_rps": requests / 60, "latency": lat, "intended": lat}  # fmt: skip


def test_a_run_that_degrades_late_fails_in_its_last_window() -> None:
    s = summary(slo_windows=(window(0, 100.0), window(60, 110.0), window(120, 900.0)))
    v = judge(s, slo(p99_latency_ms=500))
    assert [c.ok for c in v.checks] == [True]  # the whole run's p99 hides it
    assert v.exit_code == 1 and v.verdict == "slo_breached"
    assert [(c.key, c.window) for c in v.breaches] == [("p99_latency_ms", (120, 180))]


def test_a_window_with_few_requests_is_not_judged() -> None:
    v = judge(summary(slo_windows=(window(0, 100.0), window(60, 900.0, requests=5))), slo(p99_latency_ms=500))
    assert v.exit_code == 0 and len(v.window_checks) == 1


def test_each_worker_is_judged_on_its_own_and_named() -> None:
    s = summary(workers=(worker(0), worker(1, lag_p99=31.0, wid="host-b_1234")))
    v = judge(s, slo(p99_latency_ms=500))
    assert v.exit_code == 4 and v.verdict == "measurement_invalid"
    assert v.invalid_reason == "worker 1 (host-b_1234): loop_lag_p99_ms 31 > 20"


def test_arrivals_sent_late_while_the_cap_had_room_are_the_generators() -> None:
    s = summary(model=OPEN, offered=1000, sent=1000, workers=(worker(0, offered=1000, late=30),))
    v = judge(s, slo(p99_latency_ms=500))
    assert v.exit_code == 4 and "worker 0: late_arrival_rate 0.03 > 0.02" in v.invalid_reason


def test_held_back_by_the_cap_is_the_caps_fault_when_the_server_met_its_slos() -> None:
    held = {"held_back": 300, "not_sent": {"held_back": 100}}
    s = summary(model=OPEN, offered=1000, sent=900, **held, intended=dataclasses.replace(FINE, p99=4000.0),
                workers=(worker(0, offered=1000),))  # fmt: skip
    v = judge(s, slo(p99_latency_ms=500))
    assert v.exit_code == 4 and "--max-in-flight 5" in v.invalid_reason and "400 of 1000" in v.invalid_reason


def test_held_back_by_a_cap_full_of_slow_requests_is_the_servers_fault() -> None:
    slow = dataclasses.replace(FINE, p99=2000.0)
    held = {"held_back": 300, "not_sent": {"held_back": 100}}
    late = dataclasses.replace(FINE, p99=6000.0)
    s = summary(model=OPEN, offered=1000, sent=900, **held, latency=slow, intended=late,
                workers=(worker(0, offered=1000),))  # fmt: skip
    v = judge(s, slo(p99_latency_ms=500))
    assert v.exit_code == 1 and [c.observed for c in v.breaches] == [6000.0]  # judged from intended start
    assert any("charged to the server" in n for n in v.notes)


def test_a_run_stopped_by_the_error_rate_guard_is_a_finding() -> None:
    v = judge(summary(stopped_early="error rate 40.0% > 10.0% after 25 requests"), slo(p99_latency_ms=500))
    assert v.exit_code == 1 and any(n.startswith("stopped early: error rate") for n in v.notes)
