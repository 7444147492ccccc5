"""Capacity reports: ``summary.json``, ``summary.md`` (a CI job summary), ``report.html`` (the page: the
verdict and the steps first) and its plots, ``capacity.png`` (latency percentiles against the offered
rate, with the SLO lines) and ``capacity_goodput.png`` (what the target delivered against what was
offered). Pure renderers of a :class:`CapacityResult`; ``write_capacity_reports`` hands them to the
search's ``RunDir``.
"""

from __future__ import annotations

import json
from pathlib import Path

from chatgate.artifacts import RunDir
from chatgate.capacity.model import CapacityResult, Step
from chatgate.pages import Html, e, links, page, plots, section, table, verdict
from chatgate.pages import headline as figure_grid
from chatgate.plots import Chart, Limit, Series, draw
from chatgate.targets import EMBEDDED_BANNER

__all__ = [
    "headline",
    "render_charts",
    "render_html",
    "render_markdown",
    "step_table",
    "write_capacity_reports",
]


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
            "is kept under `steps/` (`chatgate compare` reads it). Page: `report.html`; plots: "
            "`capacity.png`, `capacity_goodput.png`.",
            "",
        ]
    )


_LATENCY_KEYS = {"p95_ttft_ms", "p99_ttft_ms", "p95_latency_ms", "p99_latency_ms"}
_X = "offered arrivals per second"


def _slo_lines(steps: list[Step]) -> tuple[Limit, ...]:
    """The latency thresholds the steps were judged by, where a step names one (its limiting metric)."""
    seen = {s.limiting: s.threshold for s in steps if s.limiting in _LATENCY_KEYS and s.threshold is not None}
    return tuple(Limit(f"SLO {k} = {v:g} ms", v) for k, v in sorted(seen.items()) if v is not None)


def _steps_run(result: CapacityResult) -> list[Step]:
    return sorted((s for s in result.steps if s.verdict != "invalid"), key=lambda s: s.rate)


def _latency_chart(result: CapacityResult, steps: list[Step]) -> Chart:
    x = tuple(s.rate for s in steps)
    metric = "TTFT" if steps[0].latency_metric == "ttft" else "latency"
    lines = tuple(
        Series(f"{metric} {q}", x, tuple(s.latency[i] for s in steps), markers=True)
        for i, q in enumerate(("p50", "p95", "p99"))
    )
    failed = [s for s in steps if s.verdict == "fail"]
    marks = [("step failed", tuple(s.rate for s in failed), tuple(s.latency[1] for s in failed))]
    return Chart(
        "capacity",
        f"{result.scenario}: {metric} from the intended start, by offered rate",
        _X,
        f"{metric} (ms)",
        lines,
        _slo_lines(steps),
        points=tuple(marks) if failed else (),
        note="p50, p95 and p99 of each step; x: a step that failed; dashed red: the SLO thresholds.",
    )


def _delivered_chart(result: CapacityResult, steps: list[Step]) -> Chart:
    x = tuple(s.rate for s in steps)
    series = (
        Series("offered", x, x, color="#1f2328", dashed=True),
        Series("sent on time", x, tuple(s.achieved_rps for s in steps), markers=True),
        Series("finished", x, tuple(s.throughput_rps for s in steps), markers=True),
        Series("goodput", x, tuple(s.goodput_rps for s in steps), markers=True, color="#27ae60"),
    )
    return Chart(
        "capacity_goodput",
        f"{result.scenario}: what the target delivered, by offered rate",
        _X,
        "requests per second",
        series,
        note="Per step: arrivals offered, sent on time, finished, and good (within the goodput bounds).",
    )


def render_charts(result: CapacityResult) -> list[Chart]:
    """Latency percentiles, then what was delivered, against the offered rate (the steps that ran)."""
    steps = _steps_run(result)
    return [_latency_chart(result, steps), _delivered_chart(result, steps)] if steps else []


_VERDICTS = {
    "pass": "PASS",
    "below_min": "BELOW --min-rps",
    "no_capacity": "NO CAPACITY",
    "incomplete": "INCOMPLETE",
    "measurement_invalid": "MEASUREMENT INVALID",
}


def _figures(r: CapacityResult) -> list[tuple[str, str]]:
    figures = [
        ("capacity", f"{r.capacity_rps:g} req/s" if r.capacity_rps is not None else "none"),
        ("lowest rate that failed", f"{r.failing_rps:g} req/s" if r.failing_rps is not None else "-"),
    ]
    if r.concurrent_streams is not None:
        figures.append(("concurrent streams", f"~{r.concurrent_streams:.1f}"))
    return [
        *figures,
        ("steps", f"{len(r.steps)} in {r.seconds:.0f} s"),
        ("complete", str(r.complete).lower()),
    ]


def _steps_table(r: CapacityResult) -> Html:
    metric = "TTFT" if any(s.latency_metric == "ttft" for s in r.steps) else "latency"
    head = ["step", "offered/s", "achieved/s", "verdict", "limiting: observed / threshold",
            f"{metric} p50 / p95 / p99 ms", "goodput/s", "429s", "unanswered", "in flight", "s"]  # fmt: skip
    rows = [
        (f"{s.index}{' (again)' if s.attempt > 1 else ''}", f"{s.rate:g}", f"{s.achieved_rps:.2f}",
         s.verdict.upper() if s.verdict != "pass" else "pass", _limit(s),
         " / ".join(f"{x:.0f}" for x in s.latency),
         f"{s.goodput_rps:.2f} ({s.goodput_share:.0%})", s.rate_limited, s.not_completed,
         f"{s.mean_in_flight:.1f}", f"{s.seconds:.0f}")
        for s in r.steps
    ]  # fmt: skip
    flagged = [s.verdict != "pass" for s in r.steps]
    return table(head, rows, numeric={1, 2, 5, 6, 7, 8, 9, 10}, breach=flagged, id="steps")


def render_html(result: CapacityResult, charts: list[Chart]) -> str:
    """``report.html``: the verdict and the capacity first, the steps as a table, then the plots."""
    r, p = result, result.plan
    plan = (
        f'<p class="mute">Each step: warm-up {p.warmup_s:g} s, then {p.step_s:g} s judged, then a drain '
        f"of up to {p.drain_s:g} s. Step length: {e(p.why)}.</p>"
    )
    body = [
        figure_grid(_figures(r)),
        section("Steps", f"<p>{e(headline(r))}</p>", _steps_table(r), plan, id="steps-section"),
        section("By offered rate", plots((f"{c.name}.png", c.note, c.to_json()) for c in charts))
        if charts
        else "",
        links(
            [
                ("summary.json", "summary.json"),
                ("summary.md", "summary.md"),
                ("steps/", "each step's load run"),
            ]
        ),
    ]
    banner = f"{EMBEDDED_BANNER}: this search measured chatgate's own server, not a deployment."
    ok = None if r.verdict in ("incomplete", "measurement_invalid") else r.exit_code == 0
    arrivals = "Poisson" if r.options.poisson else "constant"
    return page(
        f"Capacity: {r.scenario}",
        verdict(_VERDICTS.get(r.verdict, r.verdict), ok=ok),
        "".join(body),
        subtitle=[f"Target {r.target}; {arrivals} arrivals"],
        banner=banner if r.embedded else "",
    )


def write_capacity_reports(result: CapacityResult, run_dir: RunDir) -> dict[str, Path]:
    """Publish the reports of ``result`` into ``run_dir``; returns their paths by file name."""
    charts = render_charts(result)
    files: dict[str, str | bytes] = {
        "summary.json": json.dumps(result.to_json(), indent=2) + "\n",
        "summary.md": render_markdown(result),
        "report.html": render_html(result, charts),
        **{f"{c.name}.png": draw(c) for c in charts},
    }
    return run_dir.publish(files, secrets=result.secrets)
