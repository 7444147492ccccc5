"""Run every part of the main job as a ``chatgate`` subprocess; return a ``RunResult``.

Each part reports back through its exit code, the ``summary.json`` it writes and its report files;
a part that cannot run is recorded with its exit code and one line, and the job goes on with the next.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any

from chatgate.load.config import SCENARIOS
from chatgate.load.series import PLOT_ORDER
from chatgate.resources import python_command
from chatgate.run.model import PartResult, RunResult

__all__ = ["SERVER_PACING", "run_all"]

# Every scenario of loadtests/ (chatgate.load.config.SCENARIOS) gets a short run in the main job.
# The main job's load runs use the open model at a fixed arrival rate against an embedded server that
# paces its replies like a chat model (first delta after 100 ms, then one every 20 ms): a defined load
# that leaves the generator idle most of the time, so its figures are valid on a 2-core machine and the
# TTFT/ITL headline can be read against the injected truth. A closed model with no think time against
# the instant reference server measures the generator instead (exit 4), which is not what this job is for.
SERVER_PACING = "--ttft-ms 100 --itl-ms 20"
_REPORT_SUFFIXES = {".html", ".md", ".json", ".xml", ".csv"}

Progress = Callable[[str], None]


def _read_summary(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _files(part_dir: Path, root: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The part's report files and plots (over time; the distributions are on the part's own page),
    relative to ``root``."""
    if not part_dir.is_dir():
        return (), ()
    found = sorted(p for p in part_dir.rglob("*") if p.is_file())
    reports = tuple(p.relative_to(root).as_posix() for p in found if p.suffix in _REPORT_SUFFIXES)
    plots = tuple(
        p.relative_to(root).as_posix()
        for p in sorted(found, key=_reading_order)
        if p.parent == part_dir and p.suffix == ".png" and not p.stem.endswith("_distribution")
    )
    return reports, plots


def _reading_order(path: Path) -> tuple[int, str]:
    """A load run's plots in the order its page shows them (the SLO figures over time first)."""
    return (PLOT_ORDER.index(path.stem) if path.stem in PLOT_ORDER else len(PLOT_ORDER), path.name)


def _run_part(
    name: str, kind: str, args: list[str], part_dir: Path, root: Path, env: dict[str, str], progress: Progress
) -> PartResult:
    started = time.monotonic()
    progress(f"chatgate run: {name} ...")
    proc = subprocess.run(
        [*python_command(), "-m", "chatgate", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    seconds = time.monotonic() - started
    errors = [line for line in proc.stderr.splitlines() if line.startswith("chatgate: error:")]
    message = errors[-1].removeprefix("chatgate: error: ") if errors else ""
    summary = MappingProxyType(_read_summary(part_dir / "summary.json"))
    reports, plots = _files(part_dir, root)
    part = PartResult(name, kind, proc.returncode, seconds, summary, reports, plots, message)
    progress(f"chatgate run: {name}: {part.verdict} (exit {proc.returncode}, {seconds:.1f}s)")
    return part


def _load_args(scenario: str, out: Path, run_time: str, rate: float, pacing: str) -> list[str]:
    return [
        "load",
        "--scenario",
        scenario,
        "--run-time",
        run_time,
        "--arrival-rate",
        f"{rate:g}",
        "--report-dir",
        str(out),
        "--server-arg",
        pacing,
    ]


def run_all(
    root: Path,
    *,
    load_run_time: str,
    load_rate: float,
    server_pacing: str = SERVER_PACING,
    progress: Progress = lambda line: None,
    min_coverage: str | None = None,
) -> RunResult:
    """Run every part in order, each writing its reports under ``root``; returns their results.
    ``min_coverage``: the gate's ``--min-coverage`` floors, passed through."""
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    lint, contract = root / "lint", root / "contract"
    floors = ["--min-coverage", min_coverage] if min_coverage else []
    plan: list[tuple[str, str, list[str], Path]] = [
        ("lint", "lint", ["lint", "--summary-json", str(lint / "summary.json")], lint),
        (
            "contract",
            "contract",
            ["contract", "--api", "all", "--report-dir", str(contract), *floors],
            contract,
        ),
    ]
    for scenario in SCENARIOS:
        args = _load_args(scenario, root / "load", load_run_time, load_rate, server_pacing)
        plan.append((f"load {scenario}", "load", args, root / "load" / scenario))
    plan.append(("docs", "docs", ["docs", "--out", str(root / "docs")], root / "docs"))
    return RunResult(tuple(_run_part(*step, root, env, progress) for step in plan))
