"""Read a kept load run (``chatgate load``'s report directory: ``summary.json`` and ``raw/``), the metrics
both of two runs measured, and each metric's per-window sample.

**Every metric both runs measured** is compared (``compared_metrics``), whatever their SLO files
judged: the thresholds are context, shown beside the metric they judge (``Metric.slo_key``), never a
condition. On the per-request values of the kept rows (``chatgate.load.rows``; the gaps from the HDR
interval logs, ``chatgate.load.raw``):

=======================  =====================================================================
TTFT p50, p95, p99       time to the first delta of successful streams (open model: from the
                         intended start, as the SLO judges it)
ITL p50, p99             the gaps between deltas (every gap, from the interval histograms)
largest gap, p99         each stream's largest gap: the p99 over streams (a maximum is one value,
                         and no test on a single value can keep its false alarms rare); what
                         ``max_gap_ms`` judges is compared on it
latency p50, p95, p99    successful requests (open model: from the intended start)
error rate               the share of finished requests that failed (compared as a difference)
throughput               finished requests per second (lower is worse)
goodput share            the share of judged arrivals that were good (lower is worse), both runs
                         by the same bounds (the new run's)
=======================  =====================================================================

Per request name, when the scenario sends more than one: TTFT p95 (streams), latency p95, error rate and
throughput, and any other of the above a request table of either SLO file judged.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from chatgate.compare.model import Metric
from chatgate.compare.stats import Sample
from chatgate.errors import UsageError
from chatgate.load.raw import RAW_VERSION, read_hlogs, read_manifest
from chatgate.load.rows import Rows, good_mask, read_judged_rows
from chatgate.load.slo import RequestSlo, ScenarioSlo

__all__ = [
    "GOODPUT",
    "KeptRun",
    "compared_metrics",
    "find_run",
    "read_run",
    "sample_of",
    "with_goodput_bounds",
]

Floats = npt.NDArray[np.float64]

# source -> (label, statistic kind, unit, which way is worse, percentiles of the whole run, of each name)
_SOURCES: dict[str, tuple[str, str, str, str, tuple[float, ...], tuple[float, ...]]] = {
    "ttft": ("TTFT", "percentile", "ms", "higher", (50.0, 95.0, 99.0), (95.0,)),
    "itl": ("ITL", "percentile", "ms", "higher", (50.0, 99.0), ()),
    "largest_gap": ("largest gap per stream,", "percentile", "ms", "higher", (99.0,), ()),
    "latency": ("latency", "percentile", "ms", "higher", (50.0, 95.0, 99.0), (95.0,)),
    "errors": ("error rate", "share", "share", "higher", (0.0,), (0.0,)),
    "throughput": ("throughput", "rate", "req/s", "lower", (0.0,), (0.0,)),
    "good": ("goodput share", "share", "share", "lower", (0.0,), ()),
}
# SLO key -> the (source, percentile) it judges
_SLO_METRIC = {
    "p95_ttft_ms": ("ttft", 95.0), "p99_ttft_ms": ("ttft", 99.0), "p99_itl_ms": ("itl", 99.0),
    "max_gap_ms": ("largest_gap", 99.0), "p95_latency_ms": ("latency", 95.0),
    "p99_latency_ms": ("latency", 99.0), "max_error_rate": ("errors", 0.0),
    "min_throughput_rps": ("throughput", 0.0),
}  # fmt: skip
_KEY = {"errors": "error_rate", "throughput": "throughput", "good": "goodput_share"}
GOODPUT = "goodput_share"


@dataclass(frozen=True)
class KeptRun:
    """One kept run, read once: its summary, its judged rows (and which were good), its gaps."""

    path: Path
    summary: Mapping[str, Any]
    rows: Rows
    good: npt.NDArray[np.bool_]
    row_window: npt.NDArray[np.int64]
    itl: tuple[Floats, Floats, npt.NDArray[np.int64]]  # values (ms), counts, window
    windows: int
    window_s: float

    @property
    def is_open(self) -> bool:
        return bool(self.summary["model"]["kind"] == "open")


def find_run(path: Path) -> Path:
    """The directory holding the run's ``summary.json``: ``path`` itself, or its one scenario folder
    (``reports/load`` after a single scenario's run)."""
    if (path / "summary.json").is_file():
        return path
    if not path.is_dir():
        raise UsageError(f"{path}: no such directory (expected a chatgate load report directory)")
    found = sorted(p.parent for p in path.glob("*/summary.json"))
    if len(found) == 1:
        return found[0]
    which = f"one of {', '.join(p.name for p in found)}" if found else "a load report directory"
    raise UsageError(f"{path}: no summary.json here; give {which} (e.g. reports/load/<scenario>)")


def _table(applied: Mapping[str, Any]) -> ScenarioSlo:
    requests = {
        name: RequestSlo(dict(t.get("thresholds", {})), dict(t.get("goodput", {})))
        for name, t in dict(applied.get("requests", {})).items()
    }
    thresholds, goodput = dict(applied.get("thresholds", {})), dict(applied.get("goodput", {}))
    return ScenarioSlo(thresholds=thresholds, goodput=goodput, requests=requests)


def _itl(raw: Path, t0: float, window_s: float, windows: int) -> tuple[Floats, Floats, npt.NDArray[np.int64]]:
    values: list[float] = []
    counts: list[float] = []
    where: list[int] = []
    for _worker, metric, start, _end, h in read_hlogs(raw):
        if metric != "itl" or not h.count:
            continue
        k = min(windows - 1, max(0, int((start - t0) // window_s)))
        for it in h.hdr.get_recorded_iterator():
            values.append(it.value_iterated_to / 1000.0)
            counts.append(float(it.count_at_value_iterated_to))
            where.append(k)
    return np.array(values), np.array(counts), np.array(where, dtype=np.int64)


def read_run(path: Path) -> KeptRun:
    """Read a kept run (UsageError, exit 2, when ``path`` holds none)."""
    root = find_run(path)
    try:
        summary: dict[str, Any] = json.loads((root / "summary.json").read_text(encoding="utf-8"))
        raw = root / str(summary["raw"]["dir"])
        manifest = read_manifest(raw)
        rows = read_judged_rows(raw)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(
            f"{root}: not a kept chatgate load run with raw data of version {RAW_VERSION} ({exc})"
        ) from None
    window_s = float(manifest.get("interval_s", 1.0))
    t0 = float(manifest["started"]) + float(manifest.get("warmup_s", 0.0))
    windows = max(1, math.ceil(float(summary["duration_s"]) / window_s - 1e-9))
    k = np.clip(np.floor((rows.at - t0) / window_s), 0, windows - 1)
    good = good_mask(rows, _table(summary.get("slo_applied") or {}))
    itl = _itl(raw, t0, window_s, windows)
    # the judged run's own length over its windows (the last interval may be cut short): rates per second
    per_window_s = float(summary["duration_s"]) / windows
    return KeptRun(root, summary, rows, good, np.nan_to_num(k).astype(np.int64), itl, windows, per_window_s)


def _thresholds(summary: Mapping[str, Any]) -> dict[tuple[str, float, str | None], tuple[str, float]]:
    """What the run's SLO checks judged: (source, percentile, request) -> (SLO key, threshold)."""
    out = {}
    for check in summary.get("slo", []):
        key = str(check["key"])
        if key in _SLO_METRIC:
            source, q = _SLO_METRIC[key]
            out[(source, q, check.get("request"))] = (key, float(check["threshold"]))
    return out


def _measured(run: KeptRun, source: str, request: str | None) -> bool:
    """Whether ``run`` measured ``source`` (for ``request``, or the whole run)."""
    if source == "itl":
        return request is None and float(run.itl[1].sum()) > 0
    r = run.rows
    mine = np.ones(len(r), dtype=np.bool_) if request is None else r.name == request
    if source in ("errors", "throughput"):
        return bool((mine & r.finished).any())
    if source == "good":
        return bool(mine.any())
    column = {"ttft": r.ttft, "latency": r.total, "largest_gap": r.max_gap}[source]
    return bool((mine & r.ok & ~np.isnan(column)).any())


def _metric(source: str, q: float, request: str | None, is_open: bool) -> Metric:
    label, kind, unit, worse, _, _ = _SOURCES[source]
    key = _KEY.get(source) or f"{source}_p{q:g}"
    if kind == "percentile":
        label = f"{label} p{q:g}"
    if is_open and source in ("ttft", "latency"):
        label += " (from intended start)"
    return Metric(key, request, label, source, kind, q, unit, worse, source == "errors")


def compared_metrics(base: KeptRun, new: KeptRun) -> list[Metric]:
    """Every metric both runs measured (see the module docstring), each marked with the SLO key that
    judged it in either run and both runs' thresholds."""
    names = sorted(set(base.rows.name[base.rows.finished]) & set(new.rows.name[new.rows.finished]))
    wanted: list[tuple[str, float, str | None]] = [
        (source, q, None) for source, spec in _SOURCES.items() for q in spec[4]
    ]
    if len(names) > 1:
        wanted += [(source, q, str(n)) for n in names for source, spec in _SOURCES.items() for q in spec[5]]
    judged_b, judged_n = _thresholds(base.summary), _thresholds(new.summary)
    wanted += [k for k in {**judged_b, **judged_n} if k not in wanted]
    out = []
    for source, q, request in wanted:
        if not (_measured(base, source, request) and _measured(new, source, request)):
            continue
        metric = _metric(source, q, request, base.is_open)
        tb, tn = judged_b.get((source, q, request)), judged_n.get((source, q, request))
        if tb is not None or tn is not None:
            slo_key = (tb or tn or ("", 0.0))[0]
            thresholds = (tb[1] if tb else None, tn[1] if tn else None)
            metric = replace(metric, slo_key=slo_key, thresholds=thresholds)
        out.append(metric)
    return out


def with_goodput_bounds(run: KeptRun, applied: Mapping[str, Any]) -> KeptRun:
    """``run`` with its good requests judged by another run's goodput bounds (``slo_applied``)."""
    return replace(run, good=good_mask(run.rows, _table(applied)))


def sample_of(run: KeptRun, metric: Metric) -> Sample:
    """The per-window sample of ``metric`` in ``run``."""
    if metric.source == "itl":
        values, counts, where = run.itl
        return Sample("percentile", values, counts, where, run.windows, run.window_s, metric.q)
    r = run.rows
    mine = np.ones(len(r), dtype=np.bool_) if metric.request is None else r.name == metric.request
    if metric.source == "good":
        values = run.good.astype(np.float64)
    elif metric.source in ("errors", "throughput"):
        mine &= r.finished
        values = (r.state == "error").astype(np.float64)
    else:
        column = {"ttft": r.ttft + r.late, "latency": r.total + r.late, "largest_gap": r.max_gap}[
            metric.source
        ]
        mine &= r.ok & ~np.isnan(column)
        values = column
    return Sample(metric.kind, values[mine], np.ones(int(mine.sum())), run.row_window[mine], run.windows,
                  run.window_s, metric.q)  # fmt: skip
