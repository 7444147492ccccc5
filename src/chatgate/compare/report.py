"""Compare reports: ``summary.json``, ``summary.md`` (a CI job summary), ``report.html`` (the page: the
verdict and the table first) and ``compare.png`` (base and new overlaid, one panel per metric, with the
SLO lines). Pure renderers of a :class:`CompareResult`; ``write_compare_reports``
hands them to the report directory's ``RunDir``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from chatgate.artifacts import RunDir
from chatgate.compare.model import CompareResult, Comparison, Metric
from chatgate.pages import e, figure, links, page, section, table, verdict
from chatgate.plots import Chart, Limit, Series, draw_panels

__all__ = [
    "headline",
    "render_charts",
    "render_html",
    "render_markdown",
    "result_table",
    "write_compare_reports",
]


def _value(metric: Metric, v: float | None) -> str:
    if v is None or math.isnan(v):
        return "-"
    if metric.unit == "share":
        return f"{v:.2%}"
    return f"{v:.2f} {metric.unit}" if metric.unit == "req/s" else f"{v:.1f} ms"


def _change(metric: Metric, v: float | None) -> str:
    if v is None or math.isnan(v):
        return "-"
    if math.isinf(v):
        return "+inf" if v > 0 else "-inf"
    return f"{v * 100:+.2f} pp" if metric.absolute else f"{v:+.1%}"


def _result(c: Comparison) -> str:
    if not c.tested:
        return f"not tested ({c.note})"
    return "**REGRESSION**" if c.regression else "ok"


def _slo(m: Metric) -> str:
    """The SLO that judged the metric, as context: its key and each run's threshold."""
    if m.slo_key is None:
        return "-"
    bound = "≥" if m.worse == "lower" else "≤"
    tb, tn = (_value(m, t) if t is not None else "unset" for t in m.thresholds)
    return f"{m.slo_key} {bound} {tb}" + (f" → {tn}" if tn != tb else "")


def _p(c: Comparison) -> str:
    return "-" if c.adjusted_p is None else f"{c.adjusted_p:.3g}"


def result_table(result: CompareResult) -> str:
    """The per-metric table (Markdown; also printed by the CLI): every metric both runs measured, the
    SLO that judged it (context), ``worse by``: how much worse new is, and Holm's adjusted p-value."""
    lines = [
        "| metric | SLO (base → new) | base | new | worse by | 90% interval | limit | p (Holm) | result |",
        "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | --- |",
    ]
    for c in result.comparisons:
        m = c.metric
        interval = f"{_change(m, c.low)} .. {_change(m, c.high)}" if c.tested else "-"
        lines.append(
            f"| {m.name} | {_slo(m)} | {_value(m, c.base)} | {_value(m, c.new)} | {_change(m, c.change)} "
            f"| {interval} | {_change(m, c.limit)} | {_p(c)} | {_result(c)} |"
        )
    return "\n".join(lines)


def headline(result: CompareResult) -> str:
    """One line: the verdict and what regressed (or why nothing was compared)."""
    if result.reasons:
        return f"{result.base.scenario}: {result.verdict.replace('_', ' ')}: " + "; ".join(result.reasons)
    if not result.regressions:
        tested = sum(c.tested for c in result.comparisons)
        beyond = f"{result.max_regression:.0%}"
        return f"{result.base.scenario}: no significant regression beyond {beyond} ({tested} metrics tested)"
    parts = [
        f"{c.metric.name} {_change(c.metric, c.change)} (beyond {_change(c.metric, c.limit)}: "
        f"p {_p(c)}, Holm)"
        for c in result.regressions
    ]
    return f"{result.base.scenario}: regression: " + "; ".join(parts)


def render_markdown(result: CompareResult) -> str:
    b, n = result.base, result.new
    out = [
        f"# Compare: {b.scenario}",
        "",
        f"Verdict: **{result.verdict}** (exit {result.exit_code}). {headline(result)}",
        "",
        f"- base: `{b.dir}` ({b.duration_s:.1f} s judged, verdict {b.verdict or '-'})"
        + (" — the embedded reference server" if b.embedded else ""),
        f"- new: `{n.dir}` ({n.duration_s:.1f} s judged, verdict {n.verdict or '-'})"
        + (" — the embedded reference server" if n.embedded else ""),
        "",
    ]
    out += [f"- **Note:** {note}" for note in result.notes] + ([""] if result.notes else [])
    if result.comparisons:
        out += [
            f"Every metric both runs measured; the SLO column is context. A metric regressed when it got "
            f"worse by more than the limit ({result.max_regression:.0%}; the error rate: that share of the "
            f"base rate, at least 0.5 percentage points) at {result.confidence:.0%} confidence for the whole "
            f"family: Holm's correction over the {sum(c.tested for c in result.comparisons)} metrics "
            f"tested, so an unchanged service is called worse at most 5% of the time. Block bootstrap over "
            f"time windows, {result.resamples} resamples, seed {result.seed}.",
            "",
            result_table(result),
            "",
            "Page: `report.html`; plot: `compare.png` (base and new overlaid).",
            "",
        ]
    return "\n".join(out)


_SOURCES = {"ttft": "TTFT", "latency": "latency", "itl": "ITL", "largest_gap": "largest gap per stream",
            "errors": "error rate", "throughput": "throughput", "good": "goodput share"}  # fmt: skip


def _chart(c: Comparison, seconds: tuple[float, float]) -> Chart:
    """One metric, base and new overlaid: a distribution by percentile, or a series per 1 s window (a
    run's last window, partial, left out); the SLO that judged it (each run's threshold) as a line."""
    m, (base, new) = c.metric, c.curves
    scale = 100.0 if m.unit == "share" else 1.0
    unit = "%" if m.unit == "share" else m.unit
    percentile = m.kind == "percentile"
    if not percentile:
        base, new = base[: max(int(seconds[0]), 1)], new[: max(int(seconds[1]), 1)]

    def series(label: str, curve: tuple[float, ...], color: str) -> Series:
        x = tuple(float(i) for i in range(len(curve)))
        return Series(label, x, tuple(v * scale for v in curve), color=color)

    return Chart(
        m.key if m.request is None else f"{m.key}-{m.request}",
        f"{m.name}: {_result(c).strip('*')}",
        "percentile (%)" if percentile else "seconds into the run (1 s windows)",
        f"{_SOURCES.get(m.source, m.source)} ({unit})",
        (series("base", base, "#2e86c1"), series("new", new, "#c0392b")),
        _limits(m, scale, unit),
    )


def _limits(m: Metric, scale: float, unit: str) -> tuple[Limit, ...]:
    """The SLO that judged the metric: one line when both runs had the same threshold, else each run's."""
    if m.slo_key is None:
        return ()
    base, new = m.thresholds
    if base is not None and base == new:
        return (Limit(f"SLO {m.slo_key} = {base * scale:g} {unit}", base * scale),)
    pairs = (("base", base), ("new", new))
    return tuple(Limit(f"SLO {m.slo_key} ({who}) = {t * scale:g} {unit}", t * scale) for who, t in pairs if t)


def render_charts(result: CompareResult) -> list[Chart]:
    """A chart per metric both runs have data for."""
    seconds = (result.base.duration_s, result.new.duration_s)
    return [_chart(c, seconds) for c in result.comparisons if c.curves[0] and c.curves[1]]


_VERDICTS = {
    "no_regression": ("NO REGRESSION", True),
    "regression": ("REGRESSION", False),
    "not_comparable": ("NOT COMPARABLE", False),
    "measurement_invalid": ("MEASUREMENT INVALID", None),
}


def _rows(result: CompareResult) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for c in result.comparisons:
        m = c.metric
        interval = f"{_change(m, c.low)} .. {_change(m, c.high)}" if c.tested else "-"
        out.append((m.name, _slo(m), _value(m, c.base), _value(m, c.new), _change(m, c.change), interval,
                    _change(m, c.limit), _p(c), _result(c).strip("*")))  # fmt: skip
    return out


_CAPTION = "Base (blue) and new (red), one panel per metric; dashed red: the SLO thresholds that judged it."


def render_html(result: CompareResult, charts: list[Chart]) -> str:
    """``report.html``: the verdict and what regressed first, the table of every metric, the overlays."""
    b, n = result.base, result.new
    text, ok = _VERDICTS.get(result.verdict, (result.verdict, False))
    head = ["metric", "SLO (base → new)", "base", "new", "worse by", "90% interval", "limit", "p (Holm)",
            "result"]  # fmt: skip
    rows = _rows(result)
    notes = [*result.reasons, *result.notes]
    overlay = figure("compare.png", _CAPTION, {"name": "compare", "panels": [c.to_json() for c in charts]})
    body = [
        f"<p><b>{e(headline(result))}</b></p>",
        f'<ul class="notes">{"".join(f"<li>{e(x)}</li>" for x in notes)}</ul>' if notes else "",
        section("Every metric both runs measured", table(head, rows, numeric={2, 3, 4, 6, 7},
                breach=[r[-1] == "REGRESSION" for r in rows], id="metrics")) if rows else "",
        section("Base and new overlaid", overlay, id="overlays") if charts else "",
        links([("summary.json", "summary.json"), ("summary.md", "summary.md")]),
    ]  # fmt: skip
    subtitle = [f"base: {b.dir} ({b.duration_s:.1f} s judged)", f"new: {n.dir} ({n.duration_s:.1f} s judged)"]
    embedded = (
        "base and new measured chatgate's own server, not a deployment" if b.embedded and n.embedded else ""
    )
    return page(
        f"Compare: {b.scenario}", verdict(text, ok=ok), "".join(body), subtitle=subtitle, banner=embedded
    )


def write_compare_reports(result: CompareResult, run_dir: RunDir) -> dict[str, Path]:
    """Publish the reports of ``result`` into ``run_dir``; returns their paths by file name."""
    charts = render_charts(result)
    files: dict[str, str | bytes] = {
        "summary.json": json.dumps(result.to_json(), indent=2) + "\n",
        "summary.md": render_markdown(result),
        "report.html": render_html(result, charts),
    }
    if charts:
        files["compare.png"] = draw_panels(charts)
    else:
        run_dir.path("compare.png").unlink(missing_ok=True)
    return run_dir.publish(files)
