"""Capacity reports: ``summary.json``, ``summary.md`` (a CI job summary) and ``capacity.png`` (latency
percentiles and goodput against the offered rate). Pure renderers of a :class:`CapacityResult`;
``write_capacity_reports`` hands them to the search's ``RunDir``.
"""

from __future__ import annotations

import json
from pathlib import Path

from chatgate.artifacts import RunDir
from chatgate.capacity.model import CapacityResult, Step
from chatgate.plots import png, pyplot
from chatgate.targets import EMBEDDED_BANNER

__all__ = ["headline", "render_markdown", "render_plot", "step_table", "write_capacity_reports"]


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"


def _limit(s: Step) -> str:
    if not s.limiting:
        return "-"
    if s.observed is None and s.threshold is None:
        return f"{s.limiting}: {s.reason}" if s.reason else s.limiting
    return f"{s.limiting} {_num(s.observed)} / {_num(s.threshold)}"


def step_table(result: CapacityResult) -> str:
    """The steps in the order they ran (Markdown; also printed by the CLI)."""
    unit = "TTFT" if any(s.latency_metric == "ttft" for s in result.steps) else "latency"
    lines = [
        f"| step | offered/s | achieved/s | verdict | limiting: observed / threshold "
        f"| {unit} p50 / p95 / p99 ms | goodput/s | 429s | unanswered | in flight | s |",
        "| ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in result.steps:
        lat = " / ".join(f"{x:.0f}" for x in s.latency)
        verdict = s.verdict.upper() if s.verdict != "pass" else "pass"
        lines.append(
            f"| {s.index}{' (again)' if s.attempt > 1 else ''} | {s.rate:g} | {s.achieved_rps:.2f} "
            f"| {verdict} | {_limit(s)} | {lat} | {s.goodput_rps:.2f} ({s.goodput_share:.0%}) "
            f"| {s.rate_limited} | {s.not_completed} | {s.mean_in_flight:.1f} | {s.seconds:.0f} |"
        )
    return "\n".join(lines)


def headline(result: CapacityResult) -> str:
    """One line: the capacity (or why there is none) and what limited the next rate."""
    r = result
    if r.capacity_rps is None:
        found = "no rate passed"
    else:
        found = f"capacity {r.capacity_rps:g} req/s"
        if r.concurrent_streams is not None:
            found += f" (~{r.concurrent_streams:.1f} concurrent streams)"
    failed = next((s for s in r.steps if s.rate == r.failing_rps and s.verdict == "fail"), None)
    beyond = f"; {failed.rate:g} req/s failed on {_limit(failed)}" if failed else ""
    tail = f"; {r.reason}" if r.reason else ""
    return f"{r.scenario}: {found}{beyond}; {len(r.steps)} steps in {r.seconds:.0f} s ({r.verdict}){tail}"


def render_markdown(result: CapacityResult) -> str:
    r, p = result, result.plan
    resolution = f"{r.resolution_reached:.1%}" if r.resolution_reached is not None else "-"
    return "\n".join(
        [
            f"# Capacity: {r.scenario}",
            "",
            f"**{headline(r)}**",
            "",
            *(
                [f"> **{EMBEDDED_BANNER}**: this search measured chatgate's own server.", ""]
                if r.embedded
                else []
            ),
            f"Target {r.target}; {'Poisson' if r.options.poisson else 'constant'} arrivals; verdict "
            f"**{r.verdict}** (exit {r.exit_code}); complete: {str(r.complete).lower()}; the highest rate "
            f"that passed and the lowest that failed are {resolution} apart (resolution asked: "
            f"{r.options.resolution:.0%}).",
            "",
            f"Each step: warm-up {p.warmup_s:g} s (not judged), then {p.step_s:g} s judged by the scenario's "
            f"SLOs, then a drain of up to {p.drain_s:g} s. Step length: {p.why}.",
            "",
            step_table(r),
            "",
            "429 answers count against a step (the target refused the load) and are shown apart; "
            "unanswered: arrivals still in flight after the drain (or held back until the stop). In flight: "
            "mean requests in flight (Little's law: throughput x mean time in flight). Each step's load run "
            "is kept under `steps/` (`chatgate compare` reads it). Plot: `capacity.png`.",
            "",
        ]
    )


def render_plot(result: CapacityResult) -> bytes | None:
    """Latency percentiles (left) and goodput and throughput (right) against the offered rate."""
    steps = sorted((s for s in result.steps if s.verdict != "invalid"), key=lambda s: s.rate)
    if not steps:
        return None
    plt = pyplot()

    x = [s.rate for s in steps]
    fig, ax = plt.subplots(figsize=(9, 4.8))
    for i, (label, color) in enumerate((("p50", "#2e86c1"), ("p95", "#f39c12"), ("p99", "#c0392b"))):
        ax.plot(
            x,
            [s.latency[i] for s in steps],
            marker="o",
            label=f"{steps[0].latency_metric} {label}",
            color=color,
        )
    failed = [s for s in steps if s.verdict == "fail"]
    ax.scatter([s.rate for s in failed], [s.latency[1] for s in failed], marker="x", s=90, color="black",
               label="step failed", zorder=3)  # fmt: skip
    ax.set_yscale("log")
    ax.set_xlabel("offered arrivals per second")
    ax.set_ylabel("ms, from the intended start")
    ax2 = ax.twinx()
    ax2.plot(
        x, [s.goodput_rps for s in steps], linestyle="--", marker=".", color="#27ae60", label="goodput/s"
    )
    ax2.plot(x, [s.throughput_rps for s in steps], linestyle=":", color="#7f8c8d", label="throughput/s")
    ax2.set_ylabel("requests per second")
    if result.capacity_rps is not None:
        ax.axvline(
            result.capacity_rps, color="#27ae60", alpha=0.5, label=f"capacity {result.capacity_rps:g}/s"
        )
    ax.legend(loc="upper left", fontsize=8)
    ax2.legend(loc="lower right", fontsize=8)
    ax.set_title(f"{result.scenario}: latency and goodput against offered rate")
    return png(fig)


def write_capacity_reports(result: CapacityResult, run_dir: RunDir) -> dict[str, Path]:
    """Publish the reports of ``result`` into ``run_dir``; returns their paths by file name."""
    files: dict[str, str | bytes] = {
        "summary.json": json.dumps(result.to_json(), indent=2) + "\n",
        "summary.md": render_markdown(result),
    }
    plot = render_plot(result)
    if plot is not None:
        files["capacity.png"] = plot
    return run_dir.publish(files, secrets=result.secrets)
