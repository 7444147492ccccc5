"""The Locust side of chatgate's scenarios: a base user, per-process metrics, distributed merging.

Imported by the locustfiles in ``loadtests/`` (which speak HTTP only). Configuration comes from the
environment, so each locustfile also runs with plain ``locust -f``:

``NARA_BASE_URL``/``NAVIGABLE_BASE_URL`` (each API's host; default: Locust's ``--host``, so one
``-H`` serves both APIs of the reference server and ``mixed`` can reach two real hosts),
``NARA_API_KEY``/``NAVIGABLE_API_KEY`` (default: the reference server's dev keys), ``NARA_USER_ID``,
``CHATGATE_ARRIVAL_RATE`` (open model, requests/s for the whole run; unset = closed model),
``CHATGATE_POISSON=1`` (exponential inter-arrival times), ``CHATGATE_WORKERS`` (how many processes
share the arrival rate), ``CHATGATE_VALIDATE_SAMPLE`` (fraction of responses checked against the spec,
default 1), ``CHATGATE_TIMEOUT`` (seconds, default 30), ``CHATGATE_WINDOW`` (timeline window seconds),
``CHATGATE_LOAD_OUT`` (where the master or local runner writes the merged metrics as JSON).

Metric names: ``latency:<request>`` (response or whole-stream time), ``headers``, ``ttft``, ``itl``,
``stream_mean_gap``, ``largest_gap`` (last delta to terminal event included), ``terminal``, ``walk`` (a
full paginated walk), ``visibility`` (read-after-write), ``intended:<request>`` and ``ttft_intended``
(open model: from the intended start), ``schedule_slip`` (open model: how late the generator woke for
a due arrival), ``loop_lag``; counters ``late_arrivals`` (open model: arrivals no user was free for),
counters ``requests``, ``requests:<name>``, ``errors:<class>``, ``cpu_samples``, ``cpu_pct_sum``,
``cpu_over``; timeline ``tl:<window>:req|err`` counters and ``tl:<window>:lat`` histograms.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from pathlib import Path
from typing import Any

import gevent
import psutil
import requests
from locust import User, events
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import MasterRunner, WorkerRunner

from chatgate.apis import DEV_KEYS, DEV_NARA_USER, auth_headers
from chatgate.load.client import Outcome, Validators
from chatgate.load.fast import FastJson
from chatgate.metrics import Metrics

__all__ = ["METRICS", "ChatgateUser", "Schedule", "env_float"]

METRICS = Metrics()
_LOCK = threading.Lock()
_MONITOR: list[gevent.Greenlet] = []
_STOPPING = False


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


class Schedule:
    """Open-model arrivals for this process: constant or Poisson, shared by all its users."""

    def __init__(self, rate: float, poisson: bool, seed: int | None = None) -> None:
        self.rate = rate
        self.poisson = poisson
        self._rng = random.Random(seed)
        self._next: float | None = None

    def next_slot(self) -> float:
        now = time.perf_counter()
        if self._next is None:
            self._next = now
        slot = self._next
        gap = self._rng.expovariate(self.rate) if self.poisson else 1.0 / self.rate
        self._next = slot + gap
        return slot


def _schedule() -> Schedule | None:
    rate = env_float("CHATGATE_ARRIVAL_RATE", 0.0)
    if rate <= 0:
        return None
    workers = max(1, int(env_float("CHATGATE_WORKERS", 1)))
    return Schedule(rate / workers, os.environ.get("CHATGATE_POISSON") == "1")


SCHEDULE = _schedule()
WINDOW = max(1.0, env_float("CHATGATE_WINDOW", 2.0))
VALIDATORS = Validators(env_float("CHATGATE_VALIDATE_SAMPLE", 1.0))
TIMEOUT = env_float("CHATGATE_TIMEOUT", 30.0)


def record(environment: Environment, out: Outcome, intended: float | None = None) -> None:
    """Record one outcome in chatgate's histograms and in Locust's own stats."""
    w = int(time.time() // WINDOW)
    METRICS.count("requests")
    METRICS.count(f"requests:{out.name}")
    METRICS.count(f"tl:{w}:req")
    METRICS.record(f"latency:{out.name}", out.total_s)
    METRICS.record(f"tl:{w}:lat", out.total_s)
    if SCHEDULE is not None:
        # Open model: also from the intended start, so a stalled server cannot hide behind requests it
        # delayed (coordinated omission). A request that follows another within one task (the next
        # page of a walk) was due when the previous one ended: its intended start is its start.
        late = out.start - intended if intended is not None else 0.0
        METRICS.record(f"intended:{out.name}", out.total_s + late)
        if out.ttft_s is not None:
            METRICS.record("ttft_intended", out.ttft_s + late)
    if out.headers_s is not None and out.ttft_s is not None:
        METRICS.record("headers", out.headers_s)
    if out.ttft_s is not None:
        METRICS.record("ttft", out.ttft_s)
    for g in out.gaps_s:
        METRICS.record("itl", g)
    if out.gaps_s:
        METRICS.record("stream_mean_gap", sum(out.gaps_s) / len(out.gaps_s))
    every_gap = out.gaps_s + ([out.tail_gap_s] if out.tail_gap_s is not None else [])
    if every_gap:
        METRICS.record("largest_gap", max(every_gap))
    if out.events and out.error is None and out.ttft_s is not None:
        METRICS.record("terminal", out.total_s)
        if out.total_s > 0:
            METRICS.count("stream_events", out.events)
    if out.error:
        METRICS.count(f"errors:{out.error}")
        METRICS.count(f"tl:{w}:err")
    environment.events.request.fire(  # type: ignore[no-untyped-call]
        request_type="SSE" if out.events else "HTTP",
        name=out.name,
        response_time=out.total_s * 1000.0,
        response_length=out.body_bytes,
        exception=RuntimeError(f"{out.error}: {out.detail}") if out.error else None,
        context={},
    )


class ChatgateUser(User):
    """Base user: a requests session, the open/closed model loop, and the dev-key defaults."""

    abstract = True
    nara_key = os.environ.get("NARA_API_KEY") or DEV_KEYS["nara"]
    navigable_key = os.environ.get("NAVIGABLE_API_KEY") or DEV_KEYS["navigable"]
    nara_user_id = int(env_float("NARA_USER_ID", DEV_NARA_USER))
    timeout = TIMEOUT
    validators = VALIDATORS

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=4)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.nara_base = (os.environ.get("NARA_BASE_URL") or self.host or "").rstrip("/")
        self.navigable_base = (os.environ.get("NAVIGABLE_BASE_URL") or self.host or "").rstrip("/")
        self.rng = random.Random()
        self._fast: FastJson | None = None

    @property
    def fast(self) -> FastJson:
        """A geventhttpclient connection to the Nara host for cheap reads (created on first use)."""
        if self._fast is None:
            self._fast = FastJson(self.nara_base, self.timeout)
        return self._fast

    def wait_time(self) -> float:
        return 0.0

    def paced(self) -> float | None:
        """Open model: sleep until this user's next arrival slot and return it; closed: None."""
        if SCHEDULE is None:
            return None
        slot = SCHEDULE.next_slot()
        delay = slot - time.perf_counter()
        if delay > 0:
            gevent.sleep(delay)
            if _STOPPING:
                raise StopUser  # the run ended while this arrival was waiting: it was never due
            # How late the generator woke for a slot it was waiting for: its own lateness.
            METRICS.record("schedule_slip", max(0.0, time.perf_counter() - slot))
        else:
            # No user was free when the arrival was due (every one still waiting on the server): the
            # server's slowness, counted here and charged to the request's intended latency.
            if _STOPPING:
                raise StopUser
            METRICS.count("late_arrivals")
        return slot

    def nara_headers(self) -> dict[str, str]:
        return auth_headers("nara", self.nara_key)

    def navigable_headers(self) -> dict[str, str]:
        return auth_headers("navigable", self.navigable_key)

    def record(self, out: Outcome, intended: float | None = None) -> None:
        record(self.environment, out, intended)

    def on_stop(self) -> None:
        self.session.close()
        if self._fast is not None:
            self._fast.close()


def _monitor(interval: float = 0.05) -> None:
    """Event-loop lag (how late a short sleep wakes up) and this process's CPU use."""
    proc = psutil.Process()
    proc.cpu_percent(None)
    budget = env_float("CHATGATE_CPU_BUDGET", 90.0)
    next_cpu = time.perf_counter() + 1.0
    while True:
        t = time.perf_counter()
        gevent.sleep(interval)
        now = time.perf_counter()
        METRICS.record("loop_lag", max(0.0, now - t - interval))
        if now >= next_cpu:
            pct = proc.cpu_percent(None)
            METRICS.count("cpu_samples")
            METRICS.count("cpu_pct_sum", round(pct))
            if pct > budget:
                METRICS.count("cpu_over")
            next_cpu = now + 1.0


def _write_out() -> None:
    path = os.environ.get("CHATGATE_LOAD_OUT")
    if not path:
        return
    tmp = Path(path + ".tmp")
    tmp.write_text(json.dumps(METRICS.encode()), encoding="utf-8")
    tmp.replace(path)


def _on_start(environment: Environment, **_: Any) -> None:
    global _STOPPING
    _STOPPING = False
    if isinstance(environment.runner, MasterRunner):
        return
    if not _MONITOR:
        _MONITOR.append(gevent.spawn(_monitor))


def _on_stopping(**_: Any) -> None:
    global _STOPPING
    _STOPPING = True


def _on_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
    data["chatgate"] = METRICS.encode()
    METRICS.reset()


def _on_worker_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
    wire = data.get("chatgate")
    if isinstance(wire, dict):
        METRICS.merge(Metrics.decode(wire))


def _on_stop(environment: Environment, **_: Any) -> None:
    for g in _MONITOR:
        g.kill(block=False)
    _MONITOR.clear()
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner._send_stats()  # the last samples, before the master's test_stop
        return
    _write_out()


def _on_quit(environment: Environment, **_: Any) -> None:
    if not isinstance(environment.runner, WorkerRunner):
        _write_out()


events.test_start.add_listener(_on_start)  # type: ignore[no-untyped-call]
events.test_stopping.add_listener(_on_stopping)  # type: ignore[no-untyped-call]
events.report_to_master.add_listener(_on_report)  # type: ignore[no-untyped-call]
events.worker_report.add_listener(_on_worker_report)  # type: ignore[no-untyped-call]
events.test_stop.add_listener(_on_stop)  # type: ignore[no-untyped-call]
events.quitting.add_listener(_on_quit)  # type: ignore[no-untyped-call]
