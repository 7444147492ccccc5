"""What a load run was asked to do (``LoadOptions``, checked once) and how it will run (``RunPlan``).

Deadlines come, in this order, from the flags (``--request-timeout``...), the scenario's table in the
SLO file (``request_timeout``...), the specs (the stream deadlines: the ``liveness`` of the streams the
scenario's APIs state), then :class:`chatgate.options.Deadlines`' defaults.

:func:`require_scenario` holds the scenario's specs to what it needs before anything starts: each spec
valid (its ``x-chatgate-*`` extensions included) and stating the operations the scenario drives
(:data:`SCENARIO_NEEDS`, found by their rules: :mod:`chatgate.load.operations`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatgate.apis import ApiName
from chatgate.contract_model import require_models
from chatgate.errors import UsageError
from chatgate.load.operations import liveness, require
from chatgate.load.slo import SloFile
from chatgate.options import Deadlines

__all__ = [
    "SCENARIOS",
    "SCENARIO_APIS",
    "SCENARIO_NEEDS",
    "SCENARIO_REQUESTS",
    "SHAPES",
    "LoadOptions",
    "RunPlan",
    "load_options",
    "plan_run",
    "require_scenario",
    "scenario_deadlines",
]

SCENARIOS = {
    "nara-stream-sends": "nara_stream_sends.py",
    "nara-paginated-reads": "nara_paginated_reads.py",
    "navigable-reads": "navigable_reads.py",
    "navigable-sends": "navigable_sends.py",
    "mixed": "mixed.py",
}
SCENARIO_APIS: dict[str, tuple[ApiName, ...]] = {
    "nara-stream-sends": ("nara",),
    "nara-paginated-reads": ("nara",),
    "navigable-reads": ("navigable",),
    "navigable-sends": ("navigable",),
    "mixed": ("nara", "navigable"),
}
# What each scenario drives, by API and by the rule its operations carry (chatgate.load.operations).
SCENARIO_NEEDS: dict[str, tuple[tuple[ApiName, str], ...]] = {
    "nara-stream-sends": (("nara", "streamed"),),
    "nara-paginated-reads": (("nara", "paginated"),),
    "navigable-reads": (("navigable", "windowed"),),
    "navigable-sends": (("navigable", "read-back"),),
    "mixed": (
        ("nara", "streamed"),
        ("nara", "paginated"),
        ("navigable", "windowed"),
        ("navigable", "read-back"),
    ),
}
# The request names each scenario records (its locustfile's ``gen.outcome(name)``): what a
# ``[scenario.<s>.request."<name>"]`` table of the SLO file may name. ``nara.walk`` is a walk that broke
# (pages that overlap or skip), ``navigable.visibility`` a sent message never read back.
SCENARIO_REQUESTS: dict[str, tuple[str, ...]] = {
    "nara-stream-sends": ("nara.stream",),
    "nara-paginated-reads": ("nara.page", "nara.walk"),
    "navigable-reads": ("navigable.read",),
    "navigable-sends": ("navigable.send",),
    "mixed": (
        "nara.stream",
        "nara.page",
        "nara.walk",
        "navigable.read",
        "navigable.send",
        "navigable.visibility",
    ),
}
SHAPES = ("smoke", "ramp", "spike", "soak")
DEFAULT_USERS = 10
DEFAULT_MAX_IN_FLIGHT = 2000  # enough for 1,000 open streams with room to spare
DEFAULT_STOP_TIMEOUT_S = 30.0
LOCUST_MASTER_PORT = 5557  # Locust's default --master-port / --master-bind-port
DEFAULT_EXPECT_WORKERS_MAX_WAIT_S = 120.0  # Locust waits forever by default; chatgate never does


@dataclass(frozen=True)
class LoadOptions:
    """A load run's options, as given (flags or API); ``load_options`` builds and checks them."""

    scenario: str = "nara-stream-sends"
    users: int | None = None
    spawn_rate: float | None = None
    arrival_rate: float | None = None
    poisson: bool = False
    max_in_flight: int | None = None
    shape: str | None = None
    run_time_s: float = 30.0
    warmup_s: float = 0.0
    stop_timeout_s: float = DEFAULT_STOP_TIMEOUT_S
    base_url: str | None = None
    slo_file: Path | None = None
    no_slo: bool = False  # judge no threshold: measure only
    workers: int = 0
    report_dir: Path = Path("reports/load")
    validate_sample: float = 1.0
    ui: bool = False
    server_args: tuple[str, ...] = ()
    request_timeout_s: float | None = None
    stream_idle_timeout_s: float | None = None
    stream_timeout_s: float | None = None
    max_requests: int | None = None
    abort_on_error_rate: float | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    generator_prefix: tuple[str, ...] = ()
    # Many machines (Locust's names): this process is the master, or runs --workers worker processes
    master: bool = False
    expect_workers: int | None = None
    expect_workers_max_wait_s: float = DEFAULT_EXPECT_WORKERS_MAX_WAIT_S
    master_bind_host: str = "*"
    master_bind_port: int = LOCUST_MASTER_PORT
    worker: bool = False
    master_host: str | None = None
    master_port: int = LOCUST_MASTER_PORT

    @property
    def open_model(self) -> bool:
        return self.arrival_rate is not None

    @property
    def processes(self) -> int:
        """The generator processes the load is split across: the master's expected workers, the local
        worker processes, or the one local process."""
        if self.master:
            return self.expect_workers or 1
        return max(1, self.workers)


def _check(o: LoadOptions) -> None:
    if o.scenario not in SCENARIOS:
        raise UsageError(f"unknown scenario {o.scenario!r} (known: {', '.join(SCENARIOS)})")
    positive = {"--users": o.users, "--spawn-rate": o.spawn_rate, "--arrival-rate": o.arrival_rate,
                "--max-in-flight": o.max_in_flight, "--max-requests": o.max_requests}  # fmt: skip
    for flag, value in positive.items():
        if value is not None and value <= 0:
            raise UsageError(f"{flag} must be positive")
    if o.open_model and (o.users is not None or o.spawn_rate is not None or o.shape is not None):
        raise UsageError(
            "--users, --spawn-rate and --shape belong to the closed model; with --arrival-rate, "
            "bound what is in flight with --max-in-flight"
        )
    if not o.open_model and (o.max_in_flight is not None or o.poisson):
        raise UsageError("--max-in-flight and --poisson belong to the open model (--arrival-rate)")
    if not 0 <= o.workers <= 64:
        raise UsageError("--workers must be between 0 and 64")
    if o.shape is not None and o.shape not in SHAPES:
        raise UsageError(f"unknown shape {o.shape!r} (known: {', '.join(SHAPES)})")
    if not 0.0 <= o.validate_sample <= 1.0:
        raise UsageError("--validate-sample must be between 0 and 1")
    if o.abort_on_error_rate is not None and not 0.0 <= o.abort_on_error_rate < 1.0:
        raise UsageError("--abort-on-error-rate must be at least 0 and below 1")
    if o.run_time_s <= 0 or o.warmup_s < 0 or o.stop_timeout_s < 0:
        raise UsageError("--run-time must be positive, --warmup and --stop-timeout not negative")
    if o.warmup_s >= o.run_time_s:
        raise UsageError(f"--warmup ({o.warmup_s:g}s) must be shorter than --run-time ({o.run_time_s:g}s)")
    _check_distributed(o)


def _check_distributed(o: LoadOptions) -> None:
    """``--master`` / ``--worker`` and the Locust flags that belong to each side."""
    if o.master and o.worker:
        raise UsageError("--master and --worker exclude each other (one side per process)")
    master_only = {"--expect-workers": o.expect_workers is not None,
                   "--master-bind-host": o.master_bind_host != "*",
                   "--master-bind-port": o.master_bind_port != LOCUST_MASTER_PORT}  # fmt: skip
    worker_only = {
        "--master-host": o.master_host is not None,
        "--master-port": o.master_port != LOCUST_MASTER_PORT,
    }
    for flag, given in master_only.items():
        if given and not o.master:
            raise UsageError(f"{flag} belongs to --master")
    for flag, given in worker_only.items():
        if given and not o.worker:
            raise UsageError(f"{flag} belongs to --worker")
    if o.expect_workers is not None and not 1 <= o.expect_workers <= 1024:
        raise UsageError("--expect-workers must be between 1 and 1024")
    if o.expect_workers_max_wait_s <= 0:
        raise UsageError("--expect-workers-max-wait must be positive")
    for flag, port in (("--master-bind-port", o.master_bind_port), ("--master-port", o.master_port)):
        if not 1 <= port <= 65535:
            raise UsageError(f"{flag} must be a TCP port (1-65535)")
    if o.master and o.workers:
        raise UsageError(
            "--workers starts local worker processes; with --master the workers are `chatgate load "
            "--worker` processes, counted by --expect-workers"
        )
    if o.worker and not (o.master_host or "").strip():
        raise UsageError("--worker needs --master-host (the machine running `chatgate load --master`)")
    if o.worker and o.ui:
        raise UsageError("--ui belongs to the master (a worker has no web UI)")


def load_options(scenario: str = "nara-stream-sends", **given: Any) -> LoadOptions:
    """``LoadOptions(scenario, **given)``, checked (UsageError, exit 2, on a bad value)."""
    try:
        options = LoadOptions(scenario=scenario, **given)
    except TypeError as exc:
        raise UsageError(str(exc)) from None
    _check(options)
    return options


@dataclass(frozen=True)
class RunPlan:
    """How the run goes: Locust's users, the deadlines, the intervals, the SLO window."""

    users: int
    spawn_rate: float
    deadlines: Deadlines
    interval_s: float
    slo_window_s: float
    message_lengths: tuple[tuple[int, float], ...]
    max_in_flight: int | None


def require_scenario(scenario: str) -> None:
    """SpecError (exit 2, FILE:LINE) when a spec the scenario uses is unusable (invalid, a bad
    ``x-chatgate-*`` extension) or states none of the operations the scenario drives."""
    require_models(SCENARIO_APIS[scenario])
    require(SCENARIO_NEEDS[scenario], scenario)


def scenario_deadlines(scenario: str) -> Deadlines:
    """The deadlines a scenario runs with when neither flag nor SLO key sets them: its specs' stream
    ``liveness``, else :class:`~chatgate.options.Deadlines`' defaults."""
    return liveness(SCENARIO_APIS[scenario])


def _deadline(flag: float | None, table: Mapping[str, float], key: str, default: float) -> float:
    return flag if flag is not None else table.get(key, default)


def plan_run(o: LoadOptions, slo: SloFile) -> RunPlan:
    table = slo.scenario(o.scenario)
    d = scenario_deadlines(o.scenario)
    deadlines = Deadlines(
        request_s=_deadline(o.request_timeout_s, table.deadlines, "request_timeout", d.request_s),
        stream_idle_s=_deadline(
            o.stream_idle_timeout_s, table.deadlines, "stream_idle_timeout", d.stream_idle_s
        ),
        stream_s=_deadline(o.stream_timeout_s, table.deadlines, "stream_timeout", d.stream_s),
    )
    processes = o.processes
    users = processes if o.open_model else (o.users or DEFAULT_USERS)
    return RunPlan(
        users=users,
        spawn_rate=float(processes) if o.open_model else (o.spawn_rate or float(users)),
        deadlines=deadlines,
        interval_s=float(max(1, round(o.run_time_s / 600.0))),
        slo_window_s=table.slo_window_s,
        message_lengths=tuple(table.message_lengths),
        max_in_flight=(o.max_in_flight or DEFAULT_MAX_IN_FLIGHT) if o.open_model else None,
    )
