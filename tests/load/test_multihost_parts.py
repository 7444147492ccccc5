"""Many machines, one verdict: the parts on their own (no Locust process): the flags of each side, the
master's plan over a worker's own settings, the lost-worker arithmetic, the summary and verdict of a
run that lost a worker (raw data written as a master writes it), and a worker's exit code."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from chatgate.errors import UsageError
from chatgate.load.config import load_options
from chatgate.load.generator import Settings, own_plan, plan_from_json, with_plan
from chatgate.load.judge import judge
from chatgate.load.lost import LoadPlan, lost_workers, uncovered
from chatgate.load.model import LoadResult, ModelInfo
from chatgate.load.raw import Batch, RawWriter
from chatgate.load.report import render_markdown
from chatgate.load.slo import DEFAULT_MONITOR, ScenarioSlo, SloFile
from chatgate.load.summary import read_raw, summarize
from chatgate.load.worker import _verdict
from chatgate.metrics import Histogram
from tests.load.conftest import SCHEMA

T0 = 1_800_000_000.0  # the run's start (Unix seconds)
OPEN = ModelInfo("open", None, None, 10.0, False, None, 2, 1.0, 2000, 0.0, 5.0, None, None, True)
CLOSED = dataclasses.replace(OPEN, kind="closed", users=10, spawn_rate=10.0, arrival_rate=None)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"master": True, "worker": True, "master_host": "h"}, "exclude each other"),
        ({"expect_workers": 2}, "--expect-workers belongs to --master"),
        ({"master_bind_port": 6000}, "--master-bind-port belongs to --master"),
        ({"master_host": "h"}, "--master-host belongs to --worker"),
        ({"worker": True}, "--worker needs --master-host"),
        ({"worker": True, "master_host": "h", "ui": True}, "--ui belongs to the master"),
        ({"master": True, "workers": 2}, "counted by --expect-workers"),
        ({"master": True, "expect_workers": 0}, "between 1 and 1024"),
        ({"master": True, "master_bind_port": 70000}, "TCP port"),
        ({"master": True, "expect_workers_max_wait_s": 0.0}, "must be positive"),
    ],
)
def test_each_side_takes_only_its_own_flags(flags: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        load_options("nara-stream-sends", **flags)


def test_the_split_follows_the_master_expected_workers() -> None:
    assert load_options(master=True, expect_workers=3).processes == 3
    assert load_options(master=True).processes == 1  # Locust's default --expect-workers
    assert load_options(worker=True, master_host="h", workers=4).processes == 4
    assert load_options().processes == 1


def test_a_worker_takes_the_master_plan_over_its_own_settings() -> None:
    own = {"CHATGATE_ARRIVAL_RATE": "40", "CHATGATE_REQUEST_TIMEOUT": "5",  # this worker's own flags
           "NARA_BASE_URL": "http://10.0.0.9:8080"}  # fmt: skip
    plan = own_plan({"CHATGATE_ARRIVAL_RATE": "20", "CHATGATE_WORKERS": "2", "CHATGATE_MAX_IN_FLIGHT": "100"})
    settings = Settings.from_env(None, with_plan(own, plan_from_json(json.dumps(plan))))
    assert settings.arrival_rate == 20.0 and settings.workers == 2 and settings.max_in_flight == 100
    assert settings.deadlines.request_s == 30.0  # the master set none: the default, not the worker's 5
    assert settings.nara_base == "http://10.0.0.9:8080"  # its own target stays its own
    assert settings.share(100) == 50


def test_uncovered_counts_the_gaps_between_spans() -> None:
    assert uncovered(0, 10, [(0, 4), (6, 8)]) == pytest.approx(4.0)
    assert uncovered(0, 10, [(3, 5), (0, 4)]) == pytest.approx(5.0)
    assert uncovered(5, 5, []) == 0.0
    assert uncovered(2, 4, []) == pytest.approx(2.0)


def _plan(open_model: bool = True, warmup: float = 0.0) -> LoadPlan:
    return LoadPlan(T0, T0 + warmup, T0 + 12.0, open_model, 10.0, 2, 10)


def test_a_killed_worker_open_model_share_is_its_arrivals_never_issued_and_in_flight() -> None:
    record = {"index": 1, "id": "w2", "cause": "no_heartbeat", "lost_at": T0 + 8.2, "users": 1}
    spans = {1: [(T0 + i, T0 + i + 1) for i in range(4)]}  # its data until 4 s into the run
    counters = {1: {"offered": 20, "sent": 17, "not_sent:generator": 0}}  # 3 were in flight
    lost = lost_workers({"lost_workers": [record]}, spans, counters, _plan())[1]
    assert (lost.cause, lost.lost_at_s, lost.last_data_s) == ("no_heartbeat", 8.2, 4.0)
    assert lost.not_delivered == 5 * 8 + 3  # 5/s for the 8 s after its last data, and the 3 in flight
    assert lost.share == pytest.approx(43 / 120)


def test_the_gap_starts_after_the_warmup_and_ends_with_its_data_when_it_came_back() -> None:
    record = {"index": 0, "id": "w1", "cause": "no_heartbeat", "lost_at": T0 + 5.0, "rejoined_at": T0 + 9.0}
    spans = {0: [(T0, T0 + 2.0), (T0 + 9.0, T0 + 12.0)]}  # no data from 2 s to 9 s
    lost = lost_workers({"lost_workers": [record]}, spans, {}, _plan(warmup=3.0))[0]
    assert lost.not_delivered == 5 * 6  # the gap is 3 s (after the warm-up) to 9 s
    assert lost.rejoined_at_s == 9.0


def test_closed_model_share_is_user_seconds_until_locust_gave_its_users_away() -> None:
    record = {"index": 1, "id": "w2", "cause": "quit", "lost_at": T0 + 6.0, "users": 5,
              "restored_at": T0 + 9.0}  # fmt: skip
    spans = {1: [(T0, T0 + 6.0)]}
    lost = lost_workers({"lost_workers": [record]}, spans, {}, _plan(open_model=False))[1]
    assert lost.not_delivered == 0
    assert lost.share == pytest.approx(5 / 10 * 3.0 / 12.0)


def _batch(worker: int, start: float, n: int) -> Batch:
    h = Histogram()
    h.record_many([0.05] * n)
    counters = {"requests": n, "requests:nara.stream": n, "offered": n, "sent": n, "on_time": n}
    return Batch(worker, start, start + 1.0, {"latency:nara.stream": (h.encode(), 50_000)}, counters, b"")


def _raw_of_a_master(root: Path, lost_at: float | None) -> Path:
    """Raw data as a master writes it: worker 0 for the whole 12 s, worker 1 until 4 s (5 arrivals/s)."""
    writer = RawWriter(root, started=T0, interval_s=1.0, warmup_s=0.0)
    for second in range(12):
        writer.add(_batch(0, T0 + second, 5), "host-a_1")
        if second < 4:
            writer.add(_batch(1, T0 + second, 5), "host-b_2")
    lost = [] if lost_at is None else [
        {"index": 1, "id": "host-b_2", "cause": "no_heartbeat", "reason": "", "lost_at": lost_at, "users": 1,
         "rejoined_at": None, "restored_at": None}
    ]  # fmt: skip
    writer.close(
        {"stopped_early": "", "stopped": T0 + 12.0, "expected_workers": 2, "lost_workers": lost,
         "worker_targets": {"0": "http://10.1.0.4:8080", "1": "http://10.1.0.4:8080"}}
    )  # fmt: skip
    return root


def _result(root: Path, budget: float = 0.02) -> LoadResult:
    slo = SloFile(None, {"nara-stream-sends": ScenarioSlo({"max_error_rate": 0.01})},
                  {**DEFAULT_MONITOR, "max_lost_share": budget})  # fmt: skip
    summary = summarize(
        read_raw(root), scenario="nara-stream-sends", target="http://10.1.0.4:8080", model=OPEN,
        deadlines={"request_s": 30.0, "stream_idle_s": 30.0, "stream_s": 300.0}, duration_s=12.0,
        raw_dir="raw", slo=slo,
    )  # fmt: skip
    return LoadResult(summary, judge(summary, slo), root)


def test_a_lost_worker_is_reported_its_data_kept_and_the_run_invalid(tmp_path: Path) -> None:
    import jsonschema

    result = _result(_raw_of_a_master(tmp_path / "raw", lost_at=T0 + 8.0))
    s = result.summary
    assert s.requests == 12 * 5 + 4 * 5  # its data until it was lost is in the figures
    lost = s.workers[1].lost
    assert lost is not None and lost.last_data_s == 4.0 and lost.not_delivered == 40
    assert s.not_sent == {"lost_worker": 40} and s.offered == 120 == s.sent + sum(s.not_sent.values())
    assert s.offered_rps == pytest.approx(10.0) and s.achieved_rps == pytest.approx(80 / 12)
    assert s.workers[1].target == "http://10.1.0.4:8080" and s.workers[1].id == "host-b_2"
    v = result.verdict
    assert v.exit_code == 4 and v.verdict == "measurement_invalid"
    assert (
        "worker 1 (host-b_2) lost 8.0 s into the run (no heartbeat; its last data at 4.0 s)"
        in v.invalid_reason
    )
    assert "33.3% of the offered load not delivered" in v.invalid_reason
    assert [c.observed for c in v.monitor_checks if c.key == "max_lost_share"] == [pytest.approx(40 / 120)]
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(json.dumps(result.to_json())))
    md = render_markdown(result)
    assert "**Lost:** worker 1 (host-b_2), cause no_heartbeat" in md and "Remote workers: 2 reported" in md


def test_a_loss_within_the_budget_is_a_note_not_a_verdict(tmp_path: Path) -> None:
    result = _result(_raw_of_a_master(tmp_path / "raw", lost_at=T0 + 8.0), budget=0.5)
    assert result.verdict.exit_code == 0, result.verdict.invalid_reason
    assert any("worker 1 (host-b_2) lost" in n and "within the budget" in n for n in result.verdict.notes)


def test_an_undisturbed_distributed_run_has_no_lost_check(tmp_path: Path) -> None:
    root = _raw_of_a_master(tmp_path / "raw", lost_at=None)
    result = _result(root)
    assert all(w.lost is None for w in result.summary.workers)
    assert not [c for c in result.verdict.monitor_checks if c.key == "max_lost_share"]


@pytest.mark.parametrize(
    ("states", "code", "words"),
    [
        (["done", "done"], 0, "ran their part"),
        (["done", "refused"], 2, "cannot run the master's plan"),
        (["done", "no_master"], 3, "cannot reach the Locust master at m:5557"),
        (["not_started"], 3, "ended before the run started"),
        (["master_lost"], 3, "lost the master"),
        (["interrupted"], 3, "stopped before the master ended the run"),
        (["running"], 3, "the Locust worker process ended (exit 1)"),
    ],
)
def test_a_worker_exit_code_says_how_its_part_went(states: list[str], code: int, words: str) -> None:
    options = load_options(worker=True, master_host="m")
    got, message = _verdict(options, [{"state": s, "index": i, "exit": 1} for i, s in enumerate(states)])
    assert got == code and words in message
