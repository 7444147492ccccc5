"""The report pages people open, in headless Chromium at 1280 px: the load, capacity, compare and gate
reports, from real runs through the real CLI.

Each page is screenshotted (test-artifacts/, kept with the test run, not in the repository) and held
to what a reader needs: the verdict first (the gate's findings too, visible without scrolling and above
its check table), nothing wider than the window and no two blocks overlapping, every image loaded and
no plot without data, and the load report's time series with their SLO lines in the plot's own data
(the page carries each chart's series and thresholds in ``data-chart``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from chatgate.embedded import EmbeddedServer
from chatgate.load.series import PLOT_ORDER
from tests.conftest import ROOT
from tests.load.conftest import write_lenient_slo

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PACING = ["--ttft-ms", "60", "--itl-ms", "10", "--reply-tokens", "6"]
SCENARIO = "nara-stream-sends"
KEYS = {"NARA_API_KEY": "nara-dev-key-1001", "NARA_USER_ID": "1001", "NAVIGABLE_API_KEY": "navigable-dev-key"}


def _chatgate(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_BASE_URL")} | KEYS
    return subprocess.run([sys.executable, "-m", "chatgate", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600, check=False)  # fmt: skip


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two load runs (one against a server that fails 20% of requests), their comparison, a two-step
    capacity search and a gate run with findings; every command's output by name."""
    out = tmp_path_factory.mktemp("pages")
    slo = str(write_lenient_slo(out / "lenient.toml"))  # a busy machine's lag must not make a run invalid
    good = EmbeddedServer([*PACING, "--db", str(out / "good.db")], log_path=out / "good.log").start()
    bad = EmbeddedServer([*PACING, "--fault-500-rate", "0.2", "--db", str(out / "bad.db")],
                         log_path=out / "bad.log").start()  # fmt: skip
    try:
        load = ["load", "--scenario", SCENARIO, "--arrival-rate", "10", "--run-time", "6s", "--warmup", "1s",
                "--slo", slo]  # fmt: skip
        base, new = ["--base-url", good.base_url], ["--base-url", bad.base_url]
        capacity = ["--start-rps", "4", "--max-rps", "8", "--step-time", "2s", "--warmup", "1s"]
        gate = ["--api", "nara", "--max-examples", "3"]
        capacity += ["--scenario", SCENARIO, "--slo", slo, "--report-dir", str(out / "capacity")]
        procs = {
            "load": _chatgate(*load, *base, "--report-dir", str(out / "base")),
            "load-errors": _chatgate(*load, *new, "--report-dir", str(out / "new")),
            "capacity": _chatgate("capacity", *base, *capacity),
            "gate": _chatgate("contract", *gate, *new, "--report-dir", str(out / "contract")),
        }
        kept = [str(out / "base" / SCENARIO), str(out / "new" / SCENARIO)]
        procs["compare"] = _chatgate("compare", *kept, "--report-dir", str(out / "compare"))
    finally:
        good.stop()
        bad.stop()
    yield {"dir": out, **procs}


def _layout(page: Any) -> dict[str, Any]:
    """What a reader would see wrong: the page wider than the window, sibling blocks overlapping, images
    that did not load, plots whose data has nothing in it."""
    return page.evaluate(
        """() => {
        const blocks = 'header, main > *, section > *, .plots > figure, dl.headline > div';
        const overlaps = [];
        for (const parent of document.querySelectorAll('body, main, section, .plots, dl.headline')) {
          const kids = [...parent.children].filter(k => k.matches(blocks) && k.offsetHeight > 0);
          for (let i = 0; i < kids.length; i++) for (let j = i + 1; j < kids.length; j++) {
            const a = kids[i].getBoundingClientRect(), b = kids[j].getBoundingClientRect();
            const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            const name = k => k.tagName + '#' + k.id;
            if (w > 1 && h > 1) overlaps.push([name(kids[i]), name(kids[j])]);
          }
        }
        const figures = [...document.querySelectorAll('figure[data-chart]')];
        const charts = figures.map(f => JSON.parse(f.dataset.chart));
        const series = c => c.panels ? c.panels.flatMap(series) : c.series;
        return {
          width: document.documentElement.scrollWidth,
          overlaps,
          images: [...document.images].map(i => [i.getAttribute('src'), i.complete ? i.naturalWidth : 0]),
          empty: charts.filter(c => !series(c).some(s => s.y.some(v => v !== null))).map(c => c.name),
          charts,
          pre: document.querySelectorAll('main pre').length,
        };
    }"""
    )


def _check(visit: Any, screenshot: Any, name: str) -> dict[str, Any]:
    layout = _layout(visit.page)
    screenshot(visit, name)
    assert layout["width"] <= 1280, layout["width"]
    assert layout["overlaps"] == []
    assert layout["images"] and all(w > 0 for _, w in layout["images"]), layout["images"]
    assert layout["empty"] == []
    assert visit.left_the_machine() == [] and visit.errors == []
    return layout


def _top(page: Any, selector: str) -> float:
    return float(page.locator(selector).first.bounding_box()["y"])


def test_load_page_verdict_slos_then_the_time_series_with_their_slo_lines(
    reports: dict[str, Any], open_page: Any, screenshot: Any
) -> None:
    proc = reports["load"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the console labels every figure: a stream's latency is the whole stream's, beside TTFT and ITL
    headline = proc.stdout.splitlines()[0]
    assert all(label in headline for label in ("latency p95 (whole stream)", "TTFT p95", "ITL p99")), headline
    visit = open_page((reports["dir"] / "base" / SCENARIO / "report.html").as_uri())
    layout = _check(visit, screenshot, "report-load")
    page = visit.page
    assert page.locator("#verdict").inner_text() == "PASS" and _top(page, "#verdict") < 100
    assert _top(page, "table#slo") < 900 > _top(page, "table#slo tbody tr")  # the SLO table: first screen
    assert _top(page, "table#slo") < _top(page, "#plot-ttft") < _top(page, "#plot-ttft_distribution")
    assert layout["pre"] == 0 and page.locator("table#latency tbody tr").count() >= 5
    charts = {c["name"]: c for c in layout["charts"]}
    assert list(charts) == [n for n in PLOT_ORDER if n in charts] and "errors" not in charts
    assert {"ttft", "itl", "latency", "throughput", "in_flight"} <= set(charts)
    ttft = charts["ttft"]
    assert ttft["y_label"] == "TTFT (ms)" and ttft["x_label"] == "seconds into the judged run"
    assert [lim["value"] for lim in ttft["limits"] if "p95_ttft_ms" in lim["label"]] == [2000.0]
    assert [s["label"] for s in ttft["series"]] == ["p50", "p95", "p99"]
    # no artefacts at the edges: every point inside the judged run, none a zero standing in for "nothing"
    for name in ("ttft", "itl", "latency", "throughput"):
        for series in charts[name]["series"]:
            assert all(0 < x < 6 for x in series["x"]) and all(v is None or v > 0 for v in series["y"])
    offered = next(s for s in charts["throughput"]["series"] if s["label"] == "offered")
    assert all(abs(v - 10) <= 2 for v in offered["y"] if v is not None), offered


def test_load_page_with_errors_draws_errors_by_class_against_the_error_slo(
    reports: dict[str, Any], open_page: Any, screenshot: Any
) -> None:
    assert reports["load-errors"].returncode == 1, reports["load-errors"].stderr  # 20% > max_error_rate
    visit = open_page((reports["dir"] / "new" / SCENARIO / "report.html").as_uri())
    layout = _check(visit, screenshot, "report-load-errors")
    page = visit.page
    assert page.locator("#verdict").inner_text() == "SLO BREACHED"
    assert page.locator("table#slo tr.breach td").first.inner_text() == "max_error_rate"
    errors = next(c for c in layout["charts"] if c["name"] == "errors")
    assert [s["label"] for s in errors["series"]] == ["http_500"]
    assert [lim["value"] for lim in errors["limits"]] == [1.0] and errors[
        "y_label"
    ] == "errors (% of finished)"


def test_capacity_page_verdict_steps_then_the_plots(
    reports: dict[str, Any], open_page: Any, screenshot: Any
) -> None:
    proc = reports["capacity"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads((reports["dir"] / "capacity" / SCENARIO / "summary.json").read_text("utf-8"))
    visit = open_page((reports["dir"] / "capacity" / SCENARIO / "report.html").as_uri())
    layout = _check(visit, screenshot, "report-capacity")
    page = visit.page
    assert page.locator("#verdict").inner_text() == "PASS"
    assert page.locator("table#steps tbody tr").count() == len(summary["steps"]) >= 2
    assert _top(page, "table#steps") < _top(page, "#plot-capacity")
    names = [c["name"] for c in layout["charts"]]
    assert names == ["capacity", "capacity_goodput"]
    assert layout["charts"][0]["x_label"] == "offered arrivals per second"


def test_compare_page_verdict_and_the_table_before_the_overlays(
    reports: dict[str, Any], open_page: Any, screenshot: Any
) -> None:
    proc = reports["compare"]
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the error rate rose past its limit
    visit = open_page((reports["dir"] / "compare" / "report.html").as_uri())
    layout = _check(visit, screenshot, "report-compare")
    page = visit.page
    assert page.locator("#verdict").inner_text() == "REGRESSION"
    assert page.locator("table#metrics tr.breach td").first.inner_text() == "error rate"
    assert _top(page, "table#metrics") < _top(page, "#plot-compare")
    (overlay,) = layout["charts"]
    errors = next(p for p in overlay["panels"] if p["name"] == "error_rate")
    assert [lim["value"] for lim in errors["limits"]] == [1.0]  # max_error_rate, in % like its axis


def test_gate_page_findings_come_first_and_are_visible_without_scrolling(
    reports: dict[str, Any], open_page: Any, screenshot: Any
) -> None:
    proc = reports["gate"]
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr
    visit = open_page((reports["dir"] / "contract" / "report.html").as_uri())
    page = visit.page
    screenshot(visit, "report-gate")
    findings, checks = page.locator("h2", has_text="Findings"), page.locator("h2", has_text="Checks")
    assert findings.count() == 1 and page.locator(".finding").count() >= 1
    first = page.locator(".finding").first.bounding_box()
    assert first["y"] < 900 and findings.bounding_box()["y"] < checks.bounding_box()["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert visit.left_the_machine() == [] and visit.errors == []
