"""The search loop of ``run_capacity`` against a simulated target (its load runs replaced by judged
results): re-measuring an invalid step, a step that cannot run, the budget, the implied streams."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatgate.capacity import runner
from chatgate.capacity.model import CapacityOptions, StepPlan
from chatgate.errors import TargetError
from chatgate.load.model import Check, Goodput, LoadResult, Stats, Verdict
from tests.load.test_judge import summary as load_summary

STREAM = Stats(100, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0)  # 1 s streams


class FakeTarget:
    """Passes every rate up to ``capacity``; ``script`` overrides the outcome of the n-th step."""

    def __init__(self, capacity: float, script: dict[int, str] | None = None) -> None:
        self.capacity = capacity
        self.script = script or {}
        self.plans: list[StepPlan] = []

    def __call__(self, o: CapacityOptions, plan: StepPlan, rate: float, index: int, *_: Any) -> Any:
        self.plans.append(plan)
        what = self.script.get(len(self.plans), "pass" if rate <= self.capacity else "fail")
        if what == "error":
            raise TargetError(f"Locust did not finish within 90s; see steps/{index:02d}")
        ok = what == "pass"
        s = load_summary(offered=int(rate * plan.step_s), throughput_rps=rate, latency=STREAM, ttft=STREAM,
                         goodput=Goodput(rate if ok else 0.0, 1.0 if ok else 0.0))  # fmt: skip
        check = Check("p95_ttft_ms", 2000.0, 500.0 if ok else 5000.0, ok)
        code = {"pass": 0, "fail": 1, "invalid": 4}[what]
        verdict = Verdict(code, what, "worker 0: loop_lag_p99_ms 31 > 20" if code == 4 else "", (check,))
        return LoadResult(s, verdict, Path("unused")), plan.warmup_s + plan.step_s + 3.0, f"step-{index}"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    @contextlib.contextmanager
    def no_server(_options: Any) -> Iterator[dict[str, Any]]:
        yield {}

    monkeypatch.setattr(runner, "targets", no_server)

    def install(target: FakeTarget) -> FakeTarget:
        monkeypatch.setattr(runner, "_run_step", target)
        return target

    yield install


def test_the_search_finds_the_simulated_capacity_and_the_streams_it_implies(
    fake: Any, tmp_path: Path
) -> None:
    target = fake(FakeTarget(10.0))
    result = runner.run_capacity(CapacityOptions(report_dir=tmp_path))
    assert (result.capacity_rps, result.failing_rps, result.verdict, result.exit_code) == (
        9.512,
        10.37,
        "pass",
        0,
    )
    assert result.concurrent_streams == pytest.approx(9.512, abs=0.01)  # 1 s streams at 9.512/s
    assert [s.rate for s in result.steps] == [1, 2, 4, 8, 16, 11.31, 9.512, 10.37]
    # the first step drains up to the stream deadline (or what the budget leaves), later ones less
    assert target.plans[0].drain_s <= 300 and target.plans[1].drain_s == 5.0


def test_an_invalid_step_is_measured_again_and_twice_ends_the_search(fake: Any, tmp_path: Path) -> None:
    fake(FakeTarget(10.0, {2: "invalid"}))
    once = runner.run_capacity(CapacityOptions(report_dir=tmp_path))
    assert [(s.rate, s.attempt, s.verdict) for s in once.steps[:3]] == [
        (1, 1, "pass"),
        (2, 1, "invalid"),
        (2, 2, "pass"),
    ]
    assert once.exit_code == 0 and once.capacity_rps == 9.512
    fake(FakeTarget(10.0, {2: "invalid", 3: "invalid"}))
    twice = runner.run_capacity(CapacityOptions(report_dir=tmp_path))
    assert (twice.verdict, twice.exit_code, len(twice.steps)) == ("measurement_invalid", 4, 3)
    assert "limited by the generator, not the target, twice" in twice.reason


def test_a_step_that_cannot_run_ends_the_search_and_keeps_the_steps(fake: Any, tmp_path: Path) -> None:
    fake(FakeTarget(10.0, {3: "error"}))
    result = runner.run_capacity(CapacityOptions(report_dir=tmp_path))
    assert (result.verdict, result.exit_code, result.complete) == ("incomplete", 3, False)
    assert [s.rate for s in result.steps] == [1, 2] and result.capacity_rps == 2
    assert result.reason.startswith("the step at 4/s could not run: Locust did not finish")
    # ... unless the steps before it already answer --min-rps
    fake(FakeTarget(10.0, {3: "error"}))
    assert runner.run_capacity(CapacityOptions(report_dir=tmp_path, min_rps=2)).exit_code == 0


def test_the_search_ends_within_its_budget(
    fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    target = FakeTarget(100.0)

    def timed(*args: Any) -> Any:
        out = target(*args)
        clock[0] += out[1]
        return out

    fake(timed)
    result = runner.run_capacity(CapacityOptions(report_dir=tmp_path, max_time_s=100.0))
    assert result.seconds <= 100.0 and (result.verdict, result.exit_code) == ("incomplete", 3)
    assert "the search stopped at --max-time" in result.reason
    assert all(p.warmup_s + p.step_s + p.drain_s <= 100 for p in target.plans)
    assert dataclasses.asdict(target.plans[0])["drain_s"] < 300  # bounded by what the budget leaves
