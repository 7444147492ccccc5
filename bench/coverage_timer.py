"""A pytest plugin for ``bench/coverage_cost.py``: the CPU the suite spends counting its spec coverage.

Loaded into the suite's pytest (``-p coverage_timer``, ``bench/`` on the import path), it wraps what
counts the coverage (the transport's observer, ``contracts.coverage.Coverage``, and the coverage
ledger's methods the ledger calls on each judgement, with the lookup of the rules a judgement applied)
with per-thread CPU clocks, and at the session's end writes the total and the process's own CPU to the
file ``COVERAGE_COST_OUT`` names.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

_SPENT = [0.0]
_LOCK = threading.Lock()


def _timed(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent = time.thread_time() - started
            with _LOCK:
                _SPENT[0] += spent

    return run


def pytest_configure(config: pytest.Config) -> None:
    import contracts.gate
    from chatgate.gate.coverage_record import CoverageLedger
    from contracts.coverage import Coverage

    Coverage.sent = _timed(Coverage.sent)  # type: ignore[method-assign]
    Coverage.retried = _timed(Coverage.retried)  # type: ignore[method-assign]
    CoverageLedger.judged = _timed(CoverageLedger.judged)  # type: ignore[method-assign]
    CoverageLedger.rule = _timed(CoverageLedger.rule)  # type: ignore[method-assign]
    contracts.gate.rule_pointers = _timed(contracts.gate.rule_pointers)  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out = os.environ.get("COVERAGE_COST_OUT")
    if out:
        data = {"counting_s": _SPENT[0], "suite_cpu_s": usage.ru_utime + usage.ru_stime}
        with open(out, "w", encoding="utf-8") as f:
            json.dump(data, f)
