"""The conformance suite's wiring: targets and scope from the environment, the session ledger, the
transport that counts every request, and the selection of tests by scope.

Run it directly against any base URL (``contracts/target.py`` lists the variables)::

    CHATGATE_BASE_URL=http://127.0.0.1:8080 pytest contracts/ -p no:cacheprovider

or through ``chatgate contract``, which also starts the embedded server, probes the target first and
writes the reports. A test fails when it recorded findings; its failure text lists them. Tests of an API
not selected by ``CHATGATE_API``, or outside the scope (``CHATGATE_SCOPE``), are deselected; a check
whose every test was deselected is reported ``not_run`` with the reason.

Tests declare what they cover with ``@pytest.mark.covers(check, *operations, writes=False)``: they run
when their check is selected and one of their operations is; ``writes=True`` (the test creates
messages) keeps them out of a ``--read-only`` run.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from chatgate.apis import ApiName
from contracts.gate import LEDGER, Client, Gate, session_gate
from contracts.judging import count_probe
from contracts.st_checks import case_checks
from contracts.target import (
    DEFAULT_MAX_EXAMPLES,
    ConfigProblem,
    Target,
    int_setting,
    scope,
    second_target,
    selected_apis,
    selected_operations,
    target,
)
from contracts.transport import Meter, install

_STARTED = time.monotonic()
_MARKS: dict[str, int] = {}
_PROGRESS = {"done": 0, "total": 0}
CASE_CHECKS = "(every schemathesis case)"


def _count(api: str, operation: str, write: bool) -> None:
    LEDGER.sent(api, operation, write=write)
    count_probe()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "api(name): the API a contract test exercises (nara or navigable)")
    config.addinivalue_line(
        "markers", "covers(check, *operations, writes=False): what a contract test judges"
    )
    try:
        apis = selected_apis()
        install(Meter({api: target(api).base_url for api in apis}, _count))
        int_setting("CHATGATE_MAX_EXAMPLES", DEFAULT_MAX_EXAMPLES, 1)
        int_setting("CHATGATE_SEED", 0)
        scope()
        if "nara" in apis:
            second_target()
    except ConfigProblem as exc:
        raise pytest.UsageError(str(exc)) from None


def _why_deselected(item: pytest.Item, apis: set[ApiName], gate: Gate) -> tuple[str, str] | None:
    """(check, reason) when ``item`` is outside the run, else None."""
    marker = item.get_closest_marker("api")
    if marker is not None and marker.args[0] not in apis:
        return ("", "API not selected")
    covers = item.get_closest_marker("covers")
    if covers is None:
        return None
    check, *operations = covers.args
    if check == CASE_CHECKS:
        return None if case_checks(gate) else (check, "no check of schemathesis cases selected")
    reason = gate.scope.why_not_selected(check)
    if reason is not None:
        return check, reason
    api = str(marker.args[0]) if marker is not None else ""
    chosen = {op for a in apis for op in selected_operations(a)} if not api else set(selected_operations(api))
    if operations and not chosen & set(operations):
        return check, "its operation is not selected"
    if covers.kwargs.get("writes") and gate.scope.read_only:
        return check, "needs to create messages (--read-only)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    apis = set(selected_apis())
    gate = session_gate()
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        why = _why_deselected(item, apis, gate)
        (keep if why is None else drop).append(item)
        if why is not None and why[0] and why[0] != CASE_CHECKS:
            LEDGER.not_run(why[0], why[1])
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    _PROGRESS["total"] = len(keep)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """A module that cannot be collected tests nothing: it is an error of the run, never a pass."""
    if report.failed:
        last = str(report.longrepr).strip().splitlines()[-1:] or ["collection failed"]
        LEDGER.error(f"{report.nodeid} (collection): {last[0][:300]}")


def pytest_runtest_setup(item: pytest.Item) -> None:
    session_gate().restart_clock()
    _MARKS[item.nodeid] = LEDGER.mark()


def _progress(item: pytest.Item, report: pytest.TestReport) -> None:
    _PROGRESS["done"] += 1
    verdict = "FAILED" if report.failed else "ok"
    step = f"[{_PROGRESS['done']:>2}/{_PROGRESS['total']}]"
    print(f"contract: {step} {item.name} {verdict} ({report.duration:.1f}s)", file=sys.stderr, flush=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    """A test whose call added findings fails, and its report lists them."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if call.when != "call":
        if report.failed:
            LEDGER.error(f"{item.nodeid} ({call.when}): {str(report.longrepr).splitlines()[-1][:300]}")
        return
    new = LEDGER.findings_since(_MARKS.get(item.nodeid, 0))
    if report.failed:
        LEDGER.error(f"{item.nodeid}: {str(report.longrepr).splitlines()[-1][:300]}")
    if new:
        report.outcome = "failed"
        lines = [f"{len(new)} finding(s):"]
        for f in new:
            where = f.examples[0].url if f.examples else ""
            lines.append(f"  [{f.check}] {f.operation}: {f.title}\n      {f.message}\n      {where}")
        report.longrepr = "\n".join(lines)
    if os.environ.get("CHATGATE_PROGRESS"):
        _progress(item, report)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if "nara" in selected_apis():
        reason = (
            "needs a second key (NARA_API_KEY_2 and NARA_USER_ID_2)"
            if second_target() is None
            else "the second key is not handed to schemathesis yet (its peers need [auth.wfc] identities)"
        )
        LEDGER.not_run("object_level_authorization", reason)
    path = os.environ.get("CHATGATE_RESULTS_FILE")
    if path:
        LEDGER.seconds = time.monotonic() - _STARTED
        LEDGER.write(Path(path))


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
