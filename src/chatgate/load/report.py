"""Load reports: ``summary.json``, ``summary.md`` (a CI job summary), ``report.html`` (the page:
``chatgate.load.page``) and PNG plots (``chatgate.load.series``) beside Locust's own (``locust.html``,
``locust_*.csv``). Pure renderers of a :class:`LoadResult` (the time series and distributions come from
the run's ``raw/``); ``write_load_reports`` hands the texts to the run's ``RunDir``, which writes each
atomically with the keys scrubbed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chatgate.artifacts import RunDir
from chatgate.load.model import LoadResult
from chatgate.load.page import check_rows, headline_figures, latency_rows, render_html
from chatgate.load.series import PLOT_ORDER, charts
from chatgate.plots import Chart, draw
from chatgate.targets import EMBEDDED_BANNER

__all__ = ["check_table", "render_markdown", "render_plots", "write_load_reports"]

_RETIRED = ("latency_throughput.png",)  # plots of earlier versions, removed from a reused folder


def _dropped(applied: Any) -> list[str]:
    """The shipped thresholds and bounds the user's file turned "off" (scenario and request tables)."""
    if not isinstance(applied, dict):
        return []
    out = list(applied.get("dropped", []))
    for name, table in dict(applied.get("requests", {})).items():
        out += [f"{key} [{name}]" for key in table.get("dropped", [])]
    return out


def check_table(result: LoadResult) -> str:
    """The threshold-vs-observed table, as Markdown (also printed by the CLI); windows: breaches only.
    Every threshold judged, with where it came from: ``default`` (the shipped SLO file) or ``file``."""
    lines = ["| check | threshold | from | observed | result |", "| --- | ---: | --- | ---: | --- |"]
    lines += [f"| {' | '.join(row)} |" for row in check_rows(result)]
    applied = result.summary.slo_applied
    dropped = _dropped(applied)
    if dropped:
        lines.append(f'\nDropped ("off" in {applied.get("file")}): {", ".join(dropped)}.')
    return "\n".join(lines)


def _latency_rows(result: LoadResult) -> list[str]:
    out = [
        "| metric | count | p50 | p90 | p95 | p99 | max |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, h in latency_rows(result):
        figures = " | ".join(f"{x:.3f}" for x in (h.p50, h.p90, h.p95, h.p99, h.max))
        out.append(f"| {name} | {h.count} | {figures} |")
    return out


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"


def _arrivals(result: LoadResult) -> list[str]:
    s = result.summary
    if s.model.kind != "open":
        return [f"Closed model: {s.model.users} users; {s.unfinished} request(s) unfinished at the stop."]
    not_sent = ", ".join(f"{k} {v}" for k, v in s.not_sent.items()) or "none"
    return [
        f"Open model: offered {s.offered} ({s.offered_rps or 0:.2f}/s), sent {s.sent}, on time {s.on_time} "
        f"(achieved {s.achieved_rps or 0:.2f}/s), late {s.late_arrivals} (of which held back by the "
        f"in-flight cap {s.held_back}), not sent: {not_sent}, unfinished at the stop {s.unfinished}; "
        f"in flight at peak {s.in_flight_peak} (cap {s.model.max_in_flight}).",
    ]


def _goodput(result: LoadResult) -> list[str]:
    """Goodput and output tokens (both from the kept rows), and each request name's figures."""
    s = result.summary
    g, t = s.goodput, s.tokens
    bounds = ", ".join(f"{k.removeprefix('goodput_')} <= {v:g}" for k, v in g.bounds.items()) or "none"
    out = [
        f"Goodput: **{g.rps:.2f} req/s**, {g.good} of {g.judged} judged arrivals ({g.share:.1%}) succeeded "
        f"within their per-request bounds ({bounds})."
    ]
    if t.output:
        slowest = s.stream_mean_gap.p99
        out.append(
            f"Output: {t.output} deltas (tokens), {t.per_second:.1f} per second; each stream after its first "
            f"delta: p50 {t.per_stream.p50:.1f}/s"
            + (
                f", the slowest 1% under {1000.0 / slowest:.1f}/s (mean gap p99 {slowest:.1f} ms)."
                if slowest
                else "."
            )
        )
    if s.by_name:
        out += ["", "| request | finished | errors | p50 | p99 | TTFT p95 | goodput/s | good |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
        for name, f in s.by_name.items():
            lat = f.intended if s.model.kind == "open" else f.latency
            ttft = f.ttft_intended if s.model.kind == "open" else f.ttft
            out.append(
                f"| {name} | {f.requests} | {f.errors} | {lat.p50:.1f} | {lat.p99:.1f} | "
                f"{_fmt(ttft.p95) if ttft.count else '-'} | {f.goodput.rps:.2f} | {f.goodput.share:.1%} |"
            )
        if s.model.kind == "open":
            out += ["", "Open model: latency and TTFT of each name from its intended start (ms)."]
    return out


def _workers(result: LoadResult) -> list[str]:
    out = [
        "| worker | requests | timer lag p99 / max (ms) | schedule slip p99 (ms) | CPU mean | late |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for w in result.summary.workers:
        out.append(
            f"| {w.index} {w.id} | {w.requests} | {w.loop_lag.p99:.2f} / {w.loop_lag.max:.2f} "
            f"| {w.schedule_slip.p99:.2f} | {w.cpu_mean_percent:.0f}% | {w.late} |"
        )
    return out + _distributed(result)


def _distributed(result: LoadResult) -> list[str]:
    """A distributed run: the workers' targets, and the workers lost before the stop."""
    s = result.summary
    out = []
    if s.model.remote_workers:
        out += ["", f"Remote workers: {len(s.workers)} reported of {s.model.workers} expected."]
        out += [f"- worker {w.index} ({w.id}) loaded {w.target or '?'}" for w in s.workers]
    for w in s.workers:
        if w.lost is not None:
            lost = w.lost
            last = "-" if lost.last_data_s is None else f"{lost.last_data_s:.1f} s"
            out.append(
                f"- **Lost:** worker {w.index} ({w.id}), cause {lost.cause}"
                + (f" ({lost.reason})" if lost.reason else "")
                + f", noticed {lost.lost_at_s:.1f} s into the run, its last data {last}, "
                f"{lost.share:.1%} of the offered load not delivered ({lost.not_delivered} arrivals); "
                "its data up to then is kept in the figures and raw/"
            )
    return out


def _spec(spec: Mapping[str, str]) -> str:
    return f"`{spec['file']}` {spec['version']}"


def render_markdown(result: LoadResult) -> str:
    s, v = result.summary, result.verdict
    streams = s.streams
    out = [
        f"# Load run: {s.scenario}",
        "",
        f"Verdict: **{v.verdict}**" + (f" ({v.invalid_reason})" if v.invalid_reason else ""),
        "",
        " · ".join(f"{k}: **{val}**" for k, val in headline_figures(result)),
        "",
        *([f"> **{EMBEDDED_BANNER}**: this run measured chatgate's own server.", ""] if s.embedded else []),
        f"Target {s.target}, {s.duration_s:.1f} s judged (warm-up {s.warmup['seconds']:g} s apart: "
        f"{s.warmup['requests']} requests, {s.warmup['errors']} errors), {s.requests} requests, "
        f"{s.throughput_rps:.2f} req/s, error rate {s.error_rate:.2%}."
        + (f" Stopped early: {s.stopped_early}." if s.stopped_early else ""),
        "",
        *([f"Specs: {', '.join(_spec(sp) for sp in s.specs)}.", ""] if s.specs else []),
        *_arrivals(result),
        "",
        *_goodput(result),
        "",
        *(f"- **Note:** {n}" for n in v.notes),
        "",
        "## SLOs and generator budgets",
        "",
        check_table(result),
        "",
        "## Latency (ms)",
        "",
        *_latency_rows(result),
        "",
        "## Errors by class",
        "",
        "| class | count | rate |",
        "| --- | ---: | ---: |",
        *(f"| {k} | {n} | {s.error_rates.get(k, 0.0):.2%} |" for k, n in s.errors.items()),
        "",
        f"Streams: {streams.events} events ({streams.events_validated} validated, "
        f"{streams.comments} comments), "
        f"{streams.deltas} deltas ({streams.deltas_timed} timed), {streams.buffered} buffered.",
        "",
        "## Generator",
        "",
        *_workers(result),
        "",
        "The page: `report.html` (the SLO table, then TTFT, ITL and latency over time with the SLO lines, "
        "throughput, errors, in flight, the distributions). Raw data: `raw/` (per-request rows and HDR "
        "interval logs, docs/reports.md). Locust: `locust.html`.",
        "",
    ]
    return "\n".join(out)


def render_plots(result: LoadResult, raw_dir: Path) -> tuple[list[Chart], dict[str, bytes]]:
    """The run's charts (``chatgate.load.series``) and their PNGs by file name."""
    found = charts(result, raw_dir)
    return found, {f"{c.name}.png": draw(c) for c in found}


def write_load_reports(result: LoadResult, run_dir: RunDir) -> dict[str, Path]:
    """Publish the reports of ``result`` into its run directory; returns their paths by file name.
    A plot an earlier run left that this run has nothing for is removed (no stale or empty plot)."""
    found, plots = render_plots(result, run_dir.path(result.summary.raw.get("dir", "raw")))
    for stale in (*(f"{name}.png" for name in PLOT_ORDER), *_RETIRED):
        if stale not in plots:
            run_dir.path(stale).unlink(missing_ok=True)
    notes = [*_arrivals(result), *_goodput(result)[:2]]
    files: dict[str, str | bytes] = {
        "summary.json": json.dumps(result.to_json(), indent=2) + "\n",
        "summary.md": render_markdown(result),
        "report.html": render_html(result, found, notes),
        **plots,
    }
    return run_dir.publish(files, secrets=result.secrets)
