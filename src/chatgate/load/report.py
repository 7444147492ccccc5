"""Load reports beside Locust's own (``locust.html``, ``locust_*.csv``): ``summary.json``,
``summary.md`` and PNG plots (matplotlib, Agg backend). API keys never reach these files: only the
target URL and figures are written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatgate.metrics import Histogram, Metrics

if TYPE_CHECKING:
    from chatgate.load.runner import LoadResult

__all__ = ["check_table", "write_reports"]


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"


def check_table(result: LoadResult) -> str:
    """The threshold-vs-observed table, as Markdown (also printed by the CLI)."""
    lines = ["| check | threshold | observed | result |", "| --- | ---: | ---: | --- |"]
    for c in [*result.checks, *result.monitor_checks]:
        lines.append(f"| {c.key} | {c.threshold:g} | {_fmt(c.observed)} | {'ok' if c.ok else 'BREACH'} |")
    return "\n".join(lines)


def _markdown(result: LoadResult) -> str:
    s = result.summary
    out = [
        f"# Load run: {s['scenario']}",
        "",
        f"Verdict: **{s['verdict']}**" + (f" ({s['invalid_reason']})" if s["invalid_reason"] else ""),
        "",
        f"Target {s['target']}, {s['duration_s']:.1f} s, model {s['model']['kind']}, "
        f"{s['requests']} requests, {s['throughput_rps']:.2f} req/s, error rate {s['error_rate']:.2%}.",
        "",
        "## SLOs and generator budgets",
        "",
        check_table(result),
        "",
        "## Latency (ms)",
        "",
        "| metric | count | p50 | p90 | p95 | p99 | max |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    rows: list[tuple[str, dict[str, float]]] = [("all requests", s["latency"])]
    rows += [(f"latency {k}", v) for k, v in s["latency_by_name"].items()]
    rows += [(f"from intended start {k}", v) for k, v in s["intended_by_name"].items()]
    rows += [(k, s[k]) for k in ("headers", "ttft", "itl", "largest_gap", "terminal", "walk", "visibility")]
    for name, h in rows:
        if h.get("count"):
            out.append(
                f"| {name} | {int(h['count'])} | {h['p50']:.3f} | {h['p90']:.3f} | {h['p95']:.3f} "
                f"| {h['p99']:.3f} | {h['max']:.3f} |"
            )
    out += ["", "## Errors by class", "", "| class | count | rate |", "| --- | ---: | ---: |"]
    for k, n in s["errors"].items():
        out.append(f"| {k} | {n} | {s['error_rates'][k]:.2%} |")
    m = s["monitor"]
    out += [
        "",
        "## Generator",
        "",
        f"Event-loop lag p99 {m['loop_lag_p99_ms']:.1f} ms, CPU mean {m['cpu_mean_percent']:.0f}%, "
        f"schedule slip p99 {m['schedule_slip_p99_ms']:.1f} ms.",
        "",
        "Plots: `latency_throughput.png`, `latency.png`, `errors.png`"
        + (", `ttft.png`, `itl.png`" if s["ttft"]["count"] else "")
        + ". Locust: `locust.html`.",
        "",
    ]
    return "\n".join(out)


def _dist(ax: Any, h: Histogram, title: str) -> None:
    xs, ws = [], []
    for it in h.hdr.get_recorded_iterator():
        xs.append(it.value_iterated_to / 1000.0)
        ws.append(it.count_at_value_iterated_to)
    if xs:
        ax.hist(xs, bins=60, weights=ws, color="#3b6ea5")
        for p, style in ((50, "-"), (99, "--")):
            ax.axvline(
                h.percentile_ms(p),
                color="#c0392b",
                linestyle=style,
                label=f"p{p} {h.percentile_ms(p):.2f} ms",
            )
        ax.legend()
    else:
        ax.text(0.5, 0.5, "no samples", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(title)
    ax.set_xlabel("ms")
    ax.set_ylabel("count")


def _plots(result: LoadResult, metrics: Metrics, out: Path) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tl = result.summary["timeline"]
    t = [row["t"] for row in tl]
    paths: dict[str, Path] = {}

    fig, ax = plt.subplots(figsize=(9, 4.5))
    for key, color in (("p50", "#2e86c1"), ("p95", "#f39c12"), ("p99", "#c0392b")):
        ax.plot(t, [row[key] for row in tl], label=key, color=color)
    ax.set_xlabel("seconds into run")
    ax.set_ylabel("latency (ms)")
    ax2 = ax.twinx()
    ax2.plot(t, [row["rps"] for row in tl], color="#27ae60", linestyle=":", label="req/s")
    ax2.set_ylabel("requests/s")
    ax.legend(loc="upper left")
    ax2.legend(loc="upper right")
    ax.set_title(f"{result.scenario}: latency percentiles and throughput")
    paths["latency_throughput"] = out / "latency_throughput.png"
    fig.tight_layout()
    fig.savefig(paths["latency_throughput"], dpi=90)
    plt.close(fig)

    latency = Histogram()
    for name, h in metrics.hists.items():
        if name.startswith("latency:"):
            latency.merge(h)
    dists = (
        ("latency", latency, "response time, every request"),
        ("ttft", metrics.hists.get("ttft"), "time to first delta (TTFT)"),
        ("itl", metrics.hists.get("itl"), "inter-event gaps (ITL)"),
    )
    for name, hist, title in dists:
        if hist is None or hist.count == 0:  # e.g. TTFT of a read scenario: no plot, not an empty one
            (out / f"{name}.png").unlink(missing_ok=True)
            continue
        fig, ax = plt.subplots(figsize=(7, 4))
        _dist(ax, hist, f"{result.scenario}: {title}")
        paths[name] = out / f"{name}.png"
        fig.tight_layout()
        fig.savefig(paths[name], dpi=90)
        plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.bar(t, [row["errors"] for row in tl], width=result.summary["window_s"] * 0.8, color="#c0392b")
    ax.set_title(f"{result.scenario}: errors over time ({', '.join(result.summary['errors']) or 'none'})")
    ax.set_xlabel("seconds into run")
    ax.set_ylabel("errors per window")
    paths["errors"] = out / "errors.png"
    fig.tight_layout()
    fig.savefig(paths["errors"], dpi=90)
    plt.close(fig)
    return paths


def write_reports(result: LoadResult, metrics: Metrics) -> dict[str, Path]:
    out = result.report_dir
    assert out is not None
    out.mkdir(parents=True, exist_ok=True)
    paths = {"summary_json": out / "summary.json", "summary_md": out / "summary.md"}
    paths["summary_json"].write_text(
        json.dumps(result.summary, indent=2, default=str) + "\n", encoding="utf-8"
    )
    paths["summary_md"].write_text(_markdown(result), encoding="utf-8")
    paths.update(_plots(result, metrics, out))
    for name in ("locust.html", "locust_stats.csv"):
        if (out / name).exists():
            paths[name] = out / name
    return paths
