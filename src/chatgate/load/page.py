"""The load report as a page (``report.html``): the verdict and the SLO table first, then the time series
a reader looks at (TTFT, ITL, latency, throughput, errors, in flight), then the distributions and the
details as real tables. Pure: a :class:`LoadResult` and its charts in, HTML out.

The rows of the tables are built here once (``check_rows``, ``latency_rows``) and also serve the
Markdown summary (``chatgate.load.report``).
"""

from __future__ import annotations

from collections.abc import Sequence

from chatgate.load.model import Check, LoadResult, Stats
from chatgate.pages import Html, e, headline, links, page, plots, section, table, verdict
from chatgate.plots import Chart
from chatgate.targets import EMBEDDED_BANNER

__all__ = ["VERDICTS", "check_rows", "headline_figures", "latency_rows", "render_html"]

VERDICTS = {"pass": "PASS", "slo_breached": "SLO BREACHED", "measurement_invalid": "MEASUREMENT INVALID"}
_DISTRIBUTIONS = ("ttft_distribution", "itl_distribution", "latency_distribution")


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"


def _where(c: Check) -> str:
    if c.request is not None:
        return f" [{c.request}]"
    if c.worker is not None:
        return f" (worker {c.worker})"
    if c.window is not None:
        return f" ({c.window[0]:g}-{c.window[1]:g} s)"
    return ""


def check_rows(result: LoadResult) -> list[tuple[str, str, str, str, str]]:
    """Every threshold judged (windows: breaches only), with where it came from: (check, threshold,
    source, observed, result)."""
    v = result.verdict
    checks = [*v.checks, *(c for c in v.window_checks if not c.ok), *v.monitor_checks]
    return [
        (f"{c.key}{_where(c)}", f"{c.threshold:g}", c.source, _fmt(c.observed), "ok" if c.ok else "BREACH")
        for c in checks
    ]


def headline_figures(result: LoadResult) -> list[tuple[str, str]]:
    """The run's figures, each labelled with what it is (the console's headline says the same)."""
    s = result.summary
    whole = "whole stream" if s.ttft.count else "request"
    figures = [
        ("requests", f"{s.requests}"),
        ("throughput", f"{s.throughput_rps:.2f} req/s"),
        ("error rate", f"{s.error_rate:.2%}"),
        (f"latency p95 ({whole})", f"{s.latency.p95:.1f} ms"),
    ]
    if s.ttft.count:
        figures += [("TTFT p95", f"{s.ttft.p95:.1f} ms"), ("ITL p99", f"{s.itl.p99:.1f} ms")]
    if s.model.kind == "open":
        figures += [("offered / achieved", f"{s.offered_rps or 0:.2f} / {s.achieved_rps or 0:.2f} /s")]
    figures += [("goodput", f"{s.goodput.rps:.2f} req/s ({s.goodput.share:.1%})")]
    return figures


def latency_rows(result: LoadResult) -> list[tuple[str, Stats]]:
    """Every distribution measured (ms), by what it is."""
    s = result.summary
    rows: list[tuple[str, Stats]] = [
        ("successful requests", s.latency),
        ("failed requests", s.latency_failed),
    ]
    rows += [(f"latency {k}", v) for k, v in s.latency_by_name.items()]
    rows += [(f"from intended start {k}", v) for k, v in s.intended_by_name.items()]
    rows += [("every arrival, from intended start", s.intended_all)]
    rows += [
        (k, getattr(s, k)) for k in ("headers", "ttft", "ttft_intended", "itl", "largest_gap", "terminal")
    ]
    rows += [("walk", s.walk), ("visibility", s.visibility)]
    return [(name, h) for name, h in rows if h.count]


def _slo_section(result: LoadResult) -> Html:
    v, rows = result.verdict, check_rows(result)
    notes = [*([v.invalid_reason] if v.invalid_reason else []), *v.notes]
    listed = f'<ul class="notes">{"".join(f"<li>{e(n)}</li>" for n in notes)}</ul>' if notes else ""
    applied = result.summary.slo_applied
    dropped = ", ".join(applied.get("dropped", [])) if applied else ""
    tail = (
        f'<p class="mute">Dropped ("off" in {e(applied.get("file"))}): {e(dropped)}.</p>' if dropped else ""
    )
    body = table(
        ["check", "threshold", "from", "observed", "result"],
        rows,
        numeric={1, 3},
        breach=[r[4] == "BREACH" for r in rows],
        id="slo",
    )
    return section("SLOs and generator budgets", listed, body, tail, id="slos")


def _figures(charts: Sequence[Chart]) -> Html:
    return plots((f"{c.name}.png", c.note or c.title, c.to_json()) for c in charts)


def _details(result: LoadResult) -> Html:
    s = result.summary
    rows = [
        (n, h.count, *(f"{x:.3f}" for x in (h.p50, h.p90, h.p95, h.p99, h.max)))
        for n, h in latency_rows(result)
    ]
    lat = table(
        ["metric", "count", "p50", "p90", "p95", "p99", "max"], rows, numeric=range(1, 7), id="latency"
    )
    errors = Html("<p>No errors.</p>")
    if s.errors:
        shares = [(k, n, f"{s.error_rates.get(k, 0.0):.2%}") for k, n in s.errors.items()]
        errors = table(["class", "count", "share of finished"], shares, numeric={1, 2}, id="errors")
    st = s.streams
    streams = ""
    if st.events:
        streams = (
            f"<p>Streams: {st.events} events ({st.events_validated} validated, {st.comments} comments), "
            f"{st.deltas} deltas ({st.deltas_timed} timed), {st.buffered} buffered.</p>"
        )
    return Html(
        section("Latency (ms)", lat, streams, id="latency-table") + section("Errors by class", errors)
    )


def _by_name(result: LoadResult) -> Html:
    s = result.summary
    if not s.by_name:
        return Html("")
    open_model = s.model.kind == "open"
    rows = []
    for name, f in s.by_name.items():
        lat, ttft = (f.intended, f.ttft_intended) if open_model else (f.latency, f.ttft)
        ttft_p95 = _fmt(ttft.p95) if ttft.count else "-"
        rows.append((name, f.requests, f.errors, f"{lat.p50:.1f}", f"{lat.p99:.1f}", ttft_p95,
                     f"{f.goodput.rps:.2f}", f"{f.goodput.share:.1%}"))  # fmt: skip
    head = ["request", "finished", "errors", "p50 ms", "p99 ms", "TTFT p95 ms", "goodput/s", "good"]
    since = " (latency and TTFT from each arrival's intended start)" if open_model else ""
    return section(f"Per request name{since}", table(head, rows, numeric=range(1, 8), id="by-name"))


def _generator(result: LoadResult) -> Html:
    s = result.summary
    rows = [
        (f"{w.index} {w.id}", w.requests, f"{w.loop_lag.p99:.2f} / {w.loop_lag.max:.2f}",
         f"{w.schedule_slip.p99:.2f}", f"{w.cpu_mean_percent:.0f}%", w.late,
         f"lost: {w.lost.cause}" if w.lost else (w.target or ""))
        for w in s.workers
    ]  # fmt: skip
    head = [
        "worker",
        "requests",
        "timer lag p99 / max (ms)",
        "schedule slip p99 (ms)",
        "CPU mean",
        "late",
        "",
    ]
    extra = ""
    if s.model.remote_workers:
        extra = f"<p>Remote workers: {len(s.workers)} reported of {s.model.workers} expected.</p>"
    return section("Generator", table(head, rows, numeric=range(1, 6), id="workers"), extra)


_FILES = (
    ("summary.json", "summary.json"),
    ("summary.md", "summary.md"),
    ("locust.html", "Locust's report"),
    ("raw/manifest.json", "raw data (raw/)"),
)


def render_html(result: LoadResult, charts: Sequence[Chart], notes: Sequence[str]) -> str:
    """``report.html``: verdict, headline figures and SLOs, the time series, the distributions, details.
    ``notes``: what the arrivals and goodput were, as the Markdown summary says it."""
    s, v = result.summary, result.verdict
    over_time = [c for c in charts if c.name not in _DISTRIBUTIONS]
    spread = [c for c in charts if c.name in _DISTRIBUTIONS]
    body = [
        headline(headline_figures(result)),
        _slo_section(result),
        section("Over time", _figures(over_time), id="over-time") if over_time else "",
        section("Distributions", _figures(spread), id="distributions") if spread else "",
        section("Arrivals and goodput", *(f"<p>{e(n.replace('**', ''))}</p>" for n in notes if n)),
        _by_name(result),
        _details(result),
        _generator(result),
        links(_FILES),
    ]
    subtitle = [
        f"Target {s.target}; {s.duration_s:.1f} s judged after a {s.warmup['seconds']:g} s warm-up"
        + (f"; stopped early: {s.stopped_early}" if s.stopped_early else ""),
        *(["Specs: " + ", ".join(f"{sp['file']} {sp['version']}" for sp in s.specs)] if s.specs else []),
    ]
    banner = (
        f"{EMBEDDED_BANNER}: this run measured chatgate's own server, not a deployment." if s.embedded else ""
    )
    badge = verdict(VERDICTS.get(v.verdict, v.verdict), ok=None if v.exit_code == 4 else v.exit_code == 0)
    return page(f"Load run: {s.scenario}", badge, "".join(body), subtitle=subtitle, banner=banner)
