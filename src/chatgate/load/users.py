"""The Locust side of chatgate's scenarios: user classes, the generator's self-monitoring, raw data.

Imported by the locustfiles in ``loadtests/`` (which speak HTTP only). Each locustfile lists its
actions (``(weight, function)``) and picks its classes with :func:`open_model`:

- closed model (plain ``locust -f``, or ``--users``): :class:`ClosedUser` subclasses, each Locust user
  running one action after another with no wait;
- open model (``CHATGATE_ARRIVAL_RATE`` set): one :class:`ArrivalsUser` per process (``chatgate load``
  starts one per worker) whose task is the arrival scheduler of :mod:`chatgate.load.arrivals`.

Each process rolls its measurements every interval into a batch (:mod:`chatgate.load.raw`); a worker
sends each batch to the master as a ``chatgate_batch`` message (:mod:`chatgate.load.distributed`, which
also carries the master's plan to the workers and watches for lost workers), and the master (or the
single local process) appends them to the raw files in ``CHATGATE_RAW_DIR``. A probe greenlet sleeps
``PROBE_S`` again and again and records how late it wakes (``loop_lag``): a known delay, so its p99 and
max are the timing error the generator adds to what it measures at those percentiles.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import gevent
import psutil
from locust import User, events, task
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import LocalRunner, MasterRunner, Runner, WorkerRunner

from chatgate.load import distributed
from chatgate.load.arrivals import Action, OpenModel, pick
from chatgate.load.generator import Arrival, Generator, Settings
from chatgate.load.outcome import Outcome
from chatgate.load.raw import Batch, RawWriter

__all__ = ["ArrivalsUser", "ClosedUser", "current", "open_model"]

PROBE_S = 0.01  # the monitor's known delay
ABORT_MIN_REQUESTS = 20


class _State:
    """Everything of this process that lives for one test."""

    gen: Generator | None = None
    model: OpenModel | None = None
    writer: RawWriter | None = None
    greenlets: ClassVar[list[gevent.Greenlet]] = []
    totals: ClassVar[dict[str, int]] = {"requests": 0, "errors": 0}
    stopping = False
    stopped_at = 0.0
    stopped_early = ""
    abort_on_error_rate: float | None = None
    environment: Environment | None = None


def open_model() -> bool:
    """True when the environment asks for the open model (the locustfile then defines ArrivalsUser)."""
    return Settings.from_env(None).arrival_rate is not None


def current() -> Generator:
    """This process's generator (the scenario actions' shared context)."""
    if _State.gen is None:
        raise RuntimeError("no chatgate test is running in this process")
    return _State.gen


class ClosedUser(User):
    """Closed model: a Locust user running its actions back to back (Locust's ``-u``/``-r``)."""

    abstract = True
    actions: ClassVar[Sequence[tuple[float, Action]]] = ()

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.arrival = Arrival(None, f"load-{id(self) % 1_000_000}")

    def wait_time(self) -> float:
        return 0.0

    @task
    def act(self) -> None:
        gen = current()
        if not gen.take():
            if isinstance(self.environment.runner, LocalRunner):
                gevent.spawn(self.environment.runner.quit)
            raise StopUser
        pick(gen, self.actions)(gen, self.arrival)


class ArrivalsUser(User):
    """Open model: the one user of a process whose task issues that process's share of the arrivals."""

    abstract = True
    actions: ClassVar[Sequence[tuple[float, Action]]] = ()

    def wait_time(self) -> float:
        return 0.0

    @task
    def schedule(self) -> None:
        gen = current()
        if _State.model is not None:  # one scheduler per process, however many users Locust starts
            while not _State.stopping:
                gevent.sleep(0.2)
            raise StopUser
        s = gen.settings
        assert s.arrival_rate is not None
        _State.model = model = OpenModel(
            gen, self.actions, rate=s.arrival_rate / s.workers, cap=s.share(s.max_in_flight)
        )
        model.run()
        if gen.stopped_early and isinstance(self.environment.runner, LocalRunner):
            gevent.spawn(self.environment.runner.quit)
        stop_timeout = float(self.environment.stop_timeout or 0.0)
        model.drain(time.perf_counter() + max(0.0, stop_timeout - 0.5))
        raise StopUser


def _monitor(gen: Generator, cpu_budget: float = 90.0) -> None:
    """Timer lag of a known delay (``loop_lag``) and this process's CPU, once a second."""
    proc = psutil.Process()
    proc.cpu_percent(None)
    next_cpu = time.perf_counter() + 1.0
    while True:
        t = time.perf_counter()
        gevent.sleep(PROBE_S)
        now = time.perf_counter()
        gen.recorder.hist("loop_lag").record(max(0.0, now - t - PROBE_S))
        if now >= next_cpu:
            pct = proc.cpu_percent(None)
            c = gen.recorder.counters
            c["cpu_samples"] += 1
            c["cpu_pct_sum"] += round(pct)
            c["cpu_over"] += pct > cpu_budget
            next_cpu = now + 1.0


def _flusher(gen: Generator, environment: Environment) -> None:
    """Roll the interval at each boundary (Unix time multiples of the interval, so workers align)."""
    interval = gen.settings.interval_s
    while True:
        now = time.time()
        boundary = (now // interval + 1) * interval
        gevent.sleep(boundary - now)
        _deliver(gen.recorder.roll(boundary), environment)


def _deliver(batch: Batch, environment: Environment) -> None:
    if isinstance(environment.runner, WorkerRunner):
        distributed.ship(environment, batch.wire())
    elif _State.writer is not None:
        _State.writer.add(batch, "local")
        _watch_errors(batch, environment)


def _watch_errors(batch: Batch, environment: Environment) -> None:
    """``--abort-on-error-rate``: stop the whole run once the error rate passes the threshold."""
    limit = _State.abort_on_error_rate
    if limit is None or _State.stopped_early:
        return
    c = batch.counters
    _State.totals["requests"] += c.get("requests", 0)
    _State.totals["errors"] += sum(v for k, v in c.items() if k.startswith("errors:"))
    n, bad = _State.totals["requests"], _State.totals["errors"]
    if n >= ABORT_MIN_REQUESTS and bad / n > limit:
        _State.stopped_early = f"error rate {bad / n:.1%} > {limit:.1%} after {n} requests"
        if environment.runner is not None:
            gevent.spawn(environment.runner.quit)


def _on_start(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    settings = Settings.from_env(environment.host, distributed.plan_env(environment))
    _State.stopping, _State.stopped_early, _State.model, _State.stopped_at = False, "", None, 0.0
    _State.abort_on_error_rate = settings.abort_on_error_rate
    _State.environment = environment
    _State.totals.update(requests=0, errors=0)
    if runner is not None:
        _mark_stop_when_it_begins(runner)
    if not isinstance(runner, MasterRunner) and distributed.accept_plan(environment):
        _start_generator(environment, settings)
    if not isinstance(runner, WorkerRunner) and settings.raw_dir and _State.writer is None:
        # started now, after the generator's own start-up: the run's clock (and its warm-up) begins here
        _State.writer = RawWriter(
            Path(settings.raw_dir),
            started=time.time(),
            interval_s=settings.interval_s,
            warmup_s=settings.warmup_s,
        )


def _start_generator(environment: Environment, settings: Settings) -> None:
    runner = environment.runner
    worker = runner.worker_index if isinstance(runner, WorkerRunner) else 0
    gen = _State.gen = Generator(settings, worker=worker, on_done=lambda out: _fire(environment, out))
    gen.validators.warm()  # build the validators now, not inside the first requests' timing
    # What is alive now (Locust, gevent, the specs behind the validators) lives for the whole run: keep
    # it out of the collector's passes, so a full collection walks only what the run itself made and
    # does not stall the event loop for tens of milliseconds. (The thresholds stay Python's: rarer
    # full passes let each response's reference cycles pile up, 8 MiB a minute in a soak.)
    gc.collect()
    gc.freeze()
    gen.recorder.warmup_until = time.perf_counter() + settings.warmup_s
    _State.greenlets[:] = [gevent.spawn(_monitor, gen), gevent.spawn(_flusher, gen, environment)]


def _fire(environment: Environment, out: Outcome) -> None:
    environment.events.request.fire(  # type: ignore[no-untyped-call]
        request_type="SSE" if out.events else "HTTP",
        name=out.name,
        response_time=out.total_s * 1000.0,
        response_length=out.body_bytes,
        exception=RuntimeError(f"{out.error}: {out.detail}") if out.error else None,
        context={},
    )


def _mark_stop_when_it_begins(runner: Runner) -> None:
    """Record the stop when Locust's ``stop()`` begins, not when it fires ``test_stopping``: it first
    works out its caller with ``inspect.stack()``, which holds the event loop for ~25 ms the first time
    (more on a busy machine), and an arrival that fell due then was counted as one the generator never
    issued: a run of a few dozen arrivals judged invalid (late share 1/34 > 2%) by Locust's own pause."""
    if getattr(runner, "_chatgate_marks_stop", False):
        return
    original = runner.stop

    def stop(*args: Any, **kwargs: Any) -> None:
        _on_stopping()
        original(*args, **kwargs)

    setattr(runner, "stop", stop)  # noqa: B010 (an instance attribute over the method)
    setattr(runner, "_chatgate_marks_stop", True)  # noqa: B010


def _on_stopping(**_: Any) -> None:
    if _State.stopping:  # marked when the stop began (above); test_stopping comes after
        return
    _State.stopping = True
    _State.stopped_at = time.time()
    if _State.model is not None:
        _State.model.stopping = True
        _State.model.stop_at = time.perf_counter()


def _on_stop(environment: Environment, **_: Any) -> None:
    gen = _State.gen
    if gen is None:
        return
    if _State.model is not None:
        _State.model.drain(time.perf_counter())  # no-op when the scheduler already drained
    gen.cut_in_flight()
    for g in _State.greenlets:
        g.kill(block=False)
    _State.greenlets.clear()
    _deliver(gen.recorder.roll(), environment)
    _State.stopped_early = _State.stopped_early or gen.stopped_early


def _on_batch(environment: Environment, msg: Any, **_: Any) -> None:
    """The master: a worker's interval (kept even when the worker is gone by now)."""
    if _State.writer is None or not isinstance(msg.data, dict):
        return
    batch = Batch.from_wire(msg.data)
    _State.writer.add(batch, msg.node_id)
    _watch_errors(batch, environment)


def _on_init(environment: Environment, runner: Any = None, **_: Any) -> None:
    if isinstance(runner, MasterRunner):
        runner.register_message("chatgate_batch", _on_batch)


def _on_quit(environment: Environment, **_: Any) -> None:
    if _State.writer is not None:
        _State.writer.close(
            {
                "stopped_early": _State.stopped_early,
                "stopped": _State.stopped_at or time.time(),
                **distributed.manifest_extra(environment),
            }
        )
        _State.writer = None


events.test_start.add_listener(_on_start)  # type: ignore[no-untyped-call]
events.test_stopping.add_listener(_on_stopping)  # type: ignore[no-untyped-call]
events.test_stop.add_listener(_on_stop)  # type: ignore[no-untyped-call]
events.init.add_listener(_on_init)  # type: ignore[no-untyped-call]
events.quitting.add_listener(_on_quit)  # type: ignore[no-untyped-call]
