"""``chatgate load``: click wiring around ``chatgate.load.runner.run_load``."""

from __future__ import annotations

from pathlib import Path

import click

from chatgate.errors import MeasurementInvalid
from chatgate.load.report import check_table
from chatgate.load.runner import SCENARIOS, SHAPES, run_load

__all__ = ["load"]


@click.command("load")
@click.option(
    "--scenario", type=click.Choice(list(SCENARIOS)), default="nara-stream-sends", show_default=True
)
@click.option("--users", type=click.IntRange(min=1), help="Closed model: concurrent users (open: pool size).")
@click.option("--spawn-rate", type=click.FloatRange(min=0, min_open=True), help="Users started per second.")
@click.option("--arrival-rate", type=click.FloatRange(min=0, min_open=True), help="Open model: requests/s.")
@click.option("--poisson", is_flag=True, help="Open model: Poisson arrivals instead of constant.")
@click.option("--shape", type=click.Choice(SHAPES), help="Load shape (peak = --users, length = --run-time).")
@click.option("--run-time", default="30s", show_default=True, help="e.g. 30s, 2m, 1h30m")
@click.option("--base-url", help="Target; without it the embedded reference server is started.")
@click.option(
    "--slo", "slo_file", type=click.Path(path_type=Path), help="SLO file (default loadtests/slo.toml)."
)
@click.option(
    "--workers", type=click.IntRange(min=0, max=64), default=0, help="Local Locust worker processes."
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports/load"),
    show_default=True,
    help="Reports go to DIR/<scenario>/.",
)
@click.option(
    "--validate-sample",
    type=click.FloatRange(0, 1),
    default=1.0,
    show_default=True,
    help="Share of responses validated against the spec's schemas.",
)
@click.option("--ui", is_flag=True, help="Run with Locust's web UI on 127.0.0.1 (autostart, autoquit).")
@click.option("--server-arg", "server_args", multiple=True, help="Extra flag for the embedded server.")
def load(
    scenario: str,
    users: int | None,
    spawn_rate: float | None,
    arrival_rate: float | None,
    poisson: bool,
    shape: str | None,
    run_time: str,
    base_url: str | None,
    slo_file: Path | None,
    workers: int,
    report_dir: Path,
    validate_sample: float,
    ui: bool,
    server_args: tuple[str, ...],
) -> None:
    """Run a Locust load scenario and judge it against SLOs.

    Closed model with --users/--spawn-rate, open model with --arrival-rate (latency also measured
    from each request's intended start). Without --base-url (or NARA_BASE_URL / NAVIGABLE_BASE_URL)
    the embedded reference server is started; --server-arg passes flags to it. Keys come from
    NARA_API_KEY / NAVIGABLE_API_KEY (and NARA_USER_ID); they are never printed.

    Exit codes: 0 SLOs met, 1 SLO breached, 2 usage or bad SLO file, 3 target unreachable or key
    rejected, 4 measurement invalid (the generator was the bottleneck).

    \b
    Example:
        chatgate load --scenario nara-stream-sends --arrival-rate 20 --run-time 1m \\
            --server-arg "--ttft-ms 200 --itl-ms 20"
    """
    if arrival_rate is not None and spawn_rate is not None:
        raise click.UsageError("--spawn-rate belongs to the closed model; drop it with --arrival-rate")
    result = run_load(
        scenario,
        users=users,
        spawn_rate=spawn_rate,
        arrival_rate=arrival_rate,
        poisson=poisson,
        run_time=run_time,
        base_url=base_url,
        slo_file=slo_file,
        workers=workers,
        report_dir=report_dir,
        ui=ui,
        shape=shape,
        validate_sample=validate_sample,
        server_args=[a for arg in server_args for a in arg.split()],
    )
    s = result.summary
    click.echo(
        f"{scenario}: {s['requests']} requests, {s['throughput_rps']:.2f} req/s, "
        f"error rate {s['error_rate']:.2%}, p95 {s['latency']['p95']:.1f} ms"
        + (
            f", TTFT p50 {s['ttft']['p50']:.1f} ms, ITL p50 {s['itl']['p50']:.2f} ms"
            if s["ttft"]["count"]
            else ""
        )
    )
    click.echo(check_table(result))
    click.echo(f"reports: {result.report_dir}")
    if result.exit_code == 4:
        raise MeasurementInvalid(f"measurement invalid: {result.invalid_reason}")
    if result.exit_code:
        click.echo(f"SLO breached: {', '.join(c.key for c in result.breaches)}", err=True)
    raise SystemExit(result.exit_code)
