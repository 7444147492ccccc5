"""Turn merged metrics into the run summary (the content of ``summary.json``).

Fields (times in milliseconds, rates per second):

- ``scenario``, ``target``, ``started`` (Unix time), ``duration_s``, ``model`` (kind open/closed, users,
  spawn_rate, arrival_rate, poisson, shape, workers, validate_sample)
- ``requests``, ``requests_by_name``, ``throughput_rps``, ``errors`` ({class: count}),
  ``error_rates`` ({class: fraction}), ``error_rate`` (all classes)
- ``latency`` (all requests), ``latency_by_name``, ``intended`` and ``intended_by_name`` (open model,
  from each request's intended start), ``headers``, ``ttft``, ``ttft_intended`` (open model),
  ``itl``, ``largest_gap`` (per stream, the last delta to terminal gap included), ``stream_mean_gap``,
  ``terminal``, ``walk``, ``visibility``: each ``{count, p50, p90, p95, p99, max, mean}``
- ``late_arrivals``: open model, arrivals that found no free user (the server kept them all busy)
- ``streams``: ``{events_per_second}`` over completed streams
- ``walks_not_judged``: paginated walks during which ``total_rows`` changed (writes meanwhile), so
  their overlaps and gaps were not counted as contract errors
- ``monitor``: ``loop_lag_p99_ms``, ``cpu_mean_percent``, ``cpu_over_budget_samples``,
  ``schedule_slip_p99_ms``
- ``timeline``: list of ``{t, requests, errors, rps, p50, p95, p99}`` per window
- added by the judge: ``verdict`` (pass | slo_breached | measurement_invalid), ``invalid_reason``,
  ``slo`` and ``monitor_checks`` (lists of ``{key, threshold, observed, ok}``)
"""

from __future__ import annotations

from typing import Any

from chatgate.metrics import Histogram, Metrics

__all__ = ["summarize"]

_HISTS = (
    "headers",
    "ttft",
    "ttft_intended",
    "itl",
    "largest_gap",
    "stream_mean_gap",
    "terminal",
    "walk",
    "visibility",
)


def summarize(
    metrics: Metrics,
    *,
    scenario: str,
    target: str,
    started: float,
    duration_s: float,
    model: dict[str, Any],
    window_s: float,
) -> dict[str, Any]:
    c = metrics.counters
    requests = c.get("requests", 0)
    errors = {k.removeprefix("errors:"): v for k, v in sorted(c.items()) if k.startswith("errors:")}
    all_lat = Histogram()
    all_intended = Histogram()
    by_name: dict[str, dict[str, float]] = {}
    intended: dict[str, dict[str, float]] = {}
    for name, h in sorted(metrics.hists.items()):
        if name.startswith("latency:"):
            all_lat.merge(h)
            by_name[name.removeprefix("latency:")] = h.summary()
        elif name.startswith("intended:"):
            all_intended.merge(h)
            intended[name.removeprefix("intended:")] = h.summary()
    terminal = metrics.hist("terminal")
    ev_total = c.get("stream_events", 0)
    term_s = terminal.summary()["mean"] * terminal.count / 1000.0
    samples = c.get("cpu_samples", 0)
    windows = sorted({int(k.split(":")[1]) for k in list(c) + list(metrics.hists) if k.startswith("tl:")})
    timeline = []
    for w in windows:
        h = metrics.hists.get(f"tl:{w}:lat") or Histogram()
        n = c.get(f"tl:{w}:req", 0)
        timeline.append(
            {
                "t": (w - windows[0]) * window_s,
                "requests": n,
                "errors": c.get(f"tl:{w}:err", 0),
                "rps": n / window_s,
                "p50": h.percentile_ms(50),
                "p95": h.percentile_ms(95),
                "p99": h.percentile_ms(99),
            }
        )
    return {
        "scenario": scenario,
        "target": target,
        "started": started,
        "duration_s": duration_s,
        "model": model,
        "requests": requests,
        "requests_by_name": {
            k.removeprefix("requests:"): v for k, v in sorted(c.items()) if k.startswith("requests:")
        },
        "throughput_rps": requests / duration_s if duration_s > 0 else 0.0,
        "errors": errors,
        "error_rates": {k: v / requests for k, v in errors.items()} if requests else {},
        "error_rate": sum(errors.values()) / requests if requests else 0.0,
        "latency": all_lat.summary(),
        "latency_by_name": by_name,
        "intended": all_intended.summary(),
        "intended_by_name": intended,
        "late_arrivals": c.get("late_arrivals", 0),
        **{name: metrics.hist(name).summary() for name in _HISTS},
        "streams": {"events_per_second": ev_total / term_s if term_s > 0 else 0.0},
        "walks_not_judged": c.get("walk_concurrent_writes", 0),
        "monitor": {
            "loop_lag_p99_ms": metrics.hist("loop_lag").percentile_ms(99),
            "cpu_mean_percent": c.get("cpu_pct_sum", 0) / samples if samples else 0.0,
            "cpu_over_budget_samples": c.get("cpu_over", 0),
            "schedule_slip_p99_ms": metrics.hist("schedule_slip").percentile_ms(99),
        },
        "timeline": timeline,
        "window_s": window_s,
    }
