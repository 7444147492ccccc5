"""The reporters' plots: a chart as data (:class:`Chart`: its series, its SLO lines, its axes with units),
drawn to PNG by matplotlib on its file-only backend.

A chart is data first so that the HTML pages can carry what each plot shows (``Chart.to_json``: a test
reads the SLO line from the page) and so that an empty chart is never drawn (``Chart.empty``)::

    chart = Chart("ttft", "TTFT over time", "seconds into the judged run", "TTFT (ms)",
                  (Series("p95", (1.0, 2.0), (101.5, None)),), limits=(Limit("SLO p95_ttft_ms", 2000.0),))
    png_bytes = draw(chart)

``None`` in a series is an interval with nothing measured: a gap in the line, never a zero.
"""

from __future__ import annotations

import io
import itertools
import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Chart", "Limit", "Series", "draw", "draw_panels", "png", "pyplot"]

PALETTE = ("#2e86c1", "#f39c12", "#c0392b", "#27ae60", "#8e44ad", "#7f8c8d", "#16a085", "#d35400")


@dataclass(frozen=True)
class Series:
    """One line (or one class of a stacked bar chart): y per x, ``None`` where nothing was measured."""

    label: str
    x: tuple[float, ...]
    y: tuple[float | None, ...]
    color: str | None = None
    dashed: bool = False
    markers: bool = False
    right: bool = False  # drawn against the right-hand axis (``Chart.right_label``)

    def to_json(self) -> dict[str, Any]:
        y = [v if v is not None and math.isfinite(v) else None for v in self.y]
        return {"label": self.label, "x": list(self.x), "y": y, "right": self.right}


@dataclass(frozen=True)
class Limit:
    """A horizontal line: an SLO threshold (``label`` names its key and value)."""

    label: str
    value: float

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "value": self.value}


@dataclass(frozen=True)
class Chart:
    """One plot: ``name`` is its file's stem (``ttft`` -> ``ttft.png``); labels carry their units."""

    name: str
    title: str
    x_label: str
    y_label: str
    series: tuple[Series, ...]
    limits: tuple[Limit, ...] = ()
    stacked: bool = False  # bars stacked per x (errors by class), else lines
    right_label: str = ""
    y_log: bool = False
    points: tuple[tuple[str, tuple[float, ...], tuple[float, ...]], ...] = ()  # marked points (name, x, y)
    x_ticks: tuple[tuple[float, str], ...] = ()  # labelled ticks, for a stretched axis
    note: str = ""  # how to read it (the page's caption)

    @property
    def empty(self) -> bool:
        """Nothing measured in any series: such a chart is not drawn."""
        return not any(v is not None and math.isfinite(v) for s in self.series for v in s.y)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "x_label": self.x_label,
            "y_label": self.y_label,
            "right_label": self.right_label,
            "series": [s.to_json() for s in self.series],
            "limits": [limit.to_json() for limit in self.limits],
            "note": self.note,
        }


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend, imported on first use (only reports that plot pay)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def png(fig: Any) -> bytes:
    """``fig`` laid out, encoded as PNG (90 dpi, cropped to what is drawn: legends outside the axes
    included) and closed."""
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    pyplot().close(fig)
    return buf.getvalue()


def _values(s: Series) -> list[float]:
    return [math.nan if v is None else v for v in s.y]


def _lines(ax: Any, right: Any, chart: Chart) -> None:
    for i, s in enumerate(chart.series):
        on = right if s.right and right is not None else ax
        on.plot(
            s.x, _values(s), label=s.label, color=s.color or PALETTE[i % len(PALETTE)],
            linestyle="--" if s.dashed else "-", marker="o" if s.markers else None, markersize=4,
        )  # fmt: skip


def _bars(ax: Any, chart: Chart) -> None:
    xs = sorted({x for s in chart.series for x in s.x})
    width = min((b - a for a, b in itertools.pairwise(xs)), default=1.0) * 0.8
    bottom = dict.fromkeys(xs, 0.0)
    for i, s in enumerate(chart.series):
        heights = [v or 0.0 for v in s.y]
        ax.bar(s.x, heights, width=width, bottom=[bottom[x] for x in s.x], label=s.label,
               color=s.color or PALETTE[(i + 2) % len(PALETTE)], align="center")  # fmt: skip
        for x, h in zip(s.x, heights, strict=True):
            bottom[x] += h


def _top(chart: Chart, right: bool) -> float:
    """The axis' top: every value and SLO line inside, with room above the highest."""
    values = [v for s in chart.series if s.right == right for v in s.y if v is not None and math.isfinite(v)]
    if chart.stacked and not right:
        sums: dict[float, float] = {}
        for s in chart.series:
            for x, v in zip(s.x, s.y, strict=True):
                sums[x] = sums.get(x, 0.0) + (v or 0.0)
        values = list(sums.values())
    values += [] if right else [limit.value for limit in chart.limits]
    return max(values, default=1.0) * 1.12 or 1.0


def _draw_on(fig: Any, ax: Any, chart: Chart, *, small: bool = False) -> None:
    right = ax.twinx() if any(s.right for s in chart.series) else None
    if chart.stacked:
        _bars(ax, chart)
    else:
        _lines(ax, right, chart)
    for name, xs, ys in chart.points:
        ax.scatter(xs, ys, marker="x", s=70, color="black", label=name, zorder=3)
    for limit in chart.limits:
        ax.axhline(limit.value, color="#c0392b", linestyle=(0, (6, 3)), linewidth=1.4, label=limit.label)
    if chart.y_log:
        ax.set_yscale("log")
    else:
        ax.set_ylim(0, _top(chart, right=False))
    if chart.x_ticks:
        ax.set_xticks([x for x, _ in chart.x_ticks], [label for _, label in chart.x_ticks])
    ax.set_xlabel(chart.x_label, fontsize=8 if small else None)
    ax.set_ylabel(chart.y_label, fontsize=8 if small else None)
    ax.set_title(chart.title, fontsize=9 if small else 10)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if right is not None:
        right.set_ylim(0, _top(chart, right=True))
        right.set_ylabel(chart.right_label)
        more = right.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.22 if small else -0.2),
              ncol=min(len(labels), 4), fontsize=7 if small else 8, frameon=False)  # fmt: skip


def draw(chart: Chart) -> bytes:
    """The chart as PNG: lines (gaps where nothing was measured) or stacked bars, the SLO lines dashed
    and labelled, axes labelled with their units, the y axis from zero with room above the highest
    value or line, the legend below the axes (never over a line)."""
    fig, ax = pyplot().subplots(figsize=(7.2, 3.3))
    _draw_on(fig, ax, chart)
    return png(fig)


def draw_panels(charts: list[Chart], columns: int = 2) -> bytes:
    """Several charts as the panels of one PNG, ``columns`` to a row."""
    cols = min(columns, len(charts))
    rows = math.ceil(len(charts) / cols)
    fig, axes = pyplot().subplots(rows, cols, figsize=(6.4 * cols, 3.4 * rows), squeeze=False)
    for ax, chart in zip(axes.flat, charts, strict=False):
        _draw_on(fig, ax, chart, small=True)
    for ax in list(axes.flat)[len(charts) :]:
        ax.axis("off")
    return png(fig)
