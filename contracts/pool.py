"""How the suite runs things at once: a fixed set of workers for fan-out, and tests started up front.

``--concurrency N`` bounds the requests in flight (the transport holds one of N slots per request,
``contracts.transport``). Here are the two ways the suite gets work to that bound:

- :class:`Pool` with N workers: ``pool.map(fn, items)`` runs ``fn`` over ``items`` at once and returns
  the results *in the order of the items*, whatever order they finished in, so merging stays
  order-independent. The caller helps: while it waits it runs its own tasks that no worker took yet, so
  a task may fan out again without deadlocking the pool. With ``N == 1`` there are no workers at all:
  every task runs inline, in order: today's serial order.
- :class:`Jobs`: with N > 1 every selected test's body is started on its own thread when the session
  starts, so the tests overlap (a slow stateful chain runs beside a pagination walk); pytest then takes
  each test in its turn and waits for its job, re-raising what it raised. With N == 1 nothing is started
  early: pytest calls each test itself.

Each task and job runs in a copy of its caller's ``contextvars`` context, so what a test records is
attributed to that test whichever thread records it.
"""

from __future__ import annotations

import contextvars
import threading
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

__all__ = ["Jobs", "Pool"]

T = TypeVar("T")
R = TypeVar("R")


class _Task(Generic[R]):
    __slots__ = ("_claimed", "_lock", "context", "done", "error", "fn", "result")

    def __init__(self, fn: Callable[[], R]) -> None:
        self.fn = fn
        self.context = contextvars.copy_context()
        self._lock = threading.Lock()
        self._claimed = False
        self.done = threading.Event()
        self.result: R | None = None
        self.error: BaseException | None = None

    def claim(self) -> bool:
        with self._lock:
            if self._claimed:
                return False
            self._claimed = True
            return True

    def run(self) -> None:
        try:
            self.result = self.context.run(self.fn)
        except BaseException as exc:  # re-raised by the caller of map (pytest's skips included)
            self.error = exc
        finally:
            self.done.set()


class Pool:
    """``size`` workers (none when ``size`` is 1); see the module docstring."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._queue: deque[_Task[Any]] = deque()
        self._ready = threading.Condition()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"chatgate-pool-{i}", daemon=True)
            for i in range(self.size if self.size > 1 else 0)
        ]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closed:
                    self._ready.wait()
                if self._closed and not self._queue:
                    return
                task = self._queue.popleft()
            if task.claim():
                task.run()

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``[fn(item) for item in items]``, at once; the first error (in item order) is raised after
        every task has ended."""
        tasks: list[_Task[R]] = [_Task(_bind(fn, item)) for item in items]
        if self._threads and len(tasks) > 1:
            with self._ready:
                self._queue.extend(tasks)
                self._ready.notify_all()
        for task in tasks:  # help: whatever no worker took yet runs here, in order
            if task.claim():
                task.run()
        for task in tasks:
            task.done.wait()
        for task in tasks:
            if task.error is not None:
                raise task.error
        return [task.result for task in tasks]  # type: ignore[misc]

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()


def _bind(fn: Callable[[T], R], item: T) -> Callable[[], R]:
    return lambda: fn(item)


class Jobs:
    """Test bodies started up front (only when ``enabled``), each waited for in its turn."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._jobs: dict[str, _Task[Any]] = {}

    def start(self, key: str, fn: Callable[[], Any]) -> None:
        if not self.enabled or key in self._jobs:
            return
        task: _Task[Any] = _Task(fn)
        task.claim()
        self._jobs[key] = task
        threading.Thread(target=task.run, name=f"chatgate-job-{len(self._jobs)}", daemon=True).start()

    def started(self, key: str) -> bool:
        return key in self._jobs

    def wait(self, key: str) -> Any:
        """The job's result; what it raised is raised here."""
        task = self._jobs[key]
        task.done.wait()
        if task.error is not None:
            raise task.error.with_traceback(task.error.__traceback__)
        return task.result
