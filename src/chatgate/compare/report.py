"""Compare reports: ``summary.json``, ``summary.md`` (a CI job summary) and ``compare.png`` (base and new
overlaid, one panel per metric). Pure renderers of a :class:`CompareResult`; ``write_compare_reports``
hands them to the report directory's ``RunDir``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from chatgate.artifacts import RunDir
from chatgate.compare.model import CompareResult, Comparison, Metric
from chatgate.plots import png, pyplot

__all__ = ["headline", "render_markdown", "render_plot", "result_table", "write_compare_reports"]


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
            "Plot: `compare.png` (base and new overlaid).",
            "",
        ]
    return "\n".join(out)


def render_plot(result: CompareResult) -> bytes | None:
    """One panel per metric with data: the two distributions (percentile curves) or per-window series."""
    drawn = [c for c in result.comparisons if c.curves[0] and c.curves[1]]
    if not drawn:
        return None
    plt = pyplot()

    cols = 2 if len(drawn) > 1 else 1
    rows = math.ceil(len(drawn) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 3.6 * rows), squeeze=False)
    for ax, c in zip(axes.flat, drawn, strict=False):
        for curve, label, color in ((c.curves[0], "base", "#2e86c1"), (c.curves[1], "new", "#c0392b")):
            if c.metric.kind == "percentile":
                ax.plot(curve, range(len(curve)), label=label, color=color)
                ax.set_xlabel(c.metric.unit)
                ax.set_ylabel("percentile")
            else:
                ax.plot(range(len(curve)), curve, label=label, color=color)
                ax.set_xlabel("window")
                ax.set_ylabel(c.metric.unit)
        ax.set_title(f"{c.metric.name}: {_result(c).strip('*')}", fontsize=9)
        ax.legend()
    for ax in list(axes.flat)[len(drawn) :]:
        ax.axis("off")
    return png(fig)


def write_compare_reports(result: CompareResult, run_dir: RunDir) -> dict[str, Path]:
    """Publish the reports of ``result`` into ``run_dir``; returns their paths by file name."""
    files: dict[str, str | bytes] = {
        "summary.json": json.dumps(result.to_json(), indent=2) + "\n",
        "summary.md": render_markdown(result),
    }
    plot = render_plot(result)
    if plot is not None:
        files["compare.png"] = plot
    else:
        run_dir.path("compare.png").unlink(missing_ok=True)
    return run_dir.publish(files)
