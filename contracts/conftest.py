"""The conformance suite's wiring: targets, scope and settings from the environment, the session ledger,
the one transport every request goes through, the selection of tests by scope, and tests run at once.

Run it directly against any base URL (``contracts/target.py`` lists the variables)::

    CHATGATE_BASE_URL=http://127.0.0.1:8080 pytest contracts/ -p no:cacheprovider

or through ``chatgate contract``, which also starts the embedded server, probes the target first and
writes the reports. A test fails when it recorded findings; its failure text lists them. Tests of an API
not selected by ``CHATGATE_API``, or outside the scope (``CHATGATE_SCOPE``), are deselected; a check
whose every test was deselected is reported ``not_run`` with the reason.

Tests declare what they cover with ``@pytest.mark.covers(check, *operations, writes=False)``: they run
when their check is selected and one of their operations is; ``writes=True`` (the test creates
messages) keeps them out of a ``--read-only`` run. A test takes the ``suite`` fixture (and its
``parametrize`` arguments) only: with ``CHATGATE_CONCURRENCY`` above 1 every selected test is started
when the session starts (``contracts.pool.Jobs``) and pytest waits for each in its turn. Past the run's
end (``CHATGATE_RUN_ENDS_AT``) tests are skipped and listed as incomplete.
"""

from __future__ import annotations

import gc
import inspect
import os
import sys
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

from chatgate.apis import ApiName
from chatgate.contract_model import model_for
from contracts.coverage import Coverage
from contracts.gate import CURRENT_TEST, LEDGER, Gate, session_gate
from contracts.judging import count_probe
from contracts.rules import missing_rule_reasons
from contracts.session import Suite
from contracts.st_checks import case_checks
from contracts.target import (
    DEFAULT_MAX_EXAMPLES,
    ConfigProblem,
    Target,
    int_setting,
    run_settings,
    scope,
    second_target,
    selected_apis,
    selected_operations,
    target,
)
from contracts.transport import Meter, OutOfTime, Settings, Transport, install
from contracts.wire import Limits

_STARTED = time.monotonic()
_PROGRESS = {"done": 0, "total": 0}
_SUITE: list[Suite] = []
CASE_CHECKS = "(every schemathesis case)"
PROVOKED = "(documented answers the gate provokes)"  # contracts/test_provoked.py: no check of its own


def _count(api: str, operation: str, write: bool) -> None:
    LEDGER.sent(api, operation, write=write)
    count_probe()


def the_suite() -> Suite:
    """The session's :class:`~contracts.session.Suite` (built once)."""
    if not _SUITE:
        apis = selected_apis()
        second = second_target()
        max_examples = int_setting("CHATGATE_MAX_EXAMPLES", DEFAULT_MAX_EXAMPLES, 1)
        targets: dict[str, Target] = {api: target(api) for api in apis}
        suite = Suite(
            session_gate(), run_settings(), targets, second, max_examples, int_setting("CHATGATE_SEED", 0)
        )
        _SUITE.append(suite)
    return _SUITE[0]


def _keep_current_test_variable() -> None:
    """Let pytest set ``PYTEST_CURRENT_TEST`` but never delete it while the suite's threads run.

    The suite's tests run at once on worker threads while pytest walks its items on the main thread,
    deleting ``PYTEST_CURRENT_TEST`` after each. Any thread walking ``os.environ`` then (``requests``
    looks for proxies in it on every request, schemathesis' auth probes included, with sessions of their
    own) can meet the deleted key and raise ``KeyError``: the suite broke at random on a busy machine.
    Setting a value is safe for such a walk; deleting is not. pytest offers no switch, so its private
    helper is wrapped, when it exists.
    """
    from _pytest import runner

    update = getattr(runner, "_update_current_test_var", None)
    if update is None:  # pragma: no cover - another pytest: nothing to wrap
        return

    def set_only(item: pytest.Item, when: Any) -> None:
        if when is not None:
            update(item, when)

    runner._update_current_test_var = set_only


def pytest_configure(config: pytest.Config) -> None:
    _keep_current_test_variable()
    config.addinivalue_line("markers", "api(name): the API a contract test exercises (nara or navigable)")
    config.addinivalue_line(
        "markers", "covers(check, *operations, writes=False): what a contract test judges"
    )
    try:
        apis = selected_apis()
        s = run_settings()
        limits = Limits(s.deadlines, s.max_stream_bytes, s.ends_at)
        meter = Meter({api: target(api).base_url for api in apis}, _count)
        settings = Settings(limits, s.concurrency, s.rate, s.verify, s.cert)
        install(Transport(settings, meter, LEDGER.note, Coverage(LEDGER.coverage)))
        int_setting("CHATGATE_MAX_EXAMPLES", DEFAULT_MAX_EXAMPLES, 1)
        int_setting("CHATGATE_SEED", 0)
        scope()
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
    reason = None if check == PROVOKED else gate.scope.why_not_selected(check)
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
        if why is not None and why[0] and why[0] not in (CASE_CHECKS, PROVOKED):
            LEDGER.not_run(why[0], why[1])
    for check, reason in missing_rule_reasons(sorted(apis)).items():
        if gate.scope.check_selected(check):
            LEDGER.not_run(check, reason)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    _PROGRESS["total"] = len(keep)


def _job(item: pytest.Item, suite: Suite) -> Callable[[], None] | None:
    """The body of ``item`` as a job, when it takes only ``suite`` and its parametrize arguments."""
    function = getattr(item, "obj", None)
    if function is None:
        return None
    params = dict(getattr(getattr(item, "callspec", None), "params", {}))
    names = list(inspect.signature(function).parameters)
    if not set(names) <= {"suite", *params}:
        return None

    def run() -> None:
        CURRENT_TEST.set(item.nodeid)
        suite.gate.restart_clock()
        function(**{n: suite if n == "suite" else params[n] for n in names})

    return run


def pytest_collection_finish(session: pytest.Session) -> None:
    """With concurrency above 1, start every selected test now; pytest waits for each in its turn."""
    if session.config.option.collectonly or not session.items:
        return
    suite = the_suite()
    for item in session.items:
        job = _job(item, suite)
        if job is not None:
            suite.jobs.start(item.nodeid, job)


def _out_of_time(nodeid: str) -> None:
    LEDGER.incomplete(nodeid)
    pytest.skip("--max-time reached before this test ended (the run is incomplete)")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool:
    """Run the test (or wait for its job) with its findings attributed to it."""
    suite, key = the_suite(), pyfuncitem.nodeid
    token = CURRENT_TEST.set(key)
    try:
        if suite.jobs.started(key):
            suite.jobs.wait(key)
        else:
            ends = suite.settings.ends_at
            if ends is not None and time.monotonic() >= ends:
                raise OutOfTime("--max-time reached")
            suite.gate.restart_clock()
            funcargs = pyfuncitem.funcargs
            pyfuncitem.obj(**{arg: funcargs[arg] for arg in pyfuncitem._fixtureinfo.argnames})
    except OutOfTime:
        _out_of_time(key)
    finally:
        CURRENT_TEST.reset(token)
    return True


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """A module that cannot be collected tests nothing: it is an error of the run, never a pass."""
    if report.failed:
        last = str(report.longrepr).strip().splitlines()[-1:] or ["collection failed"]
        LEDGER.error(f"{report.nodeid} (collection): {last[0][:300]}")


def _progress(item: pytest.Item, report: pytest.TestReport) -> None:
    _PROGRESS["done"] += 1
    verdict = "FAILED" if report.failed else "skipped" if report.skipped else "ok"
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
    new = LEDGER.findings_of(item.nodeid)
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


# Why schemathesis' object_level_authorization judges no case (a tally, when it has one, wins over this).
# With two keys it still cannot: it replays an owner's read as another identity only with a value it can
# prove the owner's, and schemathesis 4.32 gets none from an owned listing whatever the integration (its
# own `st run` with [auth.wfc] peers and its engine's pool included).
# tests/contract/test_object_authorization.py pins each fact; when one changes, configure the second
# identity as [auth.wfc] peers in load_schema.
OLA_HAS_NO_VALUE = (
    "schemathesis 4.32 gets no value here to replay an owner's read as the other key: it takes only a "
    "linked step's path parameter or a pool value from the owner's own request, and an owned listing "
    "(x-chatgate-ownership) names its identity in the query, which it neither links nor pools "
    "(ownership_cross_user judges this)"
)


def _ola_reason(apis: list[ApiName]) -> str:
    with_identity = [a for a in apis if model_for(a).identity is not None]
    if not with_identity:
        names = " and ".join(f"the {a} spec" for a in apis)
        return f"{names} states no identity (x-chatgate-identity): there is no second identity to try"
    if second_target() is None:
        variable = model_for(with_identity[0]).identity_variable()
        return f"needs a second key ({with_identity[0].upper()}_API_KEY_2 and {variable}_2)"
    return OLA_HAS_NO_VALUE


def pytest_sessionfinish(session: pytest.Session) -> None:
    LEDGER.not_run("object_level_authorization", _ola_reason(selected_apis()))
    path = os.environ.get("CHATGATE_RESULTS_FILE")
    if path:
        LEDGER.seconds = time.monotonic() - _STARTED
        LEDGER.write(Path(path))
    if _SUITE:
        _SUITE[0].close()


def pytest_unconfigure(config: pytest.Config) -> None:
    """The results are written: let the interpreter's exit skip its full collection of everything the run
    allocated (with the plugins left unloaded, a small gate run's child CPU fell from 2.2-2.6 s to 1.8-1.9 s;
    nothing is left for it to finalize)."""
    gc.freeze()


@pytest.fixture(scope="session")
def suite() -> Suite:
    return the_suite()
