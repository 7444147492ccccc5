"""``chatgate run``, the main job, exactly as the README's first command runs it, and its one page.

CI runs this on a clean clone after ``scripts/install`` (the README's first command) and nothing
else, so a report that needs something not in the repository fails here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from chatgate.load.config import SCENARIOS
from chatgate.targets import EMBEDDED_BANNER
from tests.summary_schemas import assert_valid_summary

# The main job as the README runs it (about 100 s): the e2e tier, where its module fixture runs once.
pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.timing]  # its load runs: alone

STREAMING = {"nara-stream-sends", "mixed"}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href") and not str(a["href"]).startswith("#"):
            self.hrefs.append(str(a["href"]))
        if tag == "img" and a.get("src"):
            self.images.append(str(a["src"]))


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    cwd = tmp_path_factory.mktemp("main-job")
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("chatgate")), "run"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    return proc, cwd / "reports"


def test_main_job_passes_with_a_summary_table(job: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    proc, reports = job
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    table = proc.stdout
    for part in ["lint", "contract", *(f"load {s}" for s in SCENARIOS), "docs"]:
        assert re.search(rf"^{re.escape(part)}\s+PASS\s+0\s", table, re.M), (part, table)
    assert table.rstrip().endswith("report: reports/index.html")
    assert re.search(r"^load nara-stream-sends .*TTFT p50 / p95 / p99 [0-9.]+ ms / ", table, re.M), table
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    assert_valid_summary("run", summary)
    assert summary["exit_code"] == 0 and len(summary["parts"]) == 2 + len(SCENARIOS) + 1
    # no target given: the embedded reference server, said first on the console and in summary.json
    assert table.splitlines()[0] == EMBEDDED_BANNER and summary["embedded"] is True
    ttft = next(p for p in summary["parts"] if p["name"] == "load nara-stream-sends")["headline"]
    # Numbers, not text; the embedded server's truth is a first delta at 100 ms, then one every 20 ms.
    assert 95 <= ttft["ttft_p50_ms"] <= 150 and 15 <= ttft["itl_p50_ms"] <= 30, ttft
    lint = next(p for p in summary["parts"] if p["name"] == "lint")["headline"]
    assert lint == {"specs_valid": 2, "specs": 2, "ruleset": "redocly recommended"}


def test_main_job_writes_every_report(job: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, reports = job
    expected = ["index.html", "summary.json", "lint/summary.json"]
    expected += [f"contract/{n}" for n in ("junit.xml", "summary.md", "report.html", "summary.json")]
    for scenario in SCENARIOS:
        names = ["locust.html", "locust_stats.csv", "locust_stats_history.csv", "summary.json", "summary.md"]
        names += ["report.html", "latency.png", "throughput.png", "in_flight.png", "latency_distribution.png"]
        names += ["ttft.png", "itl.png", "ttft_distribution.png"] if scenario in STREAMING else []
        expected += [f"load/{scenario}/{n}" for n in names]
    expected += [f"docs/{n}" for n in ("index.html", "nara.html", "navigable.html", "summary.json")]
    missing = [n for n in expected if not (reports / n).is_file() or (reports / n).stat().st_size == 0]
    assert missing == []
    assert not (reports / "load/nara-paginated-reads/ttft.png").exists()  # no empty plots
    assert not (reports / "load/nara-stream-sends/errors.png").exists()  # drawn only when there are errors


def test_index_links_and_images_resolve(job: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, reports = job
    parser = _Links()
    parser.feed((reports / "index.html").read_text(encoding="utf-8"))
    assert len(parser.hrefs) >= 30 and len(parser.images) >= 15
    broken = [h for h in parser.hrefs + parser.images if not (reports / h).is_file()]
    assert broken == []


@pytest.mark.browser
def test_index_opens_offline_with_every_plot(
    job: tuple[subprocess.CompletedProcess[str], Path], open_page: Any, screenshot: Any
) -> None:
    _, reports = job
    visit = open_page((reports / "index.html").as_uri())
    page = visit.page
    assert page.locator("header .badge").first.inner_text() == "PASS"
    assert page.locator("#parts tbody tr").count() == 2 + len(SCENARIOS) + 1
    widths = page.locator("img").evaluate_all("imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
    assert widths and all(w > 0 for w in widths), widths
    screenshot(visit, "reports-index")
    assert visit.left_the_machine() == []
    assert visit.errors == []
