"""Read a run's raw data (``chatgate.load.raw``) and summarize it into a :class:`LoadSummary`.

Everything here is computed from the files the run left in ``raw/``: the summary of a run can be
rebuilt from its report directory alone (issue-13 tools read the same files). The HDR logs and
counters give the scenario's figures; the per-request rows (``chatgate.load.rows``) give goodput, the
output tokens and each request name's figures, by the SLO file's per-request bounds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from chatgate.load.lost import LoadPlan, lost_workers, not_issued
from chatgate.load.model import (
    LoadSummary,
    LostWorker,
    ModelInfo,
    Stats,
    StreamCounts,
    WindowRow,
    WorkerInfo,
)
from chatgate.load.raw import RAW_VERSION, read_counters, read_hlogs, read_manifest
from chatgate.load.rows import Rows, goodput_of, request_figures, tokens_of
from chatgate.load.slo import SloFile
from chatgate.metrics import Histogram

__all__ = ["RawTotals", "read_raw", "summarize"]

_MONITOR = ("loop_lag", "schedule_slip")


@dataclass
class RawTotals:
    """The raw files folded once: totals, per worker, per interval (built by ``read_raw`` only)."""

    manifest: dict[str, Any]
    hists: dict[str, Histogram] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=Counter)
    worker_hists: dict[tuple[int, str], Histogram] = field(default_factory=dict)
    worker_counters: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    interval_hists: dict[tuple[float, str], Histogram] = field(default_factory=dict)
    interval_counters: dict[float, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    peaks: dict[float, int] = field(default_factory=lambda: defaultdict(int))
    worker_spans: dict[int, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))


def _add(table: dict[Any, Histogram], key: Any, h: Histogram) -> None:
    mine = table.get(key)
    if mine is None:
        mine = table[key] = Histogram()
    mine.merge(h)


def read_raw(root: Path) -> RawTotals:
    raw = RawTotals(read_manifest(root))
    for worker, metric, start, _end, h in read_hlogs(root):
        _add(raw.hists, metric, h)
        if metric in _MONITOR:
            _add(raw.worker_hists, (worker, metric), h)
        elif not metric.startswith("warmup."):
            _add(raw.interval_hists, (round(start, 3), metric), h)
    for rec in read_counters(root):
        counters = {k: int(v) for k, v in rec["counters"].items()}
        peak = counters.pop("in_flight_peak", 0)
        start = round(float(rec["start"]), 3)
        raw.peaks[start] += peak
        raw.counters.update(counters)
        raw.worker_counters[int(rec["worker"])].update(counters)
        raw.worker_spans[int(rec["worker"])].append((float(rec["start"]), float(rec["end"])))
        raw.interval_counters[start].update(counters)
    return raw


def _merged(hists: Mapping[str, Histogram], prefix: str) -> Histogram:
    out = Histogram()
    for name, h in hists.items():
        if name.startswith(prefix):
            out.merge(h)
    return out


def _by_name(hists: Mapping[str, Histogram], prefix: str) -> dict[str, Stats]:
    return {k.removeprefix(prefix): Stats.of(h) for k, h in sorted(hists.items()) if k.startswith(prefix)}


def _timeline(raw: RawTotals, started: float) -> tuple[WindowRow, ...]:
    starts = sorted(set(raw.interval_counters) | {s for s, _ in raw.interval_hists})
    rows = []
    interval = float(raw.manifest.get("interval_s", 1.0))
    for start in starts:
        lat = Histogram()
        for (s, metric), h in raw.interval_hists.items():
            if s == start and metric.startswith(("latency:", "failed:")):
                lat.merge(h)
        c = raw.interval_counters.get(start, Counter())
        errors = sum(v for k, v in c.items() if k.startswith("errors:"))
        n = c.get("requests", 0)
        rows.append(
            WindowRow(
                round(start - started, 3),
                n,
                errors,
                n / interval,
                lat.percentile_ms(50),
                lat.percentile_ms(95),
                lat.percentile_ms(99),
            )
        )
    return tuple(rows)


def _workers(raw: RawTotals, lost: Mapping[int, LostWorker]) -> tuple[WorkerInfo, ...]:
    listed = [*raw.manifest.get("lost_workers", []), *raw.manifest.get("workers", [])]
    ids = {int(w["index"]): str(w["id"]) for w in listed}
    targets = {int(k): str(v) for k, v in dict(raw.manifest.get("worker_targets", {})).items()}
    out = []
    for index in sorted(set(raw.worker_counters) | set(ids) | set(lost)):
        c = raw.worker_counters.get(index, Counter())
        samples = c.get("cpu_samples", 0)
        out.append(
            WorkerInfo(
                index=index,
                id=ids.get(index, ""),
                requests=c.get("requests", 0) + c.get("warmup.requests", 0),
                loop_lag=Stats.of(raw.worker_hists.get((index, "loop_lag"))),
                schedule_slip=Stats.of(raw.worker_hists.get((index, "schedule_slip"))),
                cpu_mean_percent=c.get("cpu_pct_sum", 0) / samples if samples else 0.0,
                cpu_over_budget_samples=c.get("cpu_over", 0),
                offered=c.get("offered", 0),
                late=c.get("late", 0) + c.get("not_sent:generator", 0),
                target=targets.get(index, ""),
                lost=lost.get(index),
            )
        )
    return tuple(out)


def _lost(raw: RawTotals, model: ModelInfo) -> tuple[dict[int, LostWorker], Counter[str]]:
    """The lost workers, and the run's counters with their undelivered arrivals (open model) added:
    offered (never issued) and ``not_sent:lost_worker`` (never issued, or in flight when lost)."""
    started = float(raw.manifest["started"])
    plan = LoadPlan(
        started=started,
        judged_from=started + model.warmup_s,
        stopped=float(raw.manifest.get("stopped") or started),
        open_model=model.kind == "open",
        arrival_rate=model.arrival_rate or 0.0,
        processes=max(1, model.workers),
        users=model.users or 0,
    )
    lost = lost_workers(raw.manifest, raw.worker_spans, raw.worker_counters, plan)
    counters = Counter(raw.counters)
    if lost and plan.open_model:
        counters["offered"] += not_issued(lost, raw.worker_counters)
        counters["not_sent:lost_worker"] += sum(w.not_delivered for w in lost.values())
    return lost, counters


def _monitor(workers: Iterable[WorkerInfo]) -> dict[str, float]:
    ws = list(workers)
    return {
        "loop_lag_p99_ms": max((w.loop_lag.p99 for w in ws), default=0.0),
        "loop_lag_max_ms": max((w.loop_lag.max for w in ws), default=0.0),
        "cpu_mean_percent": max((w.cpu_mean_percent for w in ws), default=0.0),
        "cpu_over_budget_samples": float(sum(w.cpu_over_budget_samples for w in ws)),
        "schedule_slip_p99_ms": max((w.schedule_slip.p99 for w in ws), default=0.0),
    }


def _streams(c: Mapping[str, int], terminal: Histogram) -> StreamCounts:
    stream_s = terminal.hdr.get_mean_value() * terminal.count / 1e6 if terminal.count else 0.0
    return StreamCounts(
        events=c.get("events", 0),
        deltas=c.get("deltas", 0),
        deltas_timed=c.get("deltas_timed", 0),
        events_validated=c.get("events_validated", 0),
        comments=c.get("comments", 0),
        buffered=c.get("buffered", 0),
        events_per_second=c.get("events", 0) / stream_s if stream_s > 0 else 0.0,
    )


def _warnings(c: Mapping[str, int]) -> tuple[str, ...]:
    out = []
    if c.get("buffered"):
        out.append(
            f"{c['buffered']} stream(s) arrived in one burst (every event within 1 ms): a proxy may be "
            "buffering the stream, or the target sends it all at once; their TTFT and gaps measure the "
            "transport, not the model"
        )
    return tuple(out)


def summarize(
    raw: RawTotals, *, scenario: str, target: str, model: ModelInfo, deadlines: Mapping[str, float],
    duration_s: float, raw_dir: str, slo_window_s: float = 60.0, rows: Rows | None = None,
    slo: SloFile | None = None, embedded: bool = False, specs: tuple[Mapping[str, str], ...] = (),
) -> LoadSummary:  # fmt: skip
    """The summary from folded raw data (+ ``rows``, ``slo``: goodput...); ``duration_s``: after warm-up."""
    (lost, c), h = _lost(raw, model), raw.hists
    requests, errors = c.get("requests", 0), _prefixed(c, "errors:")
    judged, workers, started = max(duration_s, 1e-9), _workers(raw, lost), float(raw.manifest["started"])
    return LoadSummary(
        scenario=scenario,
        target=target,
        started=started,
        duration_s=duration_s,
        model=model,
        deadlines=dict(deadlines),
        requests=requests,
        requests_by_name=_prefixed(c, "requests:"),
        throughput_rps=requests / judged,
        errors=errors,
        error_rates={k: v / requests for k, v in errors.items()} if requests else {},
        error_rate=sum(errors.values()) / requests if requests else 0.0,
        latency=Stats.of(_merged(h, "latency:")),
        latency_by_name=_by_name(h, "latency:"),
        latency_failed=Stats.of(_merged(h, "failed:")),
        intended=Stats.of(_merged(h, "intended:")),
        intended_by_name=_by_name(h, "intended:"),
        intended_all=Stats.of(h.get("intended_all")),
        headers=Stats.of(h.get("headers")),
        ttft=Stats.of(h.get("ttft")),
        ttft_intended=Stats.of(h.get("ttft_intended")),
        itl=Stats.of(h.get("itl")),
        largest_gap=Stats.of(h.get("largest_gap")),
        stream_mean_gap=Stats.of(h.get("stream_mean_gap")),
        terminal=Stats.of(h.get("terminal")),
        walk=Stats.of(h.get("walk")),
        visibility=Stats.of(h.get("visibility")),
        streams=_streams(c, h.get("terminal") or Histogram()),
        **_arrivals(c, judged if model.kind == "open" else 0.0),
        in_flight_peak=max(raw.peaks.values(), default=0),
        walks_not_judged=c.get("walk_concurrent_writes", 0),
        warmup=_warmup(c, model.warmup_s),
        monitor=_monitor(workers),
        workers=workers,
        timeline=_timeline(raw, started),
        window_s=float(raw.manifest.get("interval_s", 1.0)),
        slo_windows=slo_windows(raw, started + model.warmup_s, slo_window_s),
        stopped_early=str(raw.manifest.get("stopped_early") or ""),
        warnings=_warnings(c),
        raw={"dir": raw_dir, "version": RAW_VERSION},
        **_per_request(rows, slo, scenario, c.get("deltas", 0), judged),
        embedded=embedded,
        specs=tuple(dict(s) for s in specs),
    )


def _prefixed(c: Mapping[str, int], prefix: str) -> dict[str, int]:
    return {k.removeprefix(prefix): v for k, v in sorted(c.items()) if k.startswith(prefix)}


def _per_request(
    rows: Rows | None, slo: SloFile | None, scenario: str, deltas: int, judged_s: float
) -> dict[str, Any]:
    """Goodput, tokens and per-name figures from the rows; the SLO table that judged the run."""
    if slo is None:
        return {}
    table = slo.scenario(scenario)
    applied = {
        "file": str(slo.path) if slo.path else None,
        "defaults": str(slo.defaults) if slo.defaults else None,
        **table.applied(),
    }
    if rows is None:
        return {"slo_applied": applied}
    return {
        "goodput": goodput_of(rows, table, judged_s),
        "tokens": tokens_of(rows, deltas, judged_s),
        "by_name": request_figures(rows, table, judged_s),
        "slo_applied": applied,
    }


# Window field -> the metric it merges (a name ending in ':' takes every request name after it).
_WINDOW_STATS = {
    "latency": "latency:",
    "intended": "intended:",
    "ttft": "ttft",
    "ttft_intended": "ttft_intended",
    "itl": "itl",
    "largest_gap": "largest_gap",
}


def _matches(metric: str, wanted: str) -> bool:
    return metric.startswith(wanted) if wanted.endswith(":") else metric == wanted


def slo_windows(raw: RawTotals, judged_from: float, window_s: float) -> tuple[dict[str, Any], ...]:
    """The judged part of the run cut into windows of ``window_s``, each summarized like the whole run
    (the fields the SLO keys read), so a run that degrades late is caught. Fewer than two whole windows:
    none (the whole-run judgement already covers it). Intervals belong to the window they start in."""
    ends = [s for s in raw.interval_counters if s >= judged_from]
    if not ends or max(ends) + float(raw.manifest.get("interval_s", 1.0)) - judged_from < 2 * window_s:
        return ()
    out: list[dict[str, Any]] = []
    count = int((max(ends) - judged_from) // window_s) + 1
    for k in range(count):
        lo, hi = judged_from + k * window_s, judged_from + (k + 1) * window_s
        c: Counter[str] = Counter()
        for s, counters in raw.interval_counters.items():
            if lo <= s < hi:
                c.update(counters)
        n = c.get("requests", 0)
        errors = sum(v for name, v in c.items() if name.startswith("errors:"))
        window: dict[str, Any] = {
            "start_s": round(lo - judged_from, 3),
            "end_s": round(hi - judged_from, 3),
            "requests": n,
            "error_rate": errors / n if n else 0.0,
            "throughput_rps": n / window_s,
        }
        for field_name, wanted in _WINDOW_STATS.items():
            h = Histogram()
            for (s, metric), hist in raw.interval_hists.items():
                if lo <= s < hi and _matches(metric, wanted):
                    h.merge(hist)
            window[field_name] = asdict(Stats.of(h))
        out.append(window)
    return tuple(out)


def _arrivals(c: Mapping[str, int], judged_s: float) -> dict[str, Any]:
    """What happened to the arrivals (``judged_s`` 0: closed model, no rates)."""
    rate = (lambda n: n / judged_s) if judged_s else (lambda n: None)
    return {
        "offered": c.get("offered", 0),
        "offered_rps": rate(c.get("offered", 0)),
        "achieved_rps": rate(c.get("on_time", 0)),
        "sent": c.get("sent", 0),
        "on_time": c.get("on_time", 0),
        "late_arrivals": c.get("late", 0) + c.get("held_back", 0),
        "held_back": c.get("held_back", 0),
        "not_sent": {
            k.removeprefix("not_sent:"): v for k, v in sorted(c.items()) if k.startswith("not_sent:")
        },
        "unfinished": c.get("unfinished", 0),
    }


def _warmup(c: Mapping[str, int], seconds: float) -> dict[str, Any]:
    errors = sum(v for k, v in c.items() if k.startswith("warmup.errors:"))
    return {"seconds": seconds, "requests": c.get("warmup.requests", 0), "errors": errors}
