"""One test session of the suite: what every test is handed (the ``suite`` fixture).

:class:`Suite` bundles the gate (recording), the targets and their clients (the second Nara identity
too, when configured), the run's settings, the pool every fan-out goes through, and :meth:`Suite.once`
for what tests share (a populated history, a Navigable session), computed once whichever test asks
first. Its ``map`` is the pool's, with each task's stopwatch restarted::

    def test_pagination_walk(suite: Suite, sort: str | None) -> None:
        history = suite.once("populated", lambda: populate(suite))
        results = suite.map(lambda size: walk(suite.client(api), history, size, sort), (7, None))
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import requests

from contracts.client import Client, http_session
from contracts.gate import Gate
from contracts.pool import Jobs, Pool
from contracts.target import RunSettings, Target

__all__ = ["Suite"]

T = TypeVar("T")
R = TypeVar("R")


class _Once:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class Suite:
    """Everything a test of the suite needs; shared by every thread."""

    def __init__(self, gate: Gate, settings: RunSettings, targets: dict[str, Target],
                 second: Target | None, max_examples: int, seed: int) -> None:  # fmt: skip
        self.gate = gate
        self.max_examples = max_examples
        self.seed = seed
        self.settings = settings
        self.targets = targets
        self.second = second
        self.pool = Pool(settings.concurrency)
        self.jobs = Jobs(settings.concurrency > 1)
        size = settings.concurrency
        self._clients = {api: Client(gate, t, size) for api, t in targets.items()}
        self.second_client = Client(gate, second, size) if second is not None else None
        self._once: dict[str, _Once] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def client(self, api: str) -> Client:
        return self._clients[api]

    def target(self, api: str) -> Target:
        return self.targets[api]

    @property
    def session(self) -> requests.Session:
        """A ``requests`` session of this thread (schemathesis' cases are sent with it)."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = http_session(max(10, self.settings.concurrency))
            self._local.session = session
        return session

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``fn`` over ``items`` at once (results in item order); see :class:`contracts.pool.Pool`."""

        def timed(item: T) -> R:
            self.gate.restart_clock()
            return fn(item)

        return self.pool.map(timed, items)

    def once(self, key: str, fn: Callable[[], T]) -> T:
        """``fn()`` computed once for the session, whichever test asks first (the others wait for it)."""
        with self._lock:
            entry = self._once.get(key)
            mine = entry is None
            if entry is None:
                entry = self._once[key] = _Once()
        if mine:
            try:
                entry.value = fn()
            except BaseException as exc:
                entry.error = exc
            finally:
                entry.done.set()
        entry.done.wait()
        if entry.error is not None:
            raise entry.error
        return entry.value  # type: ignore[no-any-return]

    def close(self) -> None:
        for client in [*self._clients.values(), self.second_client]:
            if client is not None:
                client.close()
        self.pool.close()
