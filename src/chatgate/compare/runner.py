"""Compare two kept load runs: ``compare_runs(base, new) -> CompareResult`` (no file written here).

The steps: both runs read (``samples.read_run``) -> comparable? (same scenario, load model and
deadlines; else ``not_comparable``, exit 2, naming each difference) -> both measurements valid? (else
``measurement_invalid``, exit 4) -> every metric both runs measured (``samples.compared_metrics``)
compared by a block bootstrap (``stats``) -> Holm's correction over that family -> the verdict.

**Thresholds are context, not a condition.** Runs judged by different SLO files compare alike: every
metric both measured is compared, and a metric an SLO judged is marked with its key and each run's
threshold (``notes`` say how the files differ). Goodput is computed for both runs with the new run's
bounds, so the two shares count the same thing.

**The rule.** For each metric, ``change`` is how much worse the new run is: relative (``new / base - 1``
for latencies, ``1 - new / base`` for throughput and goodput), or for the error rate the difference of
the two shares (a ratio of two shares near zero means nothing). Its limit is ``--max-regression``
(default 10%); the error rate's is ``max(--max-regression x the base rate, 0.5 percentage points)``.
The bootstrap gives each metric a one-sided p-value for "worse by no more than its limit": the share of
the replicates (plus one) whose change is at or below the limit. **Holm's step-down correction** over
every metric tested keeps the chance that any metric of an A/A pair is called worse at 5% or less
(``CONFIDENCE``): sorted by p-value, the i-th of m is a regression while ``p <= 5% / (m - i + 1)``
holds for it and for every one before it (``adjusted_p`` < 5%). One metric alone: its 95% lower bound
above the limit. A metric with too few samples (fewer than 20, or than ``2 / (1 - q)`` for a percentile
q: a p99 needs 200) or a run of fewer than 5 windows is shown, not tested, and not counted in the
family. Exit 1 when any metric regressed, else 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from chatgate.compare.model import CompareResult, Comparison, Metric, RunInfo
from chatgate.compare.samples import KeptRun, compared_metrics, read_run, sample_of, with_goodput_bounds
from chatgate.compare.stats import Sample, block_length, point, quantiles, replicates
from chatgate.errors import EXIT_FINDINGS, EXIT_MEASUREMENT_INVALID, EXIT_OK, EXIT_USAGE

__all__ = ["CONFIDENCE", "compare_runs", "compare_samples", "holm", "not_comparable", "slo_notes"]

CONFIDENCE = 0.95  # of the family: no metric of an A/A pair called worse, 95% of the time
ALPHA = 1.0 - CONFIDENCE
MIN_ERROR_LIMIT = 0.005  # the error rate may rise by at least 0.5 percentage points
MIN_SAMPLES = 20
MIN_WINDOWS = 5
_MODEL_FIELDS = ("kind", "arrival_rate", "users", "spawn_rate", "poisson", "shape")


def _diff(what: str, a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    out = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            out.append(f"{what}{key} {a.get(key, 'unset')} -> {b.get(key, 'unset')}")
    return out


def not_comparable(base: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Why two runs' summaries cannot be compared (empty: they can). Their SLO files do not matter."""
    if base["scenario"] != new["scenario"]:
        return [f"other scenario: base {base['scenario']}, new {new['scenario']}"]
    reasons = []
    model = _diff(
        "", {k: base["model"].get(k) for k in _MODEL_FIELDS}, {k: new["model"].get(k) for k in _MODEL_FIELDS}
    )
    if model:
        reasons.append("other load model: " + ", ".join(model))
    deadlines = _diff("", base.get("deadlines", {}), new.get("deadlines", {}))
    if deadlines:
        reasons.append("other deadlines: " + ", ".join(deadlines))
    return reasons


def slo_notes(base: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """How the two runs' SLO tables differ (context: every metric is compared either way)."""
    a, b = base.get("slo_applied") or {}, new.get("slo_applied") or {}
    slo = _diff("", a.get("thresholds", {}), b.get("thresholds", {}))
    bounds = _diff("", a.get("goodput", {}), b.get("goodput", {}))
    requests_a, requests_b = a.get("requests", {}), b.get("requests", {})
    for name in sorted(set(requests_a) | set(requests_b)):
        ta, tb = requests_a.get(name, {}), requests_b.get(name, {})
        slo += _diff(f"{name}: ", ta.get("thresholds", {}), tb.get("thresholds", {}))
        bounds += _diff(f"{name}: ", ta.get("goodput", {}), tb.get("goodput", {}))
    notes = []
    if slo:
        notes.append(
            "the runs' SLO files differ (" + ", ".join(slo) + "): context only, every metric compared"
        )
    if bounds:
        notes.append("goodput bounds differ (" + ", ".join(bounds) + "): both runs' goodput by the new run's")
    return notes


def _info(run: KeptRun) -> RunInfo:
    s = run.summary
    return RunInfo(str(run.path), str(s["scenario"]), float(s["started"]), float(s["duration_s"]),
                   str(s.get("verdict", "")), str(s.get("invalid_reason", "")), dict(s["model"]),
                   bool(s.get("embedded", False)))  # fmt: skip


def _worse(metric: Metric, base: Any, new: Any) -> Any:
    """How much worse ``new`` is than ``base`` (arrays or numbers)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric.absolute:
            return new - base
        return new / base - 1.0 if metric.worse == "higher" else 1.0 - new / base


def _limit(metric: Metric, sb: Sample, max_regression: float) -> float:
    """How much worse ``metric`` may get: relative, or for the error rate an absolute difference of
    shares, ``max(max_regression x the base rate, MIN_ERROR_LIMIT)``."""
    if not metric.absolute:
        return max_regression
    return max(max_regression * (point(sb) if sb.size else 0.0), MIN_ERROR_LIMIT)


def _untested(metric: Metric, sb: Sample, sn: Sample, limit: float, note: str) -> Comparison:
    pb = point(sb) if sb.size else None
    pn = point(sn) if sn.size else None
    change = float(_worse(metric, pb, pn)) if pb and pn is not None else None
    return Comparison(metric, pb, pn, change, None, None, limit, False, False, note,
                      (int(sb.size), int(sn.size)))  # fmt: skip


def _too_little(metric: Metric, sb: Sample, sn: Sample) -> str:
    need = (
        max(MIN_SAMPLES, int(np.ceil(2.0 / (1.0 - metric.q / 100.0))))
        if metric.kind == "percentile"
        else MIN_SAMPLES
    )
    if min(sb.size, sn.size) < need:
        return f"too few samples: {int(sb.size)} and {int(sn.size)}, {need} needed"
    if min(sb.windows, sn.windows) < MIN_WINDOWS:
        return f"too short: {sb.windows} and {sn.windows} windows, {MIN_WINDOWS} needed"
    return ""


def compare_samples(
    metric: Metric, sb: Sample, sn: Sample, max_regression: float, resamples: int, rng: np.random.Generator
) -> Comparison:
    """One metric, from its base and new samples (see the module docstring for the rule); a regression
    here is this metric's alone (its p-value below 5%): ``holm`` decides over the family."""
    limit = _limit(metric, sb, max_regression)
    why = _too_little(metric, sb, sn)
    if why:
        return _untested(metric, sb, sn, limit, why)
    pb, pn = point(sb), point(sn)
    if pb == 0 and not metric.absolute:
        return _untested(metric, sb, sn, limit, "the base run measured 0: no relative change")
    blocks = (block_length(sb.per_window()), block_length(sn.per_window()))
    dist = _worse(
        metric, replicates(sb, blocks[0], resamples, rng), replicates(sn, blocks[1], resamples, rng)
    )
    low, high = (float(x) for x in np.nanpercentile(dist, [100 * ALPHA, 100 * CONFIDENCE]))
    finite = dist[~np.isnan(dist)]
    p_value = (1.0 + float((finite <= limit).sum())) / (1.0 + len(finite))
    return Comparison(
        metric, pb, pn, float(_worse(metric, pb, pn)), low, high, limit, p_value < ALPHA, True, "",
        (int(sb.size), int(sn.size)), blocks, (_curve(sb), _curve(sn)), p_value, p_value,
    )  # fmt: skip


def holm(comparisons: tuple[Comparison, ...]) -> tuple[Comparison, ...]:
    """Holm's step-down correction over the tested metrics: each one's ``adjusted_p`` (the largest of
    ``(m - j + 1) p_(j)`` up to its rank, at most 1), a regression when it is below ``ALPHA``."""
    tested = sorted((c.p_value, i) for i, c in enumerate(comparisons) if c.tested and c.p_value is not None)
    m, running, adjusted = len(tested), 0.0, {}
    for rank, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return tuple(
        replace(c, adjusted_p=adjusted[i], regression=adjusted[i] < ALPHA) if i in adjusted else c
        for i, c in enumerate(comparisons)
    )


def _curve(sample: Sample) -> tuple[float, ...]:
    """What the overlay plot draws: the distribution's percentiles 0..100, or the per-window series."""
    if sample.kind == "percentile":
        return tuple(float(x) for x in quantiles(sample, np.arange(101.0)))
    series = sample.per_window()
    return tuple(float(x) / (sample.window_s if sample.kind == "rate" else 1.0) for x in series)


def compare_runs(
    base: Path,
    new: Path,
    *,
    max_regression: float = 0.10,
    resamples: int = 2000,
    seed: int = 0,
    report_dir: Path = Path("reports/compare"),
) -> CompareResult:
    """Compare the kept runs in ``base`` and ``new`` (UsageError, exit 2, when one holds none)."""
    b, n = read_run(base), read_run(new)
    common = (_info(b), _info(n), max_regression, CONFIDENCE, resamples, seed)
    reasons = not_comparable(b.summary, n.summary)
    if reasons:
        return CompareResult(*common, "not_comparable", EXIT_USAGE, tuple(reasons), (), report_dir)
    invalid = [
        f"the {label} run's measurement is invalid ({run.summary.get('invalid_reason') or 'exit 4'})"
        for label, run in (("base", b), ("new", n))
        if run.summary.get("verdict") == "measurement_invalid"
    ]
    if invalid:
        return CompareResult(
            *common, "measurement_invalid", EXIT_MEASUREMENT_INVALID, tuple(invalid), (), report_dir
        )
    rng = np.random.default_rng(seed)
    notes = slo_notes(b.summary, n.summary)
    b = with_goodput_bounds(b, n.summary.get("slo_applied") or {})
    comparisons = holm(
        tuple(
            compare_samples(m, sample_of(b, m), sample_of(n, m), max_regression, resamples, rng)
            for m in compared_metrics(b, n)
        )
    )
    worse = any(c.regression for c in comparisons)
    verdict, code = ("regression", EXIT_FINDINGS) if worse else ("no_regression", EXIT_OK)
    return CompareResult(*common, verdict, code, (), comparisons, report_dir, tuple(notes))
