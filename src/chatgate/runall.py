"""``chatgate run``: the main job. Lint, gate, a short load of every scenario, docs, one summary page.

Each part runs as its own ``chatgate`` subprocess, exactly as a user would run it, and reports back
through its exit code and the ``summary.json`` it writes; this module only orchestrates and then
renders ``reports/index.html`` and ``reports/summary.json`` from those summaries (the reporter is
``chatgate.report_index``). A part that cannot run is recorded with its exit code and one line, and
the job goes on with the next one; the job's exit code is the highest of its parts' codes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from chatgate.errors import EXIT_OK, EXIT_USAGE

__all__ = ["PartResult", "run_all", "run_command"]

# Scenario names of loadtests/ and the short run each gets in the main job.
SCENARIOS = ("nara-stream-sends", "nara-paginated-reads", "navigable-reads", "navigable-sends", "mixed")
# The main job's load runs use the open model at a fixed arrival rate against an embedded server that
# paces its streams like a chat model (first delta after 100 ms, then one every 20 ms): a defined load
# that leaves the generator idle most of the time, so its figures are valid on a 2-core machine and the
# TTFT/ITL headline can be read against the injected truth. A closed model with no think time against
# the instant reference server measures the generator instead (exit 4), which is not what this job is for.
SERVER_PACING = "--ttft-ms 100 --itl-ms 20"


@dataclass
class PartResult:
    """What one part of the job produced: its verdict, exit code, summary and where its reports are."""

    name: str
    kind: str  # lint | contract | load | docs
    exit_code: int
    seconds: float
    summary: dict[str, Any] = field(default_factory=dict)
    report_dir: Path | None = None
    message: str = ""  # the part's last stderr line when it failed to run

    @property
    def verdict(self) -> str:
        return {0: "PASS", 1: "FAIL", 2: "ERROR", 3: "UNREACHABLE", 4: "INVALID"}.get(self.exit_code, "ERROR")


def _run_part(
    name: str, kind: str, args: list[str], report_dir: Path | None, env: dict[str, str]
) -> PartResult:
    started = time.monotonic()
    click.echo(f"chatgate run: {name} ...", err=True)
    proc = subprocess.run(
        [sys.executable, "-m", "chatgate", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    seconds = time.monotonic() - started
    summary: dict[str, Any] = {}
    if report_dir is not None and (report_dir / "summary.json").exists():
        try:
            summary = json.loads((report_dir / "summary.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            summary = {}
    errors = [line for line in proc.stderr.splitlines() if line.startswith("chatgate: error:")]
    message = errors[-1].removeprefix("chatgate: error: ") if errors else ""
    result = PartResult(name, kind, proc.returncode, seconds, summary, report_dir, message)
    click.echo(f"chatgate run: {name}: {result.verdict} (exit {proc.returncode}, {seconds:.1f}s)", err=True)
    return result


def run_all(
    report_dir: Path, *, load_run_time: str, load_rate: float, server_pacing: str = SERVER_PACING
) -> list[PartResult]:
    """Run every part in order and write the index; returns the parts' results."""
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    parts: list[PartResult] = []
    lint_dir = report_dir / "lint"
    lint_dir.mkdir(parents=True, exist_ok=True)
    parts.append(
        _run_part("lint", "lint", ["lint", "--summary-json", str(lint_dir / "summary.json")], lint_dir, env)
    )
    contract_dir = report_dir / "contract"
    parts.append(
        _run_part(
            "contract",
            "contract",
            ["contract", "--api", "all", "--report-dir", str(contract_dir)],
            contract_dir,
            env,
        )
    )
    for scenario in SCENARIOS:
        out = report_dir / "load"
        args = [
            "load",
            "--scenario",
            scenario,
            "--run-time",
            load_run_time,
            "--arrival-rate",
            f"{load_rate:g}",
            "--report-dir",
            str(out),
            "--server-arg",
            server_pacing,
        ]
        parts.append(_run_part(f"load {scenario}", "load", args, out / scenario, env))
    docs_dir = report_dir / "docs"
    parts.append(_run_part("docs", "docs", ["docs", "--out", str(docs_dir)], docs_dir, env))
    from chatgate.report_index import write_index

    write_index(report_dir, parts)
    return parts


@click.command("run")
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Where every part writes its reports, and where index.html goes.",
)
@click.option("--load-run-time", default="10s", show_default=True, help="Run time of each load scenario.")
@click.option(
    "--load-rate",
    type=click.FloatRange(0, 500, min_open=True),
    default=20.0,
    show_default=True,
    help="Arrivals per second of each load scenario (open model).",
)
def run_command(report_dir: Path, load_run_time: str, load_rate: float) -> None:
    """The main job on the embedded reference server (or NARA_BASE_URL / NAVIGABLE_BASE_URL).

    Lints the specs, runs the gate on both APIs, a short load run of every scenario, builds the docs
    and writes REPORT_DIR/index.html. Exit code: the highest of its parts.
    """
    from chatgate.report_index import format_table

    parts = run_all(report_dir, load_run_time=load_run_time, load_rate=load_rate)
    click.echo(format_table(parts))
    click.echo(f"\nreport: {report_dir / 'index.html'}")
    code = max((p.exit_code for p in parts), default=EXIT_OK)
    if code not in range(0, 5):
        code = EXIT_USAGE
    raise SystemExit(code)
