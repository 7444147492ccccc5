"""Compare two kept load runs: ``compare_runs(base, new) -> CompareResult`` (no file written here).

The steps: both runs read (``samples.read_run``) -> comparable? (same scenario, load model, SLO table
and deadlines; else ``not_comparable``, exit 2, naming each difference) -> both measurements valid?
(else ``measurement_invalid``, exit 4) -> each judged metric (``samples.judged_metrics``) compared by a
block bootstrap (``stats``) -> the verdict.

**The rule.** For each metric, ``change`` is how much worse the new run is, and its one-sided 95% lower
bound ``low`` is the 5th percentile of the change over the bootstrap replicates. The metric has
**regressed** when ``low > limit``: the data show, at 95% confidence, that it got worse by more than
``--max-regression`` (default 10%). The limit is relative (``new / base - 1`` above 10%; a throughput or
goodput share falling by more than 10%), except for the error rate, whose change is the difference of
the two shares and whose limit is ``--max-regression`` times the SLO's ``max_error_rate`` (10% of a 1%
budget: 0.1 percentage point), because a ratio of two shares near zero means nothing. A metric with
too few samples (fewer than 20, or than ``2 / (1 - q)`` for a percentile q: a p99 needs 200) or a run
of fewer than 5 windows is shown, not tested. Exit 1 when any metric regressed, else 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from chatgate.compare.model import CompareResult, Comparison, Metric, RunInfo
from chatgate.compare.samples import KeptRun, judged_metrics, read_run, sample_of
from chatgate.compare.stats import Sample, block_length, point, quantiles, replicates
from chatgate.errors import EXIT_FINDINGS, EXIT_MEASUREMENT_INVALID, EXIT_OK, EXIT_USAGE

__all__ = ["CONFIDENCE", "compare_runs", "compare_samples", "not_comparable"]

CONFIDENCE = 0.95
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
    """Why two runs' summaries cannot be compared (empty: they can)."""
    if base["scenario"] != new["scenario"]:
        return [f"other scenario: base {base['scenario']}, new {new['scenario']}"]
    reasons = []
    model = _diff(
        "", {k: base["model"].get(k) for k in _MODEL_FIELDS}, {k: new["model"].get(k) for k in _MODEL_FIELDS}
    )
    if model:
        reasons.append("other load model: " + ", ".join(model))
    for label, s in (("base", base), ("new", new)):
        if not s.get("slo_applied"):
            reasons.append(
                f"the {label} run's summary.json has no slo_applied (from an older chatgate): run it again"
            )
    if not reasons:
        a, b = base["slo_applied"], new["slo_applied"]
        slo = _diff("", a["thresholds"], b["thresholds"]) + _diff("", a["goodput"], b["goodput"])
        for name in sorted(set(a["requests"]) | set(b["requests"])):
            ta, tb = a["requests"].get(name, {}), b["requests"].get(name, {})
            slo += _diff(f"{name}: ", {**ta.get("thresholds", {}), **ta.get("goodput", {})},
                         {**tb.get("thresholds", {}), **tb.get("goodput", {})})  # fmt: skip
        if slo:
            reasons.append("other SLO file: " + ", ".join(slo))
    deadlines = _diff("", base.get("deadlines", {}), new.get("deadlines", {}))
    if deadlines:
        reasons.append("other deadlines: " + ", ".join(deadlines))
    return reasons


def _info(run: KeptRun) -> RunInfo:
    s = run.summary
    return RunInfo(str(run.path), str(s["scenario"]), float(s["started"]), float(s["duration_s"]),
                   str(s.get("verdict", "")), str(s.get("invalid_reason", "")), dict(s["model"]))  # fmt: skip


def _worse(metric: Metric, base: Any, new: Any) -> Any:
    """How much worse ``new`` is than ``base`` (arrays or numbers)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric.absolute:
            return new - base
        return new / base - 1.0 if metric.worse == "higher" else 1.0 - new / base


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
    """One metric, from its base and new samples (see the module docstring for the rule)."""
    limit = max_regression * metric.threshold if metric.absolute else max_regression
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
    low, high = (float(x) for x in np.nanpercentile(dist, [100 * (1 - CONFIDENCE), 100 * CONFIDENCE]))
    return Comparison(
        metric, pb, pn, float(_worse(metric, pb, pn)), low, high, limit, low > limit, True, "",
        (int(sb.size), int(sn.size)), blocks, (_curve(sb), _curve(sn)),
    )  # fmt: skip


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
    comparisons = tuple(
        compare_samples(m, sample_of(b, m), sample_of(n, m), max_regression, resamples, rng)
        for m in judged_metrics(b.summary)
    )
    worse = any(c.regression for c in comparisons)
    verdict, code = ("regression", EXIT_FINDINGS) if worse else ("no_regression", EXIT_OK)
    return CompareResult(*common, verdict, code, (), comparisons, report_dir)
