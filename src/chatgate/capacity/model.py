"""The capacity search as data: what was asked (``CapacityOptions``), how long each step runs
(``StepPlan``), each step (``Step``) and the answer (``CapacityResult``). Immutable; ``summary.json``
is rendered from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA_VERSION", "CapacityOptions", "CapacityResult", "Step", "StepPlan"]

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class CapacityOptions:
    """``chatgate capacity``'s options (times in seconds, rates in arrivals per second)."""

    scenario: str = "nara-stream-sends"
    base_url: str | None = None
    slo_file: Path | None = None
    no_slo: bool = False  # steps judged by no threshold (only unanswered arrivals and errors fail one)
    min_rps: float | None = None
    max_time_s: float = 600.0
    start_rps: float | None = None  # default: half of --min-rps, else 1/s
    max_rps: float | None = None
    resolution: float = 0.10
    step_time_s: float | None = None  # default: derived from the SLOs (search.plan_steps)
    warmup_s: float | None = None  # default: derived from the first step
    poisson: bool = False
    workers: int = 0
    report_dir: Path = Path("reports/capacity")
    server_args: tuple[str, ...] = ()
    request_timeout_s: float | None = None
    stream_idle_timeout_s: float | None = None
    stream_timeout_s: float | None = None


@dataclass(frozen=True)
class StepPlan:
    """How long each step runs (seconds) and why."""

    step_s: float  # judged part
    warmup_s: float  # before it, not judged
    drain_s: float  # after it: in-flight requests may finish (Locust's --stop-timeout)
    why: str


@dataclass(frozen=True)
class Step:
    """One open-model run at ``rate`` arrivals per second, judged.

    ``verdict``: ``pass``, ``fail`` (an SLO breached, or arrivals left unanswered after the drain) or
    ``invalid`` (the generator, not the target, limited it). ``limiting`` names the metric that failed
    it (the breach furthest past its threshold) or, for a pass, the one closest to its threshold.
    ``latency`` is the judged latency (TTFT for streaming scenarios, else latency, from the intended
    start) at p50/p95/p99 in ms. ``mean_in_flight`` is Little's law: throughput x mean time in flight.
    """

    index: int
    rate: float
    attempt: int
    verdict: str
    limiting: str
    observed: float | None
    threshold: float | None
    reason: str
    achieved_rps: float
    throughput_rps: float
    goodput_rps: float
    goodput_share: float
    error_rate: float
    rate_limited: int  # 429 answers: the target refused the load (they count against the step)
    not_completed: int  # unfinished after the drain, or held back by the in-flight cap until the stop
    offered: int
    latency_metric: str  # ttft (streaming scenarios) | latency
    latency: tuple[float, float, float]
    mean_in_flight: float
    in_flight_peak: int
    seconds: float  # wall time of the step
    dir: str


@dataclass(frozen=True)
class CapacityResult:
    """The answer: ``capacity_rps`` (the highest rate that passed; None when none did) and
    ``failing_rps`` (the lowest that failed above it), with the steps that found them.
    ``concurrent_streams`` (streaming scenarios): the capacity times the mean time a stream took at the
    lowest rate that passed (Little's law for a target that is not queueing)."""

    scenario: str
    target: str
    options: CapacityOptions
    plan: StepPlan
    capacity_rps: float | None
    failing_rps: float | None
    concurrent_streams: float | None
    complete: bool
    resolution_reached: float | None
    verdict: str  # pass | below_min | no_capacity | incomplete | measurement_invalid
    exit_code: int
    reason: str
    steps: tuple[Step, ...]
    seconds: float
    report_dir: Path
    secrets: tuple[str, ...] = field(default=(), repr=False)
    embedded: bool = False  # the embedded reference server served the search (no target given)
    specs: tuple[Mapping[str, str], ...] = ()  # per API driven: the spec file and info.version read

    def to_json(self) -> dict[str, Any]:
        """The content of ``summary.json``."""
        o = self.options
        return {
            "schema_version": SCHEMA_VERSION,
            "scenario": self.scenario,
            "target": self.target,
            "embedded": self.embedded,
            "specs": [dict(s) for s in self.specs],
            "capacity_rps": self.capacity_rps,
            "failing_rps": self.failing_rps,
            "concurrent_streams": self.concurrent_streams,
            "min_rps": o.min_rps,
            "complete": self.complete,
            "resolution": o.resolution,
            "resolution_reached": self.resolution_reached,
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "reason": self.reason,
            "seconds": self.seconds,
            "max_time_s": o.max_time_s,
            "arrivals": "poisson" if o.poisson else "constant",
            "plan": asdict(self.plan),
            "steps": [{**asdict(s), "latency": list(s.latency)} for s in self.steps],
        }
