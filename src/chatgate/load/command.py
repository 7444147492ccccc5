"""``chatgate load``: flags -> ``run_load`` -> ``write_load_reports`` -> echo -> exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from chatgate.artifacts import RunDir
from chatgate.errors import EXIT_USAGE, MeasurementInvalid, TargetError, UsageError
from chatgate.load.config import LOCUST_MASTER_PORT, SCENARIOS, SHAPES, LoadOptions, load_options
from chatgate.load.model import LoadResult
from chatgate.load.report import check_table, write_load_reports
from chatgate.load.runner import run_load
from chatgate.load.worker import run_worker
from chatgate.options import DURATION, deadline_options, parse_duration
from chatgate.resources import slo_file
from chatgate.targets import EMBEDDED_BANNER

__all__ = ["load", "slo_options"]


def _headline(result: LoadResult) -> str:
    """One line, every figure labelled with what it is (a stream's latency is the whole stream's)."""
    s = result.summary
    whole = "whole stream" if s.ttft.count else "request"
    line = (
        f"{s.scenario}: {s.requests} requests, {s.throughput_rps:.2f} req/s, "
        f"error rate {s.error_rate:.2%}, latency p95 ({whole}) {s.latency.p95:.1f} ms"
    )
    if s.ttft.count:
        line += f", TTFT p95 {s.ttft.p95:.1f} ms, ITL p99 {s.itl.p99:.1f} ms"
    if s.model.kind == "open":
        line += f"; offered {s.offered_rps or 0:.2f}/s, achieved {s.achieved_rps or 0:.2f}/s"
    return line


def _distributed(f: Any) -> Any:
    """The flags of a distributed run (Locust's own names and defaults, except a bounded wait)."""
    options = [
        click.option("--master", is_flag=True, help="Run the Locust master here; workers run elsewhere."),
        click.option("--expect-workers", type=int, help="Master: worker processes to wait for (1)."),
        click.option("--expect-workers-max-wait", default="120s", show_default=True, metavar=DURATION,
                     help="Master: give up (exit 3) when they have not all connected by then."),
        click.option("--master-bind-host", default="*", show_default=True, help="Master: interface."),
        click.option("--master-bind-port", type=int, default=LOCUST_MASTER_PORT, show_default=True),
        click.option("--worker", is_flag=True, help="Run worker processes (--workers N) for a master."),
        click.option("--master-host", help="Worker: the machine running `chatgate load --master`."),
        click.option("--master-port", type=int, default=LOCUST_MASTER_PORT, show_default=True),
    ]  # fmt: skip
    for option in reversed(options):
        f = option(f)
    return f


def _shipped_slo() -> str:
    try:
        return str(slo_file())
    except UsageError:  # the Locust files' folder is missing: the command says so when it runs
        return "loadtests/slo.toml"


def slo_options(f: Any) -> Any:
    """``--slo FILE`` and ``--no-slo`` (``load`` and ``capacity``); the help names the shipped file."""
    f = click.option(
        "--no-slo", is_flag=True, help="Judge no SLO: measure only (a run that would judge none is exit 2)."
    )(f)
    return click.option(
        "--slo",
        "slo_file",
        type=click.Path(path_type=Path),
        help=f'SLO file, layered key by key over the shipped one ({_shipped_slo()}); "off" drops a '
        "threshold. Every key: docs/slo-reference.md.",
    )(f)


def _work(options: LoadOptions) -> None:
    """``--worker``: this machine's part; its exit code says how it went (the master's is the verdict)."""
    result = run_worker(options)
    report = json.dumps(result.to_json(), indent=2) + "\n"
    RunDir(result.report_dir).publish({"worker.json": report}, secrets=result.secrets)
    if result.embedded:
        click.echo(EMBEDDED_BANNER)
    if result.exit_code == EXIT_USAGE:
        raise UsageError(result.message)
    if result.exit_code:
        raise TargetError(result.message)
    click.echo(result.message)
    raise SystemExit(0)


def _echo(result: LoadResult) -> None:
    """The run on the console: the embedded target first, the headline, every check, the notes."""
    if result.summary.embedded:
        click.echo(EMBEDDED_BANNER)
    click.echo(_headline(result))
    click.echo(check_table(result))
    for note in result.verdict.notes:
        click.echo(f"note: {note}")
    click.echo(f"reports: {result.report_dir}")


def _seconds_or_zero(text: str, option: str) -> float:
    return 0.0 if text.strip() in ("0", "0s") else parse_duration(text, option)


@click.command("load")
@click.option(
    "--scenario", type=click.Choice(list(SCENARIOS)), default="nara-stream-sends", show_default=True
)
@click.option("--users", type=int, help="Closed model: concurrent users.")
@click.option("--spawn-rate", type=float, help="Closed model: users started per second.")
@click.option("--arrival-rate", type=float, help="Open model: arrivals per second.")
@click.option("--poisson", is_flag=True, help="Open model: Poisson arrivals instead of constant.")
@click.option("--max-in-flight", type=int, help="Open model: arrivals in flight at once, all workers (2000).")
@click.option("--shape", type=click.Choice(SHAPES), help="Closed model: load shape (peak --users).")
@click.option(
    "--run-time", default="30s", show_default=True, metavar=DURATION, help="How long arrivals are issued."
)
@click.option(
    "--warmup", default="0s", show_default=True, metavar=DURATION, help="Measured apart, not judged."
)
@click.option(
    "--stop-timeout",
    default="30s",
    show_default=True,
    metavar=DURATION,
    help="Drain in-flight requests this long.",
)
@click.option(
    "--base-url",
    help="Target (wins over the *_BASE_URL variables). With no target given at all the embedded reference "
    "server is started; an empty one is exit 2.",
)
@slo_options
@click.option("--workers", type=int, default=0, help="Local Locust worker processes (0: one process).")
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports/load"),
    show_default=True,
    help="Reports go to DIR/<scenario>/.",
)
@click.option("--validate-sample", type=float, default=1.0, show_default=True, help="Share validated.")
@click.option("--max-requests", type=int, help="Stop issuing after this many requests (production runs).")
@click.option("--abort-on-error-rate", type=float, help="Stop early (exit 1) past this error rate.")
@deadline_options
@_distributed
@click.option("--ui", is_flag=True, help="Run with Locust's web UI on 127.0.0.1 (autostart, autoquit).")
@click.option("--server-arg", "server_args", multiple=True, help="Extra flags for the embedded server.")
def load(
    run_time: str, warmup: str, stop_timeout: str, request_timeout: float | None,
    stream_idle_timeout: float | None, stream_timeout: float | None, expect_workers_max_wait: str,
    **given: Any,
) -> None:  # fmt: skip
    """Run a Locust load scenario and judge it against SLOs.

    Closed model with --users/--spawn-rate; open model with --arrival-rate: each arrival is sent at its
    intended time however many are in flight (bounded by --max-in-flight), and latency is also measured
    from that time. Without --base-url (or NARA_BASE_URL / NAVIGABLE_BASE_URL) the embedded reference
    server is started; --server-arg passes flags to it. Keys come from NARA_API_KEY / NAVIGABLE_API_KEY
    (and NARA_USER_ID); they are never printed.

    Many machines: `--master --expect-workers N` here, `--worker --master-host H` with the same
    scenario flags on each load machine. The master writes the report and gives the verdict (a worker
    lost mid-run is reported; exit 4 when the load it took with it passes the budget); each worker
    loads the target of its own --base-url/environment, with its own keys.

    SLOs: the shipped ones, --slo FILE layered over them key by key; the table lists each and its source.

    Exit codes: 0 SLOs met, 1 SLO breached (or stopped by --abort-on-error-rate), 2 usage or bad SLO
    file (or a run that would judge no SLO without --no-slo, or a target given empty), 3 target
    unreachable or key rejected (or workers missing), 4 measurement invalid (the generator, or its
    in-flight cap, was the bottleneck, or workers were lost; the reason names the worker). A --worker
    exits 0 when its part ran to the master's end, 2 or 3 otherwise.

    \b
    Example:
        chatgate load --scenario nara-stream-sends --arrival-rate 20 --run-time 1m \\
            --server-arg "--ttft-ms 200 --itl-ms 20"
    """
    server_args: tuple[str, ...] = given.pop("server_args")
    options = load_options(
        run_time_s=parse_duration(run_time, "--run-time"),
        warmup_s=_seconds_or_zero(warmup, "--warmup"),
        stop_timeout_s=_seconds_or_zero(stop_timeout, "--stop-timeout"),
        request_timeout_s=request_timeout,
        stream_idle_timeout_s=stream_idle_timeout,
        stream_timeout_s=stream_timeout,
        server_args=tuple(server_args),
        expect_workers_max_wait_s=parse_duration(expect_workers_max_wait, "--expect-workers-max-wait"),
        **given,
    )
    if options.worker:
        _work(options)
    result = run_load(options)
    write_load_reports(result, RunDir(result.report_dir))
    _echo(result)
    if result.exit_code == 4:
        raise MeasurementInvalid(f"measurement invalid: {result.verdict.invalid_reason}")
    if result.exit_code:
        breached = (
            ", ".join(dict.fromkeys(c.key for c in result.verdict.breaches)) or result.summary.stopped_early
        )
        click.echo(f"SLO breached: {breached}", err=True)
    raise SystemExit(result.exit_code)
