"""``chatgate load --worker``: this machine's Locust worker processes for a master on another machine.

What a worker takes from where (docs/load.md, "Many machines, one verdict"):

- **Its own flags and environment**: the scenario and the load model (its locustfile picks its user
  classes from them, so they must be the master's: a worker that differs refuses the plan, exit 2),
  the target (``--base-url``, ``NARA_BASE_URL`` / ``NAVIGABLE_BASE_URL``; the embedded server when none
  is set) and the keys (``NARA_API_KEY``, ``NAVIGABLE_API_KEY``): resolved and probed here, before
  connecting, so a worker that cannot reach its target never joins (exit 3). Keys never leave the
  machine. ``--workers K`` starts K worker processes (each counts in the master's ``--expect-workers``).
- **The master**: everything that shapes the load (``chatgate.load.distributed.PLAN_VARIABLES``),
  Locust's users and stop timeout. A worker reads no SLO file.

The worker's exit code says how its part went; the master's is the verdict CI reads:

- ``0`` every process ran until the master ended the run;
- ``2`` bad flags, or the master's scenario or load model is not this worker's;
- ``3`` the worker could not do its part: target unreachable or key rejected, master unreachable within
  ``CONNECT_WAIT_S`` (or it never started the run, ``START_WAIT_S``), the master ended before the run
  started, lost the master mid-run, or the worker was stopped (SIGTERM/SIGINT: its processes are
  stopped gracefully first, so the master gets their data and reports a worker that quit).

Files (``<report-dir>/<scenario>/``): ``worker.log`` (the Locust workers' output, live) and, written by
the command from the result, ``worker.json`` (each process's final state).
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from chatgate.artifacts import RunDir
from chatgate.errors import EXIT_OK, EXIT_TARGET, EXIT_USAGE
from chatgate.load.config import SCENARIOS, LoadOptions, plan_run, require_scenario
from chatgate.load.launch import START_MARGIN_S, locust_cwd, locust_env, targets, worker_command
from chatgate.load.slo import SloFile
from chatgate.resources import loadtests_dir

__all__ = ["CONNECT_WAIT_S", "WorkerResult", "run_worker"]

CONNECT_WAIT_S = 300.0  # Locust's own: a worker tries to connect 60 times, 5 s each
START_WAIT_S = 3600.0  # connected, a worker waits this long at most for the master to start the run
GRACE_S = 15.0  # a stopped worker process gets this long to send its last data and quit
POLL_S = 0.25


@dataclass(frozen=True)
class WorkerResult:
    """How this machine's part went: the exit code, one line saying why, each process's last state
    (``chatgate load --worker`` writes it as ``worker.json``)."""

    master: str
    scenario: str
    exit_code: int
    message: str
    processes: tuple[Mapping[str, Any], ...]
    report_dir: Path
    secrets: tuple[str, ...] = field(default=(), repr=False)
    embedded: bool = False  # this machine loaded the embedded reference server (no target given)

    def to_json(self) -> dict[str, Any]:
        return {"master": self.master, "scenario": self.scenario, "exit_code": self.exit_code,
                "message": self.message, "processes": [dict(p) for p in self.processes],
                "embedded": self.embedded}  # fmt: skip


@dataclass
class _Proc:
    popen: subprocess.Popen[bytes]
    status: Path
    started: float = field(default_factory=time.monotonic)
    killed: str = ""

    def state(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.status.read_text("utf-8"))
        except (OSError, ValueError):
            data = {"state": "starting"}
        if self.killed:
            data.update(
                state=self.killed if data["state"] in ("starting", "connected", "running") else data["state"]
            )
        data["exit"] = self.popen.returncode
        return data


def _deadline(p: _Proc, s: Mapping[str, Any]) -> float:
    """Bounded whatever the master does: connecting, waiting for the start (a master gives up after its
    --expect-workers-max-wait and tells its workers), then the master's run time and stop timeout."""
    at = time.monotonic() - max(0.0, time.time() - float(s.get("at", time.time())))
    if s["state"] == "running":
        return at + float(s.get("run_time_s", 0)) + float(s.get("stop_timeout_s", 0)) + START_MARGIN_S
    if s["state"] == "connected":
        return at + START_WAIT_S
    return p.started + CONNECT_WAIT_S + START_MARGIN_S


class _Signals:
    """SIGTERM/SIGINT while the workers run: stop them gracefully (a pod being deleted, Ctrl-C)."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _Signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._old[sig] = signal.signal(sig, self._on)
        return self

    def _on(self, signum: int, _frame: FrameType | None) -> None:
        self.received = signum

    def __exit__(self, *_exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def _wait(procs: list[_Proc], signals: _Signals) -> None:
    stopping_since: float | None = None
    while any(p.popen.poll() is None for p in procs):
        time.sleep(POLL_S)
        now = time.monotonic()
        if signals.received is not None and stopping_since is None:
            stopping_since = now
            for p in procs:
                if p.popen.poll() is None:
                    p.killed = "interrupted"
                    p.popen.terminate()  # Locust's SIGTERM handler: last data to the master, then quit
        for p in procs:
            if p.popen.poll() is not None:
                continue
            state = p.state()
            late = now > _deadline(p, state) or (
                stopping_since is not None and now > stopping_since + GRACE_S
            )
            if late:
                killed = {"starting": "no_master", "connected": "not_started"}.get(state["state"], "overran")
                p.killed = p.killed or killed
                p.popen.kill()
                p.popen.wait()


def _verdict(options: LoadOptions, states: list[dict[str, Any]]) -> tuple[int, str]:
    master = f"{options.master_host}:{options.master_port}"
    kinds = [s["state"] for s in states]
    if all(k == "done" for k in kinds):
        indexes = ", ".join(str(s.get("index")) for s in states)
        return EXIT_OK, (
            f"worker: {len(states)} process(es) (index {indexes}) ran their part of {options.scenario} "
            f"for the master at {master} to its end; the master's report holds the verdict"
        )
    refused = [s for s in states if s["state"] == "refused"]
    if refused:
        return EXIT_USAGE, f"this worker cannot run the master's plan: {refused[0].get('reason', '')}"
    why = {
        "no_master": f"cannot reach the Locust master at {master} within {CONNECT_WAIT_S:g}s",
        "not_started": f"the master at {master} ended before the run started (it gave up waiting for "
        "--expect-workers, or was stopped)",
        "master_lost": f"lost the master at {master} mid-run",
        "interrupted": "stopped before the master ended the run (its data so far went to the master)",
        "overran": "the run went on past the master's run time and stop timeout; the worker was stopped",
    }
    bad = next(s for s in states if s["state"] != "done")
    text = why.get(bad["state"]) or (
        f"the Locust worker process ended (exit {bad.get('exit')}) in state {bad['state']!r}"
    )
    detail = f" ({bad['reason']})" if bad.get("reason") else ""
    return EXIT_TARGET, f"{text}{detail}; see {options.report_dir / options.scenario / 'worker.log'}"


def _start(options: LoadOptions, env: Mapping[str, str], run_dir: RunDir, log: Any) -> Iterator[_Proc]:
    loadtests = loadtests_dir()
    locustfile = loadtests / SCENARIOS[options.scenario]
    assert options.master_host is not None
    cmd = worker_command(options, locustfile, options.master_host, options.master_port)
    for k in range(max(1, options.workers)):
        status = run_dir.path(f".worker-{k}.json")
        status.unlink(missing_ok=True)
        popen = subprocess.Popen(
            cmd,
            env={**env, "CHATGATE_WORKER_STATUS": str(status.resolve())},
            cwd=locust_cwd(loadtests),
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
        yield _Proc(popen, status)


def run_worker(options: LoadOptions) -> WorkerResult:
    """Probe this machine's targets, run the worker processes until the master ends the run."""
    require_scenario(options.scenario)
    plan = plan_run(options, SloFile(None, {}, {}))  # shaped by the master; the model comes from here
    run_dir = RunDir(options.report_dir / options.scenario).ensure()
    with targets(options) as found, run_dir.log("worker.log") as log, _Signals() as signals:
        env = locust_env(options, plan, found, None)
        procs: list[_Proc] = []
        try:
            procs.extend(_start(options, env, run_dir, log))
            _wait(procs, signals)
        finally:
            for p in procs:
                if p.popen.poll() is None:
                    p.popen.kill()
                    p.popen.wait()
        secrets = tuple(t.key for t in found.values())
        embedded = any(t.embedded for t in found.values())
    states = [p.state() for p in procs]
    for p in procs:
        p.status.unlink(missing_ok=True)
    code, message = _verdict(options, states)
    run_dir.scrub_logs(["worker.log"], secrets)
    master = f"{options.master_host}:{options.master_port}"
    return WorkerResult(
        master, options.scenario, code, message, tuple(states), Path(run_dir.root), secrets, embedded
    )
