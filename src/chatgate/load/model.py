"""The load run's result as data: what was measured (``LoadSummary``), how it was judged (``Check``,
``Verdict``) and both together (``LoadResult``). Immutable; ``summary.json`` is rendered from it
(``chatgate.load.report``), never assembled by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from chatgate.metrics import Histogram

__all__ = [
    "SCHEMA_VERSION",
    "Check",
    "Goodput",
    "LoadResult",
    "LoadSummary",
    "LostWorker",
    "ModelInfo",
    "RequestFigures",
    "Stats",
    "StreamCounts",
    "Tokens",
    "Verdict",
    "WindowRow",
    "WorkerInfo",
]

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Stats:
    """A latency distribution in milliseconds."""

    count: int = 0
    p50: float = 0.0
    p90: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    max: float = 0.0
    mean: float = 0.0

    @classmethod
    def of(cls, h: Histogram | None) -> Stats:
        if h is None or not h.count:
            return cls()
        s = h.summary()
        return cls(int(s["count"]), s["p50"], s["p90"], s["p95"], s["p99"], s["max"], s["mean"])


@dataclass(frozen=True)
class ModelInfo:
    """How the load was offered."""

    kind: str  # open | closed
    users: int | None
    spawn_rate: float | None
    arrival_rate: float | None
    poisson: bool
    shape: str | None
    workers: int
    validate_sample: float
    max_in_flight: int | None
    warmup_s: float
    stop_timeout_s: float
    max_requests: int | None
    abort_on_error_rate: float | None
    remote_workers: bool = False  # the workers were `chatgate load --worker` processes (--master)


@dataclass(frozen=True)
class StreamCounts:
    """Counters that prove every event received was timed and validated."""

    events: int = 0
    deltas: int = 0
    deltas_timed: int = 0
    events_validated: int = 0
    comments: int = 0
    buffered: int = 0
    events_per_second: float = 0.0


@dataclass(frozen=True)
class LostWorker:
    """A worker that left a distributed run before its stop (``chatgate.load.lost`` computes it).

    Times are seconds into the run (from its start). ``cause``: ``no_heartbeat`` (Locust heard nothing
    for about 3 s: the machine, process or network died), ``quit`` (the worker quit early), ``refused``
    (it could not run the master's plan; ``reason`` says why). ``share``: the part of the run's offered
    load not delivered because of it (0 to 1), ``not_delivered``: in the open model, its arrivals that
    were never issued after its last data, plus those in flight then whose outcome never arrived.
    """

    cause: str
    reason: str
    lost_at_s: float
    last_data_s: float | None
    rejoined_at_s: float | None
    restored_at_s: float | None
    share: float
    not_delivered: int


@dataclass(frozen=True)
class WorkerInfo:
    """One generator process: its own timer lag (p99, max), schedule slip and CPU; in a distributed
    run the target it loaded and, when it left before the stop, how (``lost``)."""

    index: int
    id: str
    requests: int
    loop_lag: Stats
    schedule_slip: Stats
    cpu_mean_percent: float
    cpu_over_budget_samples: int
    offered: int
    late: int
    target: str = ""
    lost: LostWorker | None = None


@dataclass(frozen=True)
class WindowRow:
    """One timeline interval (seconds from the start of the judged part of the run)."""

    t: float
    requests: int
    errors: int
    rps: float
    p50: float
    p95: float
    p99: float


@dataclass(frozen=True)
class Goodput:
    """Requests that succeeded and met every per-request bound that applies to them (``bounds``: the
    scenario's ``goodput_*`` keys; none set: every successful request is good), per second of the judged
    run, and their share of the judged arrivals (``judged``: finished, unfinished and never sent)."""

    rps: float = 0.0
    share: float = 0.0
    good: int = 0
    judged: int = 0
    bounds: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Tokens:
    """Output deltas (a chat model's tokens) of the successful streams: in all (``output``), per second of
    the judged run, and each stream's own rate after its first delta (``per_stream``: 1000 / its mean
    gap, in deltas per second; streams of one delta have none)."""

    output: int = 0
    per_second: float = 0.0
    per_stream: Stats = field(default_factory=Stats)


@dataclass(frozen=True)
class RequestFigures:
    """One request name, computed from the kept rows (exact percentiles): what its SLO table judges.

    ``requests`` finished (ok or failed), ``latency`` and ``ttft`` of successful ones from sent,
    ``intended`` and ``ttft_intended`` from their intended start (open model), ``largest_gap`` each
    stream's largest gap (the gap before the terminal event included)."""

    requests: int = 0
    errors: int = 0
    error_rate: float = 0.0
    throughput_rps: float = 0.0
    latency: Stats = field(default_factory=Stats)
    intended: Stats = field(default_factory=Stats)
    ttft: Stats = field(default_factory=Stats)
    ttft_intended: Stats = field(default_factory=Stats)
    largest_gap: Stats = field(default_factory=Stats)
    goodput: Goodput = field(default_factory=Goodput)


@dataclass(frozen=True)
class LoadSummary:
    """Everything a run measured (times in ms, rates per second). Field meanings: docs/reports.md."""

    scenario: str
    target: str
    started: float
    duration_s: float
    model: ModelInfo
    deadlines: Mapping[str, float]
    requests: int
    requests_by_name: Mapping[str, int]
    throughput_rps: float
    errors: Mapping[str, int]
    error_rates: Mapping[str, float]
    error_rate: float
    latency: Stats
    latency_by_name: Mapping[str, Stats]
    latency_failed: Stats
    intended: Stats
    intended_by_name: Mapping[str, Stats]
    intended_all: Stats
    headers: Stats
    ttft: Stats
    ttft_intended: Stats
    itl: Stats
    largest_gap: Stats
    stream_mean_gap: Stats
    terminal: Stats
    walk: Stats
    visibility: Stats
    streams: StreamCounts
    offered: int
    offered_rps: float | None
    achieved_rps: float | None
    sent: int
    on_time: int
    late_arrivals: int
    held_back: int
    not_sent: Mapping[str, int]
    unfinished: int
    in_flight_peak: int
    walks_not_judged: int
    warmup: Mapping[str, Any]
    monitor: Mapping[str, float]
    workers: tuple[WorkerInfo, ...]
    timeline: tuple[WindowRow, ...]
    window_s: float
    slo_windows: tuple[Mapping[str, Any], ...]
    stopped_early: str
    warnings: tuple[str, ...]
    raw: Mapping[str, Any]
    goodput: Goodput = field(default_factory=Goodput)
    tokens: Tokens = field(default_factory=Tokens)
    by_name: Mapping[str, RequestFigures] = field(default_factory=dict)
    slo_applied: Mapping[str, Any] = field(default_factory=dict)  # the SLO file's table that judged it
    embedded: bool = False  # the target was the embedded reference server (no target given)
    specs: tuple[Mapping[str, str], ...] = ()  # per API driven: the spec file and info.version read

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Check:
    """One threshold against what was observed; ``window`` is (start s, end s) for a window check,
    ``worker`` the generator process a budget check is about, ``request`` the request name of a
    per-name check; ``source`` where the threshold came from: ``default`` (the shipped SLO file) or
    ``file`` (the user's, ``--slo``)."""

    key: str
    threshold: float
    observed: float | None
    ok: bool
    window: tuple[float, float] | None = None
    worker: int | None = None
    request: str | None = None
    source: str = "default"


@dataclass(frozen=True)
class Verdict:
    """The judge's decision: exit code (0 pass, 1 SLO breached, 4 measurement invalid) and why."""

    exit_code: int
    verdict: str  # pass | slo_breached | measurement_invalid
    invalid_reason: str = ""
    checks: tuple[Check, ...] = ()
    window_checks: tuple[Check, ...] = ()
    monitor_checks: tuple[Check, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def breaches(self) -> tuple[Check, ...]:
        return tuple(c for c in (*self.checks, *self.window_checks) if not c.ok)


@dataclass(frozen=True)
class LoadResult:
    """A judged run: its summary, the verdict, and where its reports go."""

    summary: LoadSummary
    verdict: Verdict
    report_dir: Path
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code

    @property
    def scenario(self) -> str:
        return self.summary.scenario

    @property
    def breaches(self) -> tuple[Check, ...]:
        return self.verdict.breaches

    def to_json(self) -> dict[str, Any]:
        """The content of ``summary.json``."""
        v = self.verdict
        return {
            "schema_version": SCHEMA_VERSION,
            **self.summary.to_json(),
            "verdict": v.verdict,
            "exit_code": v.exit_code,
            "invalid_reason": v.invalid_reason,
            "notes": list(v.notes),
            "slo": [asdict(c) for c in v.checks],
            "window_slo": [asdict(c) for c in v.window_checks],
            "monitor_checks": [asdict(c) for c in v.monitor_checks],
        }
