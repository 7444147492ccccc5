"""The conformance suite's wiring: targets from the environment, the session ledger, schemathesis schemas.

Run it directly against any base URL (``contracts/target.py`` lists the variables)::

    CHATGATE_BASE_URL=http://127.0.0.1:8080 pytest contracts/ -p no:cacheprovider

or through ``chatgate contract``, which also starts the embedded server, probes the target first and
writes the reports. A test fails when it recorded findings; its failure text lists them. Tests of an API
not selected by ``CHATGATE_API`` are deselected.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts.gate import LEDGER, Client, Gate, session_gate
from contracts.target import (
    DEFAULT_MAX_EXAMPLES,
    ConfigProblem,
    Target,
    int_setting,
    selected_apis,
    target,
)

_LEDGER = LEDGER
_STARTED = time.monotonic()
_FINDINGS_AT_START: dict[str, int] = {}
_PROGRESS = {"done": 0, "total": 0}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "api(name): the API a contract test exercises (nara or navigable)")
    try:
        apis = selected_apis()
        for api in apis:
            target(api)
        int_setting("CHATGATE_MAX_EXAMPLES", DEFAULT_MAX_EXAMPLES, 1)
        int_setting("CHATGATE_SEED", 0)
    except ConfigProblem as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    apis = set(selected_apis())
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("api")
        (keep if marker is None or marker.args[0] in apis else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    _PROGRESS["total"] = len(keep)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """A module that cannot be collected tests nothing: it is an error of the run, never a pass."""
    if report.failed:
        last = str(report.longrepr).strip().splitlines()[-1:] or ["collection failed"]
        _LEDGER.errors.append(f"{report.nodeid} (collection): {last[0][:300]}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    """A test whose call added findings fails, and its report lists them."""
    if call.when == "setup":
        _FINDINGS_AT_START[item.nodeid] = len(_LEDGER.log)
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if call.when != "call":
        if report.failed:
            _LEDGER.errors.append(
                f"{item.nodeid} ({call.when}): {str(report.longrepr).splitlines()[-1][:300]}"
            )
        return
    new = list({f.fingerprint: f for f in _LEDGER.log[_FINDINGS_AT_START.get(item.nodeid, 0) :]}.values())
    if report.failed:
        _LEDGER.errors.append(f"{item.nodeid}: {str(report.longrepr).splitlines()[-1][:300]}")
    if new:
        report.outcome = "failed"
        lines = [f"{len(new)} finding(s):"]
        lines += [f"  [{f.check}] {f.operation}: {f.title}\n      {f.message}\n      {f.curl}" for f in new]
        report.longrepr = "\n".join(lines)
    if os.environ.get("CHATGATE_PROGRESS"):
        _PROGRESS["done"] += 1
        verdict = "FAILED" if report.failed else "ok"
        step = f"[{_PROGRESS['done']:>2}/{_PROGRESS['total']}]"
        print(
            f"contract: {step} {item.name} {verdict} ({report.duration:.1f}s)",
            file=sys.stderr,
            flush=True,
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = os.environ.get("CHATGATE_RESULTS_FILE")
    if path:
        _LEDGER.seconds = time.monotonic() - _STARTED
        _LEDGER.write(Path(path))


@pytest.fixture(scope="session")
def gate() -> Gate:
    return session_gate()


@pytest.fixture(scope="session")
def max_examples() -> int:
    return int_setting("CHATGATE_MAX_EXAMPLES", DEFAULT_MAX_EXAMPLES, 1)


@pytest.fixture(scope="session")
def seed() -> int:
    return int_setting("CHATGATE_SEED", 0)


@pytest.fixture(scope="session")
def nara() -> Target:
    return target("nara")


@pytest.fixture(scope="session")
def navigable() -> Target:
    return target("navigable")


@pytest.fixture(scope="session")
def nara_client(gate: Gate, nara: Target) -> Iterator[Client]:
    client = Client(gate, nara)
    yield client
    client.close()


@pytest.fixture(scope="session")
def navigable_client(gate: Gate, navigable: Target) -> Iterator[Client]:
    client = Client(gate, navigable)
    yield client
    client.close()
