"""The capacity search's decisions on their own (pure): step length from the SLOs, the next rate, a step's
verdict, the conclusion and its exit code, and whole searches against simulated targets."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from chatgate.capacity.model import CapacityOptions, Step
from chatgate.capacity.search import conclude, judge_step, next_rate, plan_steps, settle_plan
from chatgate.load.model import Check, LoadResult, Stats, Verdict
from tests.load.test_judge import summary as load_summary


def step(rate: float, verdict: str = "pass", attempt: int = 1, **changes: Any) -> Step:
    base = dict(
        index=1, rate=rate, attempt=attempt, verdict=verdict, limiting="", observed=None, threshold=None,
        reason="", achieved_rps=rate, throughput_rps=rate, goodput_rps=rate, goodput_share=1.0,
        error_rate=0.0, rate_limited=0, not_completed=0, offered=100, latency_metric="ttft",
        latency=(100.0, 110.0, 120.0), mean_in_flight=rate, in_flight_peak=10, seconds=10.0, dir="",
    )  # fmt: skip
    return Step(**{**base, **changes})


def search(capacity: float, o: CapacityOptions, budget: int = 30) -> tuple[list[Step], tuple[Any, ...]]:
    """Run the search against a target that passes exactly the rates up to ``capacity``."""
    steps: list[Step] = []
    while len(steps) < budget and (rate := next_rate(steps, o)) is not None:
        steps.append(step(rate, "pass" if rate <= capacity else "fail"))
    return steps, conclude(steps, o)


def test_a_step_is_long_enough_for_a_queue_at_the_resolution_to_breach_the_tightest_latency_slo() -> None:
    o = CapacityOptions()
    plan = plan_steps(o, {"p95_ttft_ms": 2000, "max_error_rate": 0.01}, 300.0)
    assert plan.step_s == 22  # 2 s / (0.95 x 10%) = 21.05 s, whole seconds
    assert "p95_ttft_ms 2 s" in plan.why and "L/(q f) = 21.1 s" in plan.why
    both = plan_steps(o, {"p95_ttft_ms": 500, "p99_latency_ms": 1000}, 300.0)
    assert both.step_s == 6  # p95 TTFT 0.5 s: 5.3 s beats p99 latency 1 s: 10.1 s (either breach fails)
    assert plan_steps(dataclasses.replace(o, resolution=0.05), {"p95_ttft_ms": 500}, 300.0).step_s == 11
    assert plan_steps(o, {"max_error_rate": 0.01}, 300.0).step_s == 5  # no latency SLO: the shortest
    long = plan_steps(o, {"p99_latency_ms": 30_000}, 300.0)
    assert long.step_s == 120 and "overloads under 25% may pass" in long.why
    assert plan_steps(dataclasses.replace(o, step_time_s=7.5), {}, 300.0).step_s == 8  # Locust: whole seconds


def test_warmup_and_drain_follow_the_longest_request_of_the_first_step_that_passed() -> None:
    o = CapacityOptions()
    plan = plan_steps(o, {"p95_ttft_ms": 2000}, 300.0)
    assert (plan.warmup_s, plan.drain_s) == (2.0, 300.0)  # the first step drains up to the stream deadline
    settled = settle_plan(plan, o, {"p95_ttft_ms": 2000}, longest_s=9.2)
    assert (settled.warmup_s, settled.drain_s, settled.step_s) == (10, 18.4, 22)
    assert settle_plan(plan, o, {"p95_ttft_ms": 2000}, longest_s=0.3).drain_s == 5.0
    given = settle_plan(
        plan_steps(dataclasses.replace(o, warmup_s=4), {}, 60.0), dataclasses.replace(o, warmup_s=4), {}, 9.0
    )
    assert given.warmup_s == 4


@pytest.mark.parametrize("capacity", [0.35, 3.7, 10.0, 40.0, 123.0])
def test_the_search_brackets_and_bisects_to_the_resolution(capacity: float) -> None:
    steps, (lo, hi, verdict, code, _) = search(capacity, CapacityOptions())
    assert (verdict, code) == ("pass", 0)
    assert lo <= capacity < hi and hi / lo <= 1.10, [s.rate for s in steps]
    assert len(steps) <= 12


def test_ten_per_second_from_one_takes_eight_steps() -> None:
    steps, (lo, hi, *_) = search(10.0, CapacityOptions())
    assert [s.rate for s in steps] == [1, 2, 4, 8, 16, 11.31, 9.512, 10.37]
    assert (lo, hi) == (9.512, 10.37)


def test_min_rps_decides_the_exit_code() -> None:
    assert search(10.0, CapacityOptions(min_rps=8))[1][2:4] == ("pass", 0)
    below = search(10.0, CapacityOptions(min_rps=12))
    assert below[0][0].rate == 6 and below[1][2:4] == ("below_min", 1)  # starts at half of --min-rps


def test_max_rps_caps_the_search_and_the_answer_is_at_least_it() -> None:
    steps, (lo, hi, verdict, code, reason) = search(100.0, CapacityOptions(max_rps=5))
    assert [s.rate for s in steps] == [1, 2, 4, 5] and (lo, hi, verdict, code) == (5, None, "pass", 0)
    assert reason == "at least --max-rps"


def test_a_target_that_sustains_nothing_is_exit_1() -> None:
    steps, (lo, _, verdict, code, _) = search(0.01, CapacityOptions())
    assert [s.rate for s in steps] == [1, 0.5, 0.25, 0.125] and (lo, verdict, code) == (
        None,
        "no_capacity",
        1,
    )


def test_out_of_time_before_the_knee_is_incomplete_exit_3() -> None:
    _, (lo, hi, verdict, code, reason) = search(100.0, CapacityOptions(), budget=3)
    assert (lo, hi, verdict, code) == (4, None, "incomplete", 3) and "complete: false" in reason
    # ... unless --min-rps is already answered
    assert search(100.0, CapacityOptions(min_rps=3), budget=3)[1][2:4] == ("pass", 0)


def test_a_step_invalid_twice_ends_the_search_with_exit_4() -> None:
    steps = [step(1), step(2, "invalid", reason="worker 0: loop_lag_p99_ms 31 > 20"), step(2, "invalid", 2)]
    *_, verdict, code, reason = conclude(steps, CapacityOptions())
    assert (verdict, code) == ("measurement_invalid", 4) and "2/s" in reason
    # once is measured again: the search goes on from the same rate's second attempt
    assert conclude(steps[:2], CapacityOptions())[2] == "incomplete"


def result(checks: tuple[Check, ...] = (), code: int = 0, **changes: Any) -> LoadResult:
    s = load_summary(offered=200, **changes)
    return LoadResult(s, Verdict(code, "x", "worker 0: late" if code == 4 else "", checks), report_dir=None)  # type: ignore[arg-type]


def test_a_step_fails_on_its_worst_breach_and_passes_naming_the_closest_threshold() -> None:
    ttft = Check("p95_ttft_ms", 500, 1500.0, False)
    errors = Check("max_error_rate", 0.01, 0.02, False)
    per_name = Check("p99_latency_ms", 100, 90.0, True, request="navigable.read")
    assert judge_step(result((errors, ttft), 1), 0.01) == ("fail", "p95_ttft_ms", 1500.0, 500, "")
    assert judge_step(result((Check("min_throughput_rps", 5, 0.1, False), per_name), 0), 0.01)[:2] == (
        "pass", "p99_latency_ms [navigable.read]",
    )  # fmt: skip
    assert judge_step(result(code=4), 0.01)[:2] == ("invalid", "generator")


def test_arrivals_left_unanswered_fail_a_step_but_the_generators_own_misses_do_not() -> None:
    held = judge_step(result(unfinished=2, not_sent={"held_back": 1}), 0.01)
    assert held[:4] == ("fail", "not_completed", 0.015, 0.01)
    assert judge_step(result(unfinished=1, not_sent={"generator": 3}), 0.01)[0] == "pass"
    assert judge_step(result(requests=0), 0.01)[:2] == ("fail", "no_answers")
    assert judge_step(result(latency=Stats()), 0.01)[0] == "pass"
