"""The open model: each arrival issued at its intended time, however many are in flight.

A per-process scheduler (one greenlet) wakes at each arrival's time and spawns one greenlet for it,
so a slow answer never delays the next arrival. ``--max-in-flight`` (split across the worker
processes) bounds what is in flight: an arrival due while the cap is full waits in a queue and is sent
when a slot frees, its latency still counted from its intended start. Who is to blame for lateness
(``chatgate.load.judge``): an arrival sent late while the cap had room is the generator's (its own
scheduling or CPU); one held back by a full cap is the server's when the requests filling the cap were
slow, and the cap's (the generator's configuration) when they were not.

When the run stops, nothing new is sent: arrivals that were due but never issued are ``not_sent:
generator``, arrivals still waiting for the cap ``not_sent: held_back``; requests in flight may finish
during the drain (Locust's ``--stop-timeout``, ended early once nothing is in flight), and those still
in flight after it are ``unfinished``.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence

import gevent

from chatgate.load.generator import Arrival, Generator

__all__ = ["Action", "OpenModel", "pick"]

Action = Callable[[Generator, Arrival], None]
IDENTIFIERS = 64  # open model: sessions the arrivals of one process share (Navigable identifiers)


def pick(gen: Generator, actions: Sequence[tuple[float, Action]]) -> Action:
    if len(actions) == 1:
        return actions[0][1]
    return gen.rng.choices([a for _, a in actions], weights=[w for w, _ in actions])[0]


class OpenModel:
    """One process's arrival scheduler (rate and cap are this process's share)."""

    def __init__(
        self, gen: Generator, actions: Sequence[tuple[float, Action]], *, rate: float, cap: int
    ) -> None:
        self.gen = gen
        self.actions = actions
        self.rate = rate
        self.cap = max(1, cap)
        self.poisson = gen.settings.poisson
        self.in_flight = 0
        self.queue: deque[float] = deque()
        self.stopping = False
        self.stop_at: float | None = None  # when the run was asked to stop (perf_counter)
        self.greenlets: set[gevent.Greenlet] = set()
        self.identifiers = [f"load-{gen.recorder.worker}-{i}-{id(self) % 10_000}" for i in range(IDENTIFIERS)]

    def _gap(self) -> float:
        return self.gen.rng.expovariate(self.rate) if self.poisson else 1.0 / self.rate

    def run(self) -> None:
        """Issue arrivals until stopped (or the request budget is spent), then drain."""
        due = time.perf_counter()
        while not self.stopping:
            now = time.perf_counter()
            if due > now:
                gevent.sleep(due - now)
                continue
            if not self.gen.take():
                break
            self._issue(due, now)
            due += self._gap()
        self._missed(due, self.stop_at or time.perf_counter())

    def _missed(self, due: float, stop: float) -> None:
        """Arrivals that fell due before the stop but were never issued: the generator's. (One due
        within the lateness tolerance of the stop is neither offered nor missed: a race, not a slip.)"""
        if self.gen.stopped_early:
            return
        while due < stop - self.gen.settings.late_after_s:
            self.gen.recorder.counters["offered"] += 1
            self.gen.recorder.not_sent("arrival", due, "generator", stop)
            due += self._gap()

    def _issue(self, intended: float, now: float) -> None:
        rec = self.gen.recorder
        warm = "warmup." if intended < rec.warmup_until else ""
        rec.counters[warm + "offered"] += 1
        rec.hist("schedule_slip").record(now - intended)
        if self.in_flight < self.cap:
            self._spawn(intended, held_back=False)
        else:
            self.queue.append(intended)

    def _spawn(self, intended: float, *, held_back: bool) -> None:
        self.in_flight += 1
        self.gen.recorder.peak("in_flight_peak", self.in_flight)
        ident = self.identifiers[int(intended * 1000) % len(self.identifiers)]
        g = gevent.spawn(self._one, Arrival(intended, ident, held_back))
        self.greenlets.add(g)

    def _one(self, arrival: Arrival) -> None:
        try:
            pick(self.gen, self.actions)(self.gen, arrival)
        finally:
            self.greenlets.discard(gevent.getcurrent())
            self.in_flight -= 1
            if self.queue and not self.stopping:
                self._spawn(self.queue.popleft(), held_back=True)

    def drain(self, deadline: float) -> None:
        """Arrivals still held back are not sent (nothing new starts after the stop); wait until nothing
        is in flight or ``deadline`` (perf_counter); what is still in flight then is unfinished."""
        now = time.perf_counter()
        while self.queue:
            self.gen.recorder.not_sent("arrival", self.queue.popleft(), "held_back", now)
        while self.in_flight and time.perf_counter() < deadline:
            gevent.sleep(0.02)
        self.gen.cut_in_flight()
        for g in list(self.greenlets):
            g.kill(block=False)
        self.greenlets.clear()
