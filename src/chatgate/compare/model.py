"""The comparison of two kept load runs as data (immutable); ``summary.json`` is rendered from it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA_VERSION", "CompareResult", "Comparison", "Metric", "RunInfo"]

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Metric:
    """One judged metric: the SLO key (and request name) it comes from, what it is computed on."""

    key: str
    request: str | None
    label: str
    source: str  # ttft | latency | itl | largest_gap | errors | throughput | good
    kind: str  # percentile | share | rate
    q: float
    unit: str  # ms | share | req/s
    worse: str  # higher | lower: which way is a regression
    absolute: bool = False  # compared as a difference (a share near 0 has no useful ratio)
    threshold: float = 0.0  # the SLO's own threshold (the scale of an absolute change's limit)

    @property
    def name(self) -> str:
        return self.label + (f" [{self.request}]" if self.request else "")


@dataclass(frozen=True)
class Comparison:
    """One metric, base against new.

    ``change`` is how much worse new is: relative (``new / base - 1``, or ``1 - new / base`` when lower
    is worse) or, for the error rate, the difference of the shares. ``low`` and ``high`` bound it: the
    5th and 95th percentiles of the bootstrap replicates (``low`` is the one-sided 95% lower bound).
    A regression when ``low > limit``; ``tested`` false (with ``note``) when there was too little to test.
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


@dataclass(frozen=True)
class CompareResult:
    """The verdict: ``no_regression`` (0), ``regression`` (1), ``not_comparable`` (2, ``reasons``) or
    ``measurement_invalid`` (4: a run's own measurement was invalid, ``reasons``)."""

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
            d["samples"], d["blocks"] = list(c.samples), list(c.blocks)
            comparisons.append(d)
        return {
            "schema_version": SCHEMA_VERSION,
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "reasons": list(self.reasons),
            "max_regression": self.max_regression,
            "confidence": self.confidence,
            "resamples": self.resamples,
            "seed": self.seed,
            "base": asdict(self.base),
            "new": asdict(self.new),
            "comparisons": comparisons,
        }
