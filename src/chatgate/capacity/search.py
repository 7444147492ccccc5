"""The capacity search's decisions, as pure functions: how long a step runs, which rate comes next, how
a step is judged, and what the steps found.

**How long a step runs** (``plan_steps``). A step offered ``1 + f`` times what the target sustains
builds a queue: ``f x capacity`` more arrivals each second than it serves, so each new arrival waits
about ``f`` seconds longer than the one a second before. A bound ``L`` on a percentile ``q`` of latency
(or TTFT) is breached once more than ``1 - q`` of the step's requests waited longer than ``L``: after
``L / f`` seconds the waits pass ``L``, so over a judged step of ``T`` seconds the share past it is
``1 - L / (f T)``, above ``1 - q`` when ``T > L / (q f)``. To tell rates ``--resolution`` apart (f =
10% by default) a step is judged for ``T = L / (q x resolution)`` seconds, with the SLO that gives the
shortest ``T`` (any breach fails the step), in whole seconds (Locust's ``--run-time``), at least 5 s
and at most 120 s (longer bounds are then only
caught at a larger overload, ``L / (q T)``: the plan says so). A scenario without a latency SLO runs
steps of 5 s. Steps of one search all run this long (``--step-time`` sets it).

Before the judged part, a **warm-up** lets the target fill up to its steady state: the longest request
(p99 of latency from sent) of the first step that passed, at least 2 s (``--warmup`` sets it). After
it, a **drain** lets requests in flight finish (ended early once nothing is in flight): the first step
drains up to the stream deadline, later steps up to twice that longest request (at least the largest
latency bound, and 5 s). An arrival still unanswered after the drain took longer than any of those
bounds: together with arrivals still held back for the in-flight cap at the stop, past the
scenario's ``max_error_rate`` (1% without one) they fail the step (``not_completed``). (Arrivals the
generator never issued are the generator's: the load judge's late-arrival budget judges them.)

**Which rate next** (``next_rate``): from ``--start-rps`` (half of ``--min-rps``, else 1/s), double
the rate until a step fails (not above ``--max-rps``), or halve it until one passes (down to 0.1/s);
then bisect (geometric mean) between the highest rate that passed and the lowest that failed above it
until they are within ``--resolution`` of each other. The capacity is the highest rate that passed.

**A step's verdict** (``judge_step``): ``invalid`` when the load judge says the measurement is invalid
(exit 4: the generator, not the target, limited the step; the runner measures such a step once more,
and a second invalid step ends the search with exit 4); ``fail`` when an SLO of the scenario is
breached (``min_throughput_rps`` aside: the offered rate sets it), when no request finished, or when
too many arrivals went unanswered; else ``pass``. 429 answers are errors of the step (the target
refused the load: ``max_error_rate`` judges them) and are counted apart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from chatgate.capacity.model import CapacityOptions, Step, StepPlan
from chatgate.errors import EXIT_FINDINGS, EXIT_MEASUREMENT_INVALID, EXIT_OK, EXIT_TARGET
from chatgate.load.model import Check, LoadResult
from chatgate.load.slo import SLO_KEYS

__all__ = [
    "GROWTH",
    "MIN_RPS",
    "conclude",
    "judge_step",
    "next_rate",
    "plan_steps",
    "settle_plan",
    "start_rate",
]

GROWTH = 2.0
MIN_RPS = 0.1
MIN_STEP_S, MAX_STEP_S = 5.0, 120.0
MIN_WARMUP_S, MIN_DRAIN_S = 2.0, 5.0
# SLO keys whose breach a growing queue causes, with the percentile each judges
_QUEUE_KEYS = {"p95_ttft_ms": 0.95, "p99_ttft_ms": 0.99, "p95_latency_ms": 0.95, "p99_latency_ms": 0.99}


def _bounds(thresholds: Mapping[str, float]) -> list[tuple[str, float, float]]:
    return [(k, thresholds[k] / 1000.0, q) for k, q in _QUEUE_KEYS.items() if k in thresholds]


def plan_steps(o: CapacityOptions, thresholds: Mapping[str, float], stream_deadline_s: float) -> StepPlan:
    """The first step's plan (``settle_plan`` adapts warm-up and drain once a step has passed)."""
    warmup = math.ceil(o.warmup_s) if o.warmup_s is not None else MIN_WARMUP_S
    bounds = _bounds(thresholds)
    if o.step_time_s is not None:
        return StepPlan(math.ceil(o.step_time_s), warmup, stream_deadline_s, "--step-time")
    if not bounds:
        return StepPlan(MIN_STEP_S, warmup, stream_deadline_s, "no latency SLO: the shortest step")
    key, bound, q = min(bounds, key=lambda b: b[1] / b[2])
    need = bound / (q * o.resolution)
    step = min(MAX_STEP_S, max(MIN_STEP_S, math.ceil(need)))
    why = (
        f"{key} {bound:g} s: a step {o.resolution:.0%} over capacity adds {o.resolution:g} s of queue "
        f"wait a second, past the bound for {1 - q:.0%} of a step after L/(q f) = {need:.1f} s"
    )
    if need > MAX_STEP_S:
        why += f"; capped at {MAX_STEP_S:g} s, so overloads under {bound / (q * MAX_STEP_S):.0%} may pass"
    return StepPlan(step, warmup, stream_deadline_s, why)


def settle_plan(
    plan: StepPlan, o: CapacityOptions, thresholds: Mapping[str, float], longest_s: float
) -> StepPlan:
    """Warm-up and drain from the longest request (p99, seconds) of the first step that passed."""
    warmup = plan.warmup_s if o.warmup_s is not None else max(MIN_WARMUP_S, math.ceil(longest_s))
    largest = max((b for _, b, _ in _bounds(thresholds)), default=0.0)
    drain = min(plan.drain_s, max(MIN_DRAIN_S, largest, 2 * longest_s))
    return StepPlan(plan.step_s, warmup, round(drain, 2), plan.why)


def start_rate(o: CapacityOptions) -> float:
    if o.start_rps is not None:
        return o.start_rps
    return o.min_rps / 2 if o.min_rps else 1.0


def _bracket(steps: Sequence[Step]) -> tuple[float | None, float | None]:
    """(highest rate that passed below the lowest that failed, that lowest failing rate)."""
    fails = [s.rate for s in steps if s.verdict == "fail"]
    hi = min(fails) if fails else None
    lo = max((s.rate for s in steps if s.verdict == "pass" and (hi is None or s.rate < hi)), default=None)
    return lo, hi


def _tidy(rate: float) -> float:
    return float(f"{rate:.4g}")


def next_rate(steps: Sequence[Step], o: CapacityOptions) -> float | None:
    """The next rate to try, or None when the search is done."""
    if not steps:
        return _tidy(start_rate(o))
    lo, hi = _bracket(steps)
    if hi is None:
        assert lo is not None
        if o.max_rps is not None and lo >= o.max_rps:
            return None
        up = lo * GROWTH
        return _tidy(min(up, o.max_rps) if o.max_rps is not None else up)
    if lo is None:
        down = hi / GROWTH
        return _tidy(down) if down >= MIN_RPS else None
    if hi / lo <= 1 + o.resolution:
        return None
    return _tidy(math.sqrt(lo * hi))


def _past(c: Check) -> float:
    """How far past its threshold a check is (> 1: breached)."""
    kind = SLO_KEYS.get(c.key, ("", "max"))[1]
    if c.observed is None:
        return 0.0
    if kind == "min":
        return math.inf if c.observed <= 0 else c.threshold / c.observed
    return math.inf if c.threshold <= 0 < c.observed else (c.observed / c.threshold if c.threshold else 0.0)


def _name(c: Check) -> str:
    return c.key + (f" [{c.request}]" if c.request else "")


def judge_step(result: LoadResult, max_error_rate: float) -> tuple[str, str, float | None, float | None, str]:
    """(verdict, limiting metric, observed, threshold, reason) of one step (module docstring)."""
    s, v = result.summary, result.verdict
    if v.exit_code == EXIT_MEASUREMENT_INVALID:
        return "invalid", "generator", None, None, v.invalid_reason
    checks = [c for c in (*v.checks, *v.window_checks) if c.key != "min_throughput_rps"]
    breaches = [c for c in checks if not c.ok]
    if breaches:
        worst = max(breaches, key=_past)
        return "fail", _name(worst), worst.observed, worst.threshold, ""
    if s.requests == 0:
        return "fail", "no_answers", 0.0, None, "no request finished within the step"
    unanswered = s.unfinished + s.not_sent.get("held_back", 0)
    share = unanswered / s.offered if s.offered else 0.0
    if share > max_error_rate:
        why = f"{unanswered} of {s.offered} arrivals unanswered after the drain, or held back until the stop"
        return "fail", "not_completed", share, max_error_rate, why
    if s.stopped_early:
        return "fail", "stopped_early", None, None, s.stopped_early
    closest = max(checks, key=_past, default=None)
    if closest is None:
        return "pass", "", None, None, ""
    return "pass", _name(closest), closest.observed, closest.threshold, ""


def conclude(steps: Sequence[Step], o: CapacityOptions) -> tuple[float | None, float | None, str, int, str]:
    """(capacity, failing rate, verdict, exit code, reason) from the steps taken."""
    lo, hi = _bracket(steps)
    if len(steps) >= 2 and steps[-1].verdict == steps[-2].verdict == "invalid":
        last = steps[-1]
        return lo, hi, "measurement_invalid", EXIT_MEASUREMENT_INVALID, (
            f"the step at {last.rate:g}/s was limited by the generator, not the target, twice: {last.reason}"
        )  # fmt: skip
    capped = o.max_rps is not None and lo is not None and lo >= o.max_rps
    found = (lo is not None and hi is not None) or capped or (hi is not None and hi / GROWTH < MIN_RPS)
    if o.min_rps is not None:
        if lo is not None and lo >= o.min_rps:
            return lo, hi, "pass", EXIT_OK, f"sustains {lo:g}/s >= --min-rps {o.min_rps:g}"
        if found or (hi is not None and hi <= o.min_rps):
            return lo, hi, "below_min", EXIT_FINDINGS, f"capacity below --min-rps {o.min_rps:g}/s"
    elif found and lo is not None:
        return lo, hi, "pass", EXIT_OK, "at least --max-rps" if capped and hi is None else ""
    elif found:
        return lo, hi, "no_capacity", EXIT_FINDINGS, f"no rate down to {MIN_RPS:g}/s met the SLOs"
    return lo, hi, "incomplete", EXIT_TARGET, "the knee was not bracketed within --max-time (complete: false)"
