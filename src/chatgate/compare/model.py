"""The comparison of two kept load runs as data (immutable); ``summary.json`` is rendered from it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA_VERSION", "CompareResult", "Comparison", "Metric", "RunInfo"]

SCHEMA_VERSION = 2  # 2: every metric both runs measured (key a metric, not an SLO key), Holm's family


@dataclass(frozen=True)
class Metric:
    """One metric both runs measured (``key`` such as ``ttft_p95``, ``error_rate``; ``request``: one
    request name's, or the whole run's), what it is computed on, and, as context, the SLO key that
    judged it in either run (``slo_key``) with each run's threshold (``thresholds``: base, new)."""

    key: str
    request: str | None
    label: str
    source: str  # ttft | latency | itl | largest_gap | errors | throughput | good
    kind: str  # percentile | share | rate
    q: float
    unit: str  # ms | share | req/s
    worse: str  # higher | lower: which way is a regression
    absolute: bool = False  # compared as a difference (a share near 0 has no useful ratio)
    slo_key: str | None = None
    thresholds: tuple[float | None, float | None] = (None, None)

    @property
    def name(self) -> str:
        return self.label + (f" [{self.request}]" if self.request else "")

    @property
    def judged(self) -> bool:
        """An SLO of the base or the new run judged this metric."""
        return self.slo_key is not None


@dataclass(frozen=True)
class Comparison:
    """One metric, base against new.

    ``change`` is how much worse new is: relative (``new / base - 1``, or ``1 - new / base`` when lower
    is worse) or, for the error rate, the difference of the shares. ``low`` and ``high`` bound it: the
    5th and 95th percentiles of the bootstrap replicates. ``p_value``: the bootstrap's one-sided p-value
    of "worse by no more than ``limit``"; ``adjusted_p``: Holm's adjustment over every metric tested.
    A regression when ``adjusted_p`` < 1 - confidence; ``tested`` false (with ``note``) when there was
    too little to test.
    """

    metric: Metric
    base: float | None
    new: float | None
    change: float | None
    low: float | None
    high: float | None
    limit: float
    regression: bool
    tested: bool
    note: str = ""
    samples: tuple[int, int] = (0, 0)
    blocks: tuple[int, int] = (0, 0)  # block length in windows, base and new
    curves: tuple[tuple[float, ...], tuple[float, ...]] = field(default=((), ()), repr=False)
    p_value: float | None = None
    adjusted_p: float | None = None


@dataclass(frozen=True)
class RunInfo:
    """One of the two runs as its summary describes it."""

    dir: str
    scenario: str
    started: float
    duration_s: float
    verdict: str
    invalid_reason: str
    model: dict[str, Any]
    embedded: bool = False  # the run's target was the embedded reference server


@dataclass(frozen=True)
class CompareResult:
    """The verdict: ``no_regression`` (0), ``regression`` (1), ``not_comparable`` (2, ``reasons``) or
    ``measurement_invalid`` (4: a run's own measurement was invalid, ``reasons``). ``notes``: context
    that changes no verdict (the two runs' SLO files differ, goodput's bounds)."""

    base: RunInfo
    new: RunInfo
    max_regression: float
    confidence: float
    resamples: int
    seed: int
    verdict: str
    exit_code: int
    reasons: tuple[str, ...]
    comparisons: tuple[Comparison, ...]
    report_dir: Path
    notes: tuple[str, ...] = ()

    @property
    def regressions(self) -> tuple[Comparison, ...]:
        return tuple(c for c in self.comparisons if c.regression)

    def to_json(self) -> dict[str, Any]:
        """The content of ``summary.json`` (the plot's curves left out)."""
        comparisons = []
        for c in self.comparisons:
            d = asdict(c)
            d.pop("curves")
            d["metric"]["name"] = c.metric.name
            d["metric"]["judged"] = c.metric.judged
            d["metric"]["thresholds"] = list(c.metric.thresholds)
            d["samples"], d["blocks"] = list(c.samples), list(c.blocks)
            comparisons.append(d)
        return {
            "schema_version": SCHEMA_VERSION,
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "reasons": list(self.reasons),
            "notes": list(self.notes),
            "max_regression": self.max_regression,
            "confidence": self.confidence,
            "resamples": self.resamples,
            "seed": self.seed,
            "base": asdict(self.base),
            "new": asdict(self.new),
            "comparisons": comparisons,
        }
