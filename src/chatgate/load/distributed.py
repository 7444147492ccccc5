"""Many machines, one verdict: the Locust master/worker glue of chatgate's scenarios (the Locust side).

``chatgate load --master`` runs a Locust master; ``chatgate load --worker`` runs Locust workers on other
machines. What travels between them, all over Locust's own connection (its custom arguments and custom
messages; keys never do):

- **The plan, master -> workers.** Every ``CHATGATE_*`` setting that shapes the load
  (``chatgate.load.generator.PLAN_VARIABLES``: rate, in-flight cap, deadlines, warm-up, interval,
  message lengths, request budget, how many worker processes share them, the run time) is the
  master's. It rides in a custom Locust argument (``--chatgate-plan``, its default the master's
  environment), which Locust hands to every worker with its spawn message; a worker uses it in place
  of its own values. A worker keeps its own target URLs and keys (its environment and flags), and
  refuses a plan whose scenario or load model differs from its own (its locustfile picked its user
  classes at import): it tells the master why and quits.
- **Measurements, workers -> master.** Each worker sends every interval's batch as a ``chatgate_batch``
  message as soon as it is rolled (batches that cannot be sent wait for the next roll), so a worker that
  dies loses at most its last interval; ``chatgate_hello`` tells the master the worker's targets.
- **Lost workers, seen by the master.** A watcher greenlet looks at Locust's worker table four times a
  second while the test runs: a worker that stops sending heartbeats (Locust marks it ``missing`` after
  about 3 s), quits, or refuses the plan before the stop is recorded once: index, id, cause, when the
  master noticed, its users (closed model), and when it came back or Locust gave its users to the
  others. These facts go to the raw data's manifest; ``chatgate.load.lost`` turns them into the share
  of the offered load that was not delivered.
- **The end, master -> workers.** ``chatgate_stopping`` at the master's stop: a worker that saw it
  ended its part normally. Each worker writes its state to ``CHATGATE_WORKER_STATUS`` (JSON), which
  ``chatgate load --worker`` turns into its exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent
from locust import events
from locust.env import Environment
from locust.exception import RPCError
from locust.runners import STATE_MISSING, MasterRunner, WorkerRunner

from chatgate.artifacts import write_atomic
from chatgate.load.generator import own_plan, plan_from_json, with_plan

__all__ = [
    "accept_plan",
    "manifest_extra",
    "plan_env",
    "ship",
    "worker_status",
]

WATCH_S = 0.25  # how often the master looks at Locust's worker table
MASTER_SILENT_S = 10.0  # a worker that heard no heartbeat from the master for this long lost it


def _plan_of(environment: Environment) -> dict[str, str]:
    """The master's plan as this process got it (its own on the master, or without a master)."""
    raw = getattr(environment.parsed_options, "chatgate_plan", None)
    return plan_from_json(raw) if raw else own_plan(os.environ)


def plan_env(environment: Environment) -> dict[str, str]:
    """The environment a generator's ``Settings`` read: this process's, with the master's plan over it."""
    return with_plan(os.environ, _plan_of(environment))


def _add_plan_argument(parser: Any, **_: Any) -> None:
    parser.add_argument(
        "--chatgate-plan",
        default=json.dumps(own_plan(os.environ), sort_keys=True),
        include_in_web_ui=False,
        help=argparse.SUPPRESS,
    )


# --- the master side ---------------------------------------------------------------------------------


@dataclass
class _Watch:
    """What the master saw of its workers during one test."""

    stopping: bool = False
    seen: set[str] = field(default_factory=set)
    lost: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    targets: dict[int, str] = field(default_factory=dict)
    connected: list[dict[str, Any]] = field(default_factory=list)


_watch = _Watch()


def _look(runner: MasterRunner, now: float) -> None:
    """One look at Locust's worker table: record each worker the first time it is gone."""
    for cid, index in list(runner.worker_indexes.items()):
        node = runner.clients.get(cid)
        record = _watch.lost.get(cid)
        if node is not None and node.state != STATE_MISSING:
            _watch.seen.add(cid)
            _watch.users[cid] = node.user_count
            if record is not None and record["rejoined_at"] is None:
                record["rejoined_at"] = round(now, 3)
            continue
        if cid not in _watch.seen or record is not None:
            continue
        cause = "refused" if cid in _watch.refused else ("no_heartbeat" if node is not None else "quit")
        _watch.lost[cid] = {
            "index": index,
            "id": cid,
            "cause": cause,
            "reason": _watch.refused.get(cid, ""),
            "lost_at": round(now, 3),
            "users": _watch.users.get(cid, 0),
            "rejoined_at": None,
            "restored_at": None,
        }
    if runner.target_user_count and runner.user_count >= runner.target_user_count:
        for record in _watch.lost.values():  # closed model: Locust gave the lost users to the others
            if record["restored_at"] is None and record["rejoined_at"] is None:
                record["restored_at"] = round(now, 3)


def _watcher(runner: MasterRunner) -> None:
    while not _watch.stopping:
        gevent.sleep(WATCH_S)
        if not _watch.stopping:
            _look(runner, time.time())


def _on_refused(environment: Environment, msg: Any, **_: Any) -> None:
    _watch.refused[msg.node_id] = str((msg.data or {}).get("reason", ""))


def _on_hello(environment: Environment, msg: Any, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, MasterRunner) and msg.node_id in runner.worker_indexes:
        _watch.targets[runner.worker_indexes[msg.node_id]] = str((msg.data or {}).get("target", ""))


def _on_connect(client_id: str, **_: Any) -> None:
    """Who connected (``workers-connected.json`` beside the raw data): names the missing ones when the
    master gives up waiting for ``--expect-workers``."""
    _watch.connected.append({"id": client_id, "at": round(time.time(), 3)})
    raw_dir = os.environ.get("CHATGATE_RAW_DIR")
    if raw_dir:
        Path(raw_dir).mkdir(parents=True, exist_ok=True)
        write_atomic(Path(raw_dir) / "workers-connected.json", json.dumps(_watch.connected) + "\n")


def _master_start(runner: MasterRunner) -> None:
    _watch.stopping = False
    _watch.lost.clear()
    _watch.seen.clear()
    _look(runner, time.time())
    gevent.spawn(_watcher, runner)


def _master_stopping(runner: MasterRunner) -> None:
    if not _watch.stopping:
        _look(runner, time.time())
    _watch.stopping = True
    with contextlib.suppress(RPCError):  # a worker whose connection is gone is already recorded as lost
        runner.send_message("chatgate_stopping", {"at": time.time()})


def manifest_extra(environment: Environment) -> dict[str, Any]:
    """The master's facts for the raw data's manifest (``chatgate.load.raw`` documents them)."""
    if not isinstance(environment.runner, MasterRunner):
        return {}
    return {
        "expected_workers": int(os.environ.get("CHATGATE_WORKERS", "1") or 1),
        "lost_workers": sorted(_watch.lost.values(), key=lambda r: (r["lost_at"], r["index"])),
        "worker_targets": {str(k): v for k, v in sorted(_watch.targets.items())},
    }


# --- the worker side ---------------------------------------------------------------------------------


@dataclass
class _Worker:
    """This worker process's own story, for its status file."""

    state: str = "starting"
    reason: str = ""
    master_stopped: bool = False
    last_heartbeat: float = field(default_factory=time.time)
    pending: list[dict[str, Any]] = field(default_factory=list)


_me = _Worker()


def worker_status(environment: Environment, state: str, reason: str = "", **extra: Any) -> None:
    """Write this worker's state to ``CHATGATE_WORKER_STATUS`` (when set): what ``chatgate load --worker``
    reads for its exit code."""
    _me.state, _me.reason = state, reason
    path = os.environ.get("CHATGATE_WORKER_STATUS")
    if not path:
        return
    runner = environment.runner
    data = {
        "state": state,
        "reason": reason,
        "index": runner.worker_index if isinstance(runner, WorkerRunner) else 0,
        "id": runner.client_id if isinstance(runner, WorkerRunner) else "",
        "at": round(time.time(), 3),
        **extra,
    }
    write_atomic(Path(path), json.dumps(data) + "\n")


def _targets() -> str:
    names = ("NARA_BASE_URL", "NAVIGABLE_BASE_URL")
    return " ".join(dict.fromkeys(os.environ[n] for n in names if os.environ.get(n)))


def accept_plan(environment: Environment) -> bool:
    """A worker at its test start: False (and the master told why) when it cannot run the master's plan."""
    runner = environment.runner
    if not isinstance(runner, WorkerRunner):
        return True
    plan = _plan_of(environment)
    mine = own_plan(os.environ)
    problems = []
    if mine["CHATGATE_SCENARIO"] and plan["CHATGATE_SCENARIO"] != mine["CHATGATE_SCENARIO"]:
        problems.append(
            f"the master runs scenario {plan['CHATGATE_SCENARIO'] or '?'}, this worker "
            f"{mine['CHATGATE_SCENARIO']}"
        )
    if bool(plan["CHATGATE_ARRIVAL_RATE"]) != bool(mine["CHATGATE_ARRIVAL_RATE"]):
        models = {True: "the open model (--arrival-rate)", False: "the closed model (--users)"}
        problems.append(
            f"the master runs {models[bool(plan['CHATGATE_ARRIVAL_RATE'])]}, this worker "
            f"{models[bool(mine['CHATGATE_ARRIVAL_RATE'])]}"
        )
    if problems:
        reason = "; ".join(problems) + ": give every worker the master's scenario flags"
        worker_status(environment, "refused", reason)
        runner.send_message("chatgate_refused", {"reason": reason})
        gevent.spawn_later(0.5, runner.quit)
        return False
    runner.send_message("chatgate_hello", {"target": _targets()})
    run_time = float(plan.get("CHATGATE_RUN_TIME") or 0.0)
    stop_timeout = float(environment.stop_timeout or 0.0)
    worker_status(environment, "running", run_time_s=run_time, stop_timeout_s=stop_timeout)
    return True


def ship(environment: Environment, wire: dict[str, Any]) -> None:
    """Send one batch to the master now (with any that could not be sent before, in order)."""
    runner = environment.runner
    assert isinstance(runner, WorkerRunner)
    _me.pending.append(wire)
    while _me.pending:
        try:
            runner.send_message("chatgate_batch", _me.pending[0])
        except RPCError:
            return  # the connection is down: try again at the next roll
        _me.pending.pop(0)


def _on_master_stopping(environment: Environment, msg: Any, **_: Any) -> None:
    _me.master_stopped = True


def _on_heartbeat(**_: Any) -> None:
    _me.last_heartbeat = time.time()


def _on_init(environment: Environment, runner: Any = None, **_: Any) -> None:
    if isinstance(runner, MasterRunner):
        runner.register_message("chatgate_refused", _on_refused)
        runner.register_message("chatgate_hello", _on_hello)
        environment.events.worker_connect.add_listener(_on_connect)  # type: ignore[no-untyped-call]
    elif isinstance(runner, WorkerRunner):
        runner.register_message("chatgate_stopping", _on_master_stopping)
        environment.events.heartbeat_received.add_listener(_on_heartbeat)  # type: ignore[no-untyped-call]
        worker_status(environment, "connected")


def _on_test_start(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, MasterRunner):
        _master_start(environment.runner)


def _on_test_stopping(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, MasterRunner):
        _master_stopping(environment.runner)


def _on_quitting(environment: Environment, **_: Any) -> None:
    if not isinstance(environment.runner, WorkerRunner) or _me.state == "refused":
        return
    if _me.master_stopped:
        worker_status(environment, "done")
    elif _me.state == "connected":
        worker_status(environment, "not_started", "the master ended before the run started")
    elif time.time() - _me.last_heartbeat > MASTER_SILENT_S:
        silent = time.time() - _me.last_heartbeat
        worker_status(environment, "master_lost", f"no heartbeat from the master for {silent:.0f} s")
    else:
        worker_status(environment, "interrupted")


events.init_command_line_parser.add_listener(_add_plan_argument)  # type: ignore[no-untyped-call]
events.init.add_listener(_on_init)  # type: ignore[no-untyped-call]
events.test_start.add_listener(_on_test_start)  # type: ignore[no-untyped-call]
events.test_stopping.add_listener(_on_test_stopping)  # type: ignore[no-untyped-call]
events.quitting.add_listener(_on_quitting)  # type: ignore[no-untyped-call]
