"""What a load report plots, as data: time series of the judged run (TTFT, ITL and latency percentiles,
offered and achieved throughput, errors by class, requests in flight) and each distribution by
percentile, every one with the SLO lines that judge it (:class:`chatgate.plots.Chart`).

Built from the run's ``raw/`` alone. Only the judged part of the run is drawn (after the warm-up, before
the drain), interval by interval, and only whole intervals inside it: the partial ones at either edge
(part warm-up, part drain, or the last fraction of a second) are what made old plots start at 0 ms and
drop at the end. An interval with nothing measured is a gap, never a zero.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from chatgate.load.model import LoadResult
from chatgate.load.raw import read_rows
from chatgate.load.summary import RawTotals, read_raw
from chatgate.metrics import Histogram
from chatgate.plots import Chart, Limit, Series

__all__ = ["PLOT_ORDER", "charts"]

# The order a reader takes them in (reports and the main job's page): the SLO figures over time first.
PLOT_ORDER = (
    "ttft", "itl", "latency", "throughput", "errors", "in_flight",
    "ttft_distribution", "itl_distribution", "latency_distribution",
)  # fmt: skip
_X = "seconds into the judged run"
_PERCENTILES = (50.0, 95.0, 99.0)
# A distribution's percentiles on an axis that stretches the tail (x = -log10(1 - q/100)): the p90,
# p99 and p99.9 the SLOs judge are as far apart as 0 and p90.
_CURVE = (*range(0, 90, 5), *range(90, 99), 99.0, 99.25, 99.5, 99.75, 99.9)
_TICKS = ((0.0, "0"), (1.0, "90"), (2.0, "99"), (3.0, "99.9"))
_SPREAD = "Every sample of the judged run by percentile (the tail stretched); dashed red: the SLO thresholds."
_OVER_TIME = "p50, p95 and p99 of each interval; dashed red: the SLO thresholds that judge the run."


@dataclass(frozen=True)
class _Window:
    """One interval of the raw files inside the judged run: its key, where it sits, how long it is."""

    key: float
    x: float  # middle of its judged part, seconds into the judged run
    seconds: float  # its judged part


def _windows(raw: RawTotals, judged_from: float, judged_to: float) -> list[_Window]:
    interval = float(raw.manifest.get("interval_s", 1.0))
    starts = sorted(set(raw.interval_counters) | {s for s, _ in raw.interval_hists})
    out = []
    for i, start in enumerate(starts):
        end = min(start + interval, starts[i + 1] if i + 1 < len(starts) else start + interval)
        slack = 0.02 * interval  # clocks and rounding: an interval 20 ms short of the edge is inside
        if start >= judged_from - slack and end <= judged_to + slack and end - start >= interval - slack:
            out.append(_Window(start, round((start + end) / 2 - judged_from, 3), end - start))
    return out


def _matches(name: str, metric: str) -> bool:
    """``metric`` itself, or (a name ending in ``:``) every request name's histogram of it."""
    return name == metric or (metric.endswith(":") and name.startswith(metric))


def _by_interval(raw: RawTotals) -> dict[float, dict[str, Histogram]]:
    index: dict[float, dict[str, Histogram]] = {}
    for (start, name), hist in raw.interval_hists.items():
        index.setdefault(start, {})[name] = hist
    return index


def _merged(index: Mapping[float, Mapping[str, Histogram]], key: float, metric: str) -> Histogram:
    h = Histogram()
    for name, hist in index.get(key, {}).items():
        if _matches(name, metric):
            h.merge(hist)
    return h


def _slo(result: LoadResult, keys: Mapping[str, str], scale: float = 1.0) -> tuple[Limit, ...]:
    """The scenario's whole-run thresholds among ``keys`` (key -> how the line is labelled)."""
    return tuple(
        Limit(f"SLO {c.key} = {c.threshold * scale:g}{keys[c.key]}", c.threshold * scale)
        for c in result.verdict.checks
        if c.key in keys and c.request is None and c.window is None
    )


def _percentiles(
    index: Mapping[float, Mapping[str, Histogram]], windows: list[_Window], metric: str
) -> tuple[Series, ...]:
    hists = [_merged(index, w.key, metric) for w in windows]
    x = tuple(w.x for w in windows)
    return tuple(
        Series(f"p{q:g}", x, tuple(h.percentile_ms(q) if h.count else None for h in hists))
        for q in _PERCENTILES
    )


def _over_time(result: LoadResult, raw: RawTotals, windows: list[_Window]) -> list[Chart]:
    s, index = result.summary, _by_interval(raw)
    open_model = s.model.kind == "open"
    ttft, latency = ("ttft_intended", "intended:") if open_model else ("ttft", "latency:")
    since = " from the intended start" if open_model else ""
    ms = {"p95_ttft_ms": " ms", "p99_ttft_ms": " ms"}
    out = []
    if s.ttft.count:
        out.append(Chart("ttft", f"Time to first delta (TTFT){since}, per interval", _X, "TTFT (ms)",
                         _percentiles(index, windows, ttft), _slo(result, ms), note=_OVER_TIME))  # fmt: skip
    if s.itl.count:
        itl = _slo(result, {"p99_itl_ms": " ms"})
        out.append(Chart("itl", "Gaps between deltas (ITL), per interval", _X, "ITL (ms)",
                         _percentiles(index, windows, "itl"), itl, note=_OVER_TIME))  # fmt: skip
    what = "whole stream" if s.ttft.count else "request"
    limits = _slo(result, {"p95_latency_ms": " ms", "p99_latency_ms": " ms"})
    title = f"Latency of successful requests ({what}){since}, per interval"
    out.append(Chart("latency", title, _X, "latency (ms)", _percentiles(index, windows, latency), limits,
                     note=_OVER_TIME))  # fmt: skip
    return out


def _rate(raw: RawTotals, windows: list[_Window], counter: str) -> tuple[float | None, ...]:
    return tuple(raw.interval_counters.get(w.key, Counter()).get(counter, 0) / w.seconds for w in windows)


def _throughput(result: LoadResult, raw: RawTotals, windows: list[_Window]) -> Chart:
    x = tuple(w.x for w in windows)
    series = [Series("finished", x, _rate(raw, windows, "requests"), color="#2e86c1")]
    if result.summary.model.kind == "open":  # offered last: dashed over the others where they agree
        series += [
            Series("sent on time (achieved)", x, _rate(raw, windows, "on_time"), color="#27ae60"),
            Series("offered", x, _rate(raw, windows, "offered"), color="#1f2328", dashed=True),
        ]
    limits = _slo(result, {"min_throughput_rps": "/s"})
    return Chart("throughput", "Throughput: offered, achieved and finished, per interval", _X,
                 "requests per second", tuple(series), limits,
                 note="Arrivals due (offered), sent on time (achieved) and answered (finished) per second; "
                 "dashed red: the throughput SLO.")  # fmt: skip


def _errors(result: LoadResult, raw: RawTotals, windows: list[_Window]) -> Chart | None:
    """Errors by class as a share of the finished requests of each interval (none: no chart)."""
    if not result.summary.errors:
        return None
    x = tuple(w.x for w in windows)
    series = []
    for name in result.summary.errors:
        shares = []
        for w in windows:
            c = raw.interval_counters.get(w.key, Counter())
            finished = c.get("requests", 0)
            shares.append(100.0 * c.get(f"errors:{name}", 0) / finished if finished else None)
        series.append(Series(name, x, tuple(shares)))
    limits = _slo(result, {"max_error_rate": "%"}, scale=100.0)
    return Chart("errors", "Errors by class, share of finished requests per interval", _X,
                 "errors (% of finished)", tuple(series), limits, stacked=True,
                 note="Each error class as a share of the requests finished in each interval; dashed red: "
                 "max_error_rate.")  # fmt: skip


def _in_flight(result: LoadResult, raw: RawTotals, raw_dir: Path, windows: list[_Window]) -> Chart:
    """Requests in flight: the mean per interval from the per-request rows, and the open model's peak."""
    interval = float(raw.manifest.get("interval_s", 1.0))
    keys = [w.key for w in windows]
    busy = dict.fromkeys(keys, 0.0)
    for row in read_rows(raw_dir) if (raw_dir / "requests.jsonl.gz").exists() else ():
        if row["sent"] is None or row["total_ms"] is None:
            continue
        begin, end = float(row["sent"]), float(row["sent"]) + float(row["total_ms"]) / 1000.0
        i = max(bisect.bisect_right(keys, begin) - 1, 0)
        while i < len(keys) and keys[i] < end:
            busy[keys[i]] += max(0.0, min(end, keys[i] + interval) - max(begin, keys[i]))
            i += 1
    x = tuple(w.x for w in windows)
    series = [Series("mean in flight", x, tuple(busy[w.key] / interval for w in windows), color="#2e86c1")]
    if result.summary.model.kind == "open":
        peaks = tuple(float(raw.peaks.get(w.key, 0)) for w in windows)
        series.append(Series("peak in flight", x, peaks, color="#8e44ad", dashed=True))
    note = "Mean requests in flight per interval (from the per-request rows); the open model's peak dashed."
    return Chart(
        "in_flight", "Requests in flight, per interval", _X, "requests in flight", tuple(series), note=note
    )


def _distributions(result: LoadResult, raw: RawTotals) -> list[Chart]:
    """Each whole-run distribution by percentile (0 to 100), with the thresholds that judge it."""
    s, open_model = result.summary, result.summary.model.kind == "open"
    picks = (
        ("ttft_distribution", "ttft_intended" if open_model else "ttft", "TTFT (ms)",
         {"p95_ttft_ms": " ms", "p99_ttft_ms": " ms"}),
        ("itl_distribution", "itl", "ITL (ms)", {"p99_itl_ms": " ms"}),
        ("latency_distribution", "intended:" if open_model else "latency:", "latency (ms)",
         {"p95_latency_ms": " ms", "p99_latency_ms": " ms"}),
    )  # fmt: skip
    out = []
    for name, metric, label, keys in picks:
        h = Histogram()
        for key, hist in raw.hists.items():
            if _matches(key, metric):
                h.merge(hist)
        if h.count:
            x = tuple(-math.log10(1.0 - q / 100.0) for q in _CURVE)
            curve = Series(f"{s.scenario}, {h.count} samples", x, tuple(h.percentile_ms(q) for q in _CURVE))
            title = f"{label.split(' (')[0]} by percentile, the whole judged run"
            out.append(Chart(name, title, "percentile (%)", label, (curve,), _slo(result, keys),
                             x_ticks=_TICKS, note=_SPREAD))  # fmt: skip
    return out


def charts(result: LoadResult, raw_dir: Path) -> list[Chart]:
    """Every chart of the run with something to show, in ``PLOT_ORDER`` (none without raw data)."""
    if not (raw_dir / "manifest.json").exists():
        return []
    raw = read_raw(raw_dir)
    s = result.summary
    judged_from = s.started + s.model.warmup_s
    windows = _windows(raw, judged_from, judged_from + s.duration_s)
    found = _over_time(result, raw, windows) if windows else []
    if windows:
        found += [_throughput(result, raw, windows), _in_flight(result, raw, raw_dir, windows)]
        found += [c for c in [_errors(result, raw, windows)] if c is not None]
    found += _distributions(result, raw)
    drawn = [c for c in found if not c.empty]
    return sorted(drawn, key=lambda c: PLOT_ORDER.index(c.name))
