"""Read a kept load run (``chatgate load``'s report directory: ``summary.json`` and ``raw/``) and the
per-window samples of the metrics its SLO file judged.

What each judged SLO key is compared on (the per-request values of the kept rows, ``chatgate.load.rows``;
the gaps from the HDR interval logs, ``chatgate.load.raw``):

=====================  =======================================================================
``p95_ttft_ms`` ...    TTFT of successful streams at that percentile (open model: from the
                       intended start, as the SLO judges it)
``p95_latency_ms`` ..  latency of successful requests at that percentile (open model: from the
                       intended start)
``p99_itl_ms``         the gaps between deltas (every gap, from the interval histograms)
``max_gap_ms``         the p99 of each stream's largest gap: a maximum is one value, and no test
                       on a single value can keep its false alarms rare
``max_error_rate``     the share of finished requests that failed (compared as a difference)
``min_throughput_rps`` finished requests per second (lower is worse)
goodput                the share of judged arrivals that were good (lower is worse), when the
                       SLO file sets goodput bounds
=====================  =======================================================================

A key of a request name's table (``[scenario.<s>.request."<name>"]``) is compared on that name's rows.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from chatgate.compare.model import Metric
from chatgate.compare.stats import Sample
from chatgate.errors import UsageError
from chatgate.load.raw import RAW_VERSION, read_hlogs, read_manifest
from chatgate.load.rows import Rows, good_mask, read_judged_rows
from chatgate.load.slo import GOODPUT_KEYS, RequestSlo, ScenarioSlo

__all__ = ["KeptRun", "find_run", "judged_metrics", "read_run", "sample_of"]

Floats = npt.NDArray[np.float64]

# SLO key -> (label, source, statistic kind, percentile, unit, which way is worse)
_KEYS: dict[str, tuple[str, str, str, float, str, str]] = {
    "p95_ttft_ms": ("TTFT p95", "ttft", "percentile", 95.0, "ms", "higher"),
    "p99_ttft_ms": ("TTFT p99", "ttft", "percentile", 99.0, "ms", "higher"),
    "p95_latency_ms": ("latency p95", "latency", "percentile", 95.0, "ms", "higher"),
    "p99_latency_ms": ("latency p99", "latency", "percentile", 99.0, "ms", "higher"),
    "p99_itl_ms": ("ITL p99", "itl", "percentile", 99.0, "ms", "higher"),
    "max_gap_ms": ("largest gap per stream, p99", "largest_gap", "percentile", 99.0, "ms", "higher"),
    "max_error_rate": ("error rate", "errors", "share", 0.0, "share", "higher"),
    "min_throughput_rps": ("throughput", "throughput", "rate", 0.0, "req/s", "lower"),
}
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


def judged_metrics(summary: Mapping[str, Any]) -> list[Metric]:
    """The metrics ``summary``'s run was judged on (its ``slo`` checks), and goodput when it has bounds."""
    is_open = summary["model"]["kind"] == "open"
    out: list[Metric] = []
    for check in summary.get("slo", []):
        key = str(check["key"])
        if key not in _KEYS:
            continue
        label, source, kind, q, unit, worse = _KEYS[key]
        if is_open and source in ("ttft", "latency"):
            label += " (from intended start)"
        request = check.get("request")
        out.append(Metric(key, request, label, source, kind, q, unit, worse, key == "max_error_rate",
                          float(check["threshold"])))  # fmt: skip
    bounds = (summary.get("slo_applied") or {}).get("goodput") or {}
    if any(k in bounds for k in GOODPUT_KEYS):
        out.append(Metric(GOODPUT, None, "goodput share", "good", "share", 0.0, "share", "lower"))
    return out


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
