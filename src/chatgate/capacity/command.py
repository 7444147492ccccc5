"""``chatgate capacity``: flags -> ``run_capacity`` -> ``write_capacity_reports`` -> echo -> exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from chatgate.artifacts import RunDir
from chatgate.capacity.model import CapacityOptions
from chatgate.capacity.report import headline, step_table, write_capacity_reports
from chatgate.capacity.runner import run_capacity
from chatgate.errors import MeasurementInvalid, TargetError, UsageError
from chatgate.load.command import slo_options
from chatgate.load.config import SCENARIOS
from chatgate.options import DURATION, deadline_options, parse_duration, parse_share
from chatgate.targets import EMBEDDED_BANNER

__all__ = ["capacity"]


def _seconds(text: str | None, option: str) -> float | None:
    if text is None or text.strip() == "auto":
        return None
    return 0.0 if text.strip() in ("0", "0s") else parse_duration(text, option)


@click.command("capacity")
@click.option(
    "--scenario", type=click.Choice(list(SCENARIOS)), default="nara-stream-sends", show_default=True
)
@click.option(
    "--base-url",
    help="Target (wins over the *_BASE_URL variables). With no target given at all one embedded reference "
    "server serves the whole search; an empty one is exit 2.",
)
@slo_options
@click.option("--min-rps", type=float, help="Exit 1 when the capacity is below this rate.")
@click.option(
    "--max-time", default="10m", show_default=True, metavar=DURATION, help="Budget of the whole search."
)
@click.option("--start-rps", type=float, help="First rate tried (default: half --min-rps, else 1).")
@click.option("--max-rps", type=float, help="Never offer more than this (the capacity is then at least it).")
@click.option(
    "--resolution", default="10%", show_default=True, help="Stop when pass and fail are this close."
)
@click.option(
    "--step-time",
    default="auto",
    show_default=True,
    metavar=f"{DURATION}|auto",
    help="Judged part of each step (auto: from the SLOs).",
)
@click.option(
    "--warmup",
    default="auto",
    show_default=True,
    metavar=f"{DURATION}|auto",
    help="Before each step's judged part (auto: the longest request).",
)
@click.option("--poisson", is_flag=True, help="Poisson arrivals instead of constant.")
@click.option(
    "--workers", type=int, default=0, help="Local Locust worker processes per step (0: one process)."
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports/capacity"),
    show_default=True,
    help="Reports go to DIR/<scenario>/, each step's load run under its steps/.",
)
@deadline_options
@click.option("--server-arg", "server_args", multiple=True, help="Extra flags for the embedded server.")
def capacity(
    max_time: str, resolution: str, step_time: str, warmup: str, request_timeout: float | None,
    stream_idle_timeout: float | None, stream_timeout: float | None, **given: Any,
) -> None:  # fmt: skip
    """Search the highest arrival rate the target sustains within the scenario's SLOs.

    Open-model steps at constant (or --poisson) arrival rates, each judged by the scenario's SLOs with
    its warm-up excluded: the rate doubles until a step fails, then the search bisects between the
    highest rate that passed and the lowest that failed until they are within --resolution, or until
    --max-time. Each step runs long enough for a queue at that resolution to breach the latency SLOs
    (docs/capacity-compare.md). 429 answers count against a step and are reported apart.

    Exit codes: 0 capacity found (and at least --min-rps), 1 below --min-rps (or no rate passed),
    2 usage or bad SLO file (or steps that would be judged by no SLO, without --no-slo), 3 target
    cannot be tested (unreachable, or the knee not bracketed within --max-time: complete false),
    4 the generator, not the target, limited a step (twice).

    \b
    Example:
        chatgate capacity --scenario nara-stream-sends --min-rps 5 --max-time 10m \\
            --server-arg "--max-concurrent-streams 10 --ttft-ms 100 --itl-ms 50 --reply-tokens 19"
    """
    options = CapacityOptions(
        max_time_s=parse_duration(max_time, "--max-time"),
        resolution=parse_share(resolution, "--resolution"),
        step_time_s=_seconds(step_time, "--step-time"),
        warmup_s=_seconds(warmup, "--warmup"),
        request_timeout_s=request_timeout,
        stream_idle_timeout_s=stream_idle_timeout,
        stream_timeout_s=stream_timeout,
        server_args=tuple(given.pop("server_args")),
        **given,
    )
    result = run_capacity(options)
    write_capacity_reports(result, RunDir(result.report_dir).ensure())
    if result.embedded:
        click.echo(EMBEDDED_BANNER)
    click.echo(step_table(result))
    click.echo(headline(result))
    click.echo(f"reports: {result.report_dir}")
    if result.exit_code == 4:
        raise MeasurementInvalid(f"measurement invalid: {result.reason}")
    if result.exit_code == 3:
        raise TargetError(f"incomplete: {result.reason}; see {result.report_dir}")
    if result.exit_code == 2:
        raise UsageError(f"incomplete: {result.reason}; see {result.report_dir}")
    raise SystemExit(result.exit_code)
