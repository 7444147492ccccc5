"""Run the capacity search: ``run_capacity(options) -> CapacityResult``.

The target is resolved and probed once (``chatgate.load.launch.targets``: without ``--base-url`` one
embedded reference server serves the whole search), then each step is one open-model load run against
it (``chatgate.load.runner.run_load_at``: a fresh Locust process, its own in-flight cap, high enough
that no arrival waits for it), judged by the scenario's SLOs (``search.judge_step``) until
``search.next_rate`` says the search is done or the next step would not end within ``--max-time``.

Each step keeps its load run in ``<report-dir>/<scenario>/steps/<NN>-<rate>/<scenario>/`` (``raw/``,
``summary.json``, ``summary.md``: a kept run ``chatgate compare`` can read), written as the search
goes; the search's own reports are the caller's (``chatgate.capacity.report``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Mapping

from chatgate.apis import ApiName
from chatgate.artifacts import RunDir
from chatgate.capacity.model import CapacityOptions, CapacityResult, Step, StepPlan
from chatgate.capacity.search import conclude, judge_step, next_rate, plan_steps, settle_plan
from chatgate.contract_model import spec_sources
from chatgate.errors import EXIT_TARGET, ChatgateError, UsageError
from chatgate.load.config import (
    DEFAULT_MAX_IN_FLIGHT,
    SCENARIO_APIS,
    SCENARIOS,
    load_options,
    require_scenario,
    scenario_deadlines,
)
from chatgate.load.launch import targets
from chatgate.load.model import LoadResult
from chatgate.load.report import render_markdown
from chatgate.load.runner import read_slo, run_load_at
from chatgate.load.slo import ScenarioSlo, SloFile
from chatgate.targets import Target

__all__ = ["check_options", "run_capacity"]

FIRST_OVERHEAD_S = 6.0  # a step's Locust start-up, drain and summary, until one has been measured


def check_options(o: CapacityOptions) -> None:
    """UsageError (exit 2) for values the search cannot use."""
    if o.scenario not in SCENARIOS:
        raise UsageError(f"unknown scenario {o.scenario!r} (known: {', '.join(SCENARIOS)})")
    for flag, value in (("--min-rps", o.min_rps), ("--start-rps", o.start_rps), ("--max-rps", o.max_rps)):
        if value is not None and not value > 0:
            raise UsageError(f"{flag} must be positive")
    if o.max_rps is not None and o.start_rps is not None and o.start_rps > o.max_rps:
        raise UsageError("--start-rps must not be above --max-rps")
    if not 0.01 <= o.resolution <= 1.0:
        raise UsageError("--resolution must be between 1% and 100%")
    if o.max_time_s <= 0 or (o.step_time_s is not None and o.step_time_s <= 0):
        raise UsageError("--max-time and --step-time must be positive")
    if o.warmup_s is not None and o.warmup_s < 0:
        raise UsageError("--warmup must not be negative")


def _step_slo(slo: SloFile, scenario: str) -> SloFile:
    """The SLO file a step is judged by: the scenario's table without ``min_throughput_rps``."""
    table = slo.scenario(scenario)
    kept = {k: v for k, v in table.thresholds.items() if k != "min_throughput_rps"}
    return dataclasses.replace(
        slo, scenarios={**slo.scenarios, scenario: dataclasses.replace(table, thresholds=kept)}
    )


def _stream_deadline(o: CapacityOptions, table: ScenarioSlo) -> float:
    d = scenario_deadlines(o.scenario)  # the spec's stream liveness when neither flag nor SLO key says
    return (
        o.stream_timeout_s
        if o.stream_timeout_s is not None
        else table.deadlines.get("stream_timeout", d.stream_s)
    )


def _run_step(
    o: CapacityOptions, plan: StepPlan, rate: float, index: int, found: Mapping[ApiName, Target], slo: SloFile
) -> tuple[LoadResult, float, str]:
    """One step's load run; its result, wall time and report directory. ``plan.drain_s`` is what is
    left of the budget at most (the search ends on time, whatever the target does)."""
    where = o.report_dir / o.scenario / "steps" / f"{index:02d}-{rate:g}rps"
    cap = max(DEFAULT_MAX_IN_FLIGHT, math.ceil(rate * (plan.warmup_s + plan.step_s + plan.drain_s) * 1.1))
    options = load_options(
        o.scenario, arrival_rate=rate, poisson=o.poisson, max_in_flight=cap, workers=o.workers,
        report_dir=where,
        run_time_s=plan.warmup_s + plan.step_s, warmup_s=plan.warmup_s, stop_timeout_s=plan.drain_s,
        request_timeout_s=o.request_timeout_s, stream_idle_timeout_s=o.stream_idle_timeout_s,
        stream_timeout_s=o.stream_timeout_s,
    )  # fmt: skip
    started = time.monotonic()
    result = run_load_at(options, found, slo)
    run_dir = RunDir(result.report_dir)
    run_dir.publish(
        {
            "summary.json": json.dumps(result.to_json(), indent=2) + "\n",
            "summary.md": render_markdown(result),
        },
        secrets=result.secrets,
    )
    return result, time.monotonic() - started, str(result.report_dir)


def _step(
    index: int, rate: float, attempt: int, result: LoadResult, seconds: float, where: str, max_err: float
) -> Step:
    s = result.summary
    verdict, limiting, observed, threshold, reason = judge_step(result, max_err)
    lat, metric = (s.ttft_intended, "ttft") if s.ttft.count else (s.intended, "latency")
    return Step(
        index=index, rate=rate, attempt=attempt, verdict=verdict, limiting=limiting, observed=observed,
        threshold=threshold, reason=reason, achieved_rps=s.achieved_rps or 0.0,
        throughput_rps=s.throughput_rps,
        goodput_rps=s.goodput.rps, goodput_share=s.goodput.share, error_rate=s.error_rate,
        rate_limited=s.errors.get("http_429", 0), not_completed=s.unfinished + s.not_sent.get("held_back", 0),
        offered=s.offered, latency_metric=metric, latency=(lat.p50, lat.p95, lat.p99),
        mean_in_flight=s.throughput_rps * s.latency.mean / 1000.0, in_flight_peak=s.in_flight_peak,
        seconds=round(seconds, 2), dir=where,
    )  # fmt: skip


def _search(
    o: CapacityOptions, found: Mapping[ApiName, Target], slo: SloFile, plan: StepPlan, t0: float
) -> tuple[list[Step], StepPlan, str, ChatgateError | None]:
    """The steps until the search is done, out of time ("stopped at --max-time") or a step could not
    run (the error: the steps so far are still reported)."""
    table = slo.scenario(o.scenario)
    max_err = table.thresholds.get("max_error_rate", 0.01)
    steps: list[Step] = []
    overhead, settled = FIRST_OVERHEAD_S, False
    while True:
        retry = bool(steps) and steps[-1].verdict == "invalid" and steps[-1].attempt == 1
        rate = steps[-1].rate if retry else next_rate(steps, o)
        if rate is None or (len(steps) >= 2 and steps[-1].verdict == steps[-2].verdict == "invalid"):
            return steps, plan, "", None
        left = o.max_time_s - (time.monotonic() - t0) - plan.warmup_s - plan.step_s
        if left < overhead:
            return steps, plan, "the search stopped at --max-time", None
        step_plan = dataclasses.replace(plan, drain_s=min(plan.drain_s, max(1.0, left - FIRST_OVERHEAD_S)))
        try:
            result, seconds, where = _run_step(o, step_plan, rate, len(steps) + 1, found, slo)
        except ChatgateError as exc:
            return steps, plan, f"the step at {rate:g}/s could not run: {exc}", exc
        step = _step(len(steps) + 1, rate, 2 if retry else 1, result, seconds, where, max_err)
        steps.append(step)
        measured = seconds - plan.warmup_s - plan.step_s  # start-up, drain, summary
        overhead = measured if len(steps) == 1 else max(overhead, measured)
        if step.verdict == "pass" and not settled:
            plan, settled = settle_plan(plan, o, table.thresholds, result.summary.latency.p99 / 1000.0), True


def _implied_streams(steps: list[Step], capacity: float | None) -> float | None:
    """Streaming scenarios: the capacity times how long a stream takes unloaded (the mean time in flight
    at the lowest rate that passed): the streams the target serves at once at its capacity."""
    passed = [s for s in steps if s.verdict == "pass" and s.throughput_rps > 0]
    if capacity is None or not passed or passed[0].latency_metric != "ttft":
        return None
    lowest = min(passed, key=lambda s: s.rate)
    return round(capacity * lowest.mean_in_flight / lowest.throughput_rps, 2)


def run_capacity(o: CapacityOptions) -> CapacityResult:
    """Search the capacity of the target for ``o.scenario`` (see ``chatgate.capacity.search``)."""
    check_options(o)
    require_scenario(o.scenario)
    slo = read_slo(o.slo_file, o.scenario, no_slo=o.no_slo)
    if not o.no_slo and _step_slo(slo, o.scenario).scenario(o.scenario).judges_nothing():
        raise UsageError(
            f"{slo.path}: the capacity search would judge its steps by no SLO: min_throughput_rps, the only "
            "threshold of the scenario, is set by the offered rate; set another, or pass --no-slo"
        )
    table = slo.scenario(o.scenario)
    plan = plan_steps(o, table.thresholds, _stream_deadline(o, table))
    t0 = time.monotonic()
    probe_options = load_options(o.scenario, base_url=o.base_url, server_args=o.server_args)
    with targets(probe_options) as found:
        steps, plan, stopped, failure = _search(o, found, _step_slo(slo, o.scenario), plan, t0)
        secrets = tuple(t.key for t in found.values())
        target = " ".join(dict.fromkeys(t.base_url for t in found.values()))
        embedded = any(t.embedded for t in found.values())
    lo, hi, verdict, code, reason = conclude(steps, o)
    if failure is not None and verdict == "incomplete":  # a step could not run: its error decides
        code, reason = failure.exit_code or EXIT_TARGET, f"{stopped} (complete: false)"
    else:
        reason = "; ".join(r for r in (reason, stopped) if r)
    return CapacityResult(
        scenario=o.scenario, target=target, options=o, plan=plan, capacity_rps=lo, failing_rps=hi,
        concurrent_streams=_implied_streams(steps, lo),
        complete=verdict != "incomplete", resolution_reached=(hi / lo - 1) if lo and hi else None,
        verdict=verdict, exit_code=code, reason=reason, steps=tuple(steps),
        seconds=round(time.monotonic() - t0, 1), report_dir=o.report_dir / o.scenario, secrets=secrets,
        embedded=embedded, specs=tuple(spec_sources(SCENARIO_APIS[o.scenario])),
    )  # fmt: skip
