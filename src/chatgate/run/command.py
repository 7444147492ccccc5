"""``chatgate run``: parse flags, run every part, publish the index, print the table, exit code."""

from __future__ import annotations

from pathlib import Path

import click

from chatgate.apis import API_NAMES
from chatgate.artifacts import RunDir
from chatgate.docs.build import generated_at
from chatgate.gate.coverage import parse_floors
from chatgate.options import DURATION, parse_duration
from chatgate.run.report import publish_index, terminal_table
from chatgate.run.runner import run_all
from chatgate.specs import require_valid_specs
from chatgate.targets import EMBEDDED_BANNER, resolve_targets

__all__ = ["run_command"]


@click.command("run")
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Where every part writes its reports, and where index.html goes.",
)
@click.option(
    "--load-run-time",
    default="10s",
    show_default=True,
    metavar=DURATION,
    help="Run time of each load scenario.",
)
@click.option(
    "--load-rate",
    type=click.FloatRange(0, 500, min_open=True),
    default=20.0,
    show_default=True,
    help="Arrivals per second of each load scenario (open model).",
)
@click.option(
    "--min-coverage",
    metavar="KIND=FLOOR,...",
    help="The gate's spec coverage floors (chatgate contract --min-coverage), e.g. responses=80%,rules=100%.",
)
def run_command(report_dir: Path, load_run_time: str, load_rate: float, min_coverage: str | None) -> None:
    """The main job on the embedded reference server (or NARA_BASE_URL / NAVIGABLE_BASE_URL, both).

    Lints the specs, runs the gate on both APIs, a short load run of every scenario, builds the docs
    and writes REPORT_DIR/index.html (with the gate's spec coverage). Exit code: the highest of its parts.
    """
    parse_duration(load_run_time, "--load-run-time")  # bad input is exit 2 before anything runs
    if min_coverage:
        parse_floors(min_coverage)
    resolve_targets(list(API_NAMES), None)  # so is a target given empty, or for one API only
    run_dir = RunDir(report_dir).ensure()
    require_valid_specs()
    result = run_all(
        report_dir,
        load_run_time=load_run_time,
        load_rate=load_rate,
        progress=lambda line: click.echo(line, err=True),
        min_coverage=min_coverage,
    )
    publish_index(result, run_dir, generated_at())
    if result.embedded:
        click.echo(EMBEDDED_BANNER)
    click.echo(terminal_table(result))
    click.echo(f"\nreport: {report_dir / 'index.html'}")
    raise SystemExit(result.exit_code)
