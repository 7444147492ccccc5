"""Per operation, property-based positive and negative cases with every selected schemathesis check
(plus ``schema_validation`` and ``stream_grammar``), and stateful workflows across operations.

Cases come from the specs alone; ``CHATGATE_MAX_EXAMPLES`` bounds each phase per operation and
``CHATGATE_SEED`` makes the run repeatable. The scope (``CHATGATE_SCOPE``) selects operations, checks
and the generation mode; a read-only scope runs no stateful workflow (its chains send messages).
"""

from __future__ import annotations

import contextlib
from typing import Any

import hypothesis
import pytest
import requests
from schemathesis.core.failures import Failure, FailureGroup

from contracts.conftest import CASE_CHECKS
from contracts.gate import Gate
from contracts.judging import AnyCase
from contracts.st_checks import case_checks, load_schema, record_transport, run_case
from contracts.target import selected_operations

nara_schema = load_schema("nara")
navigable_schema = load_schema("navigable")
CASES = pytest.mark.covers(CASE_CHECKS)


@pytest.mark.api("nara")
@CASES
@nara_schema.parametrize()  # type: ignore[untyped-decorator]
def test_nara_operations(case: AnyCase, gate: Gate) -> None:
    run_case(case, gate, case_checks(gate))


@pytest.mark.api("navigable")
@CASES
@navigable_schema.parametrize()  # type: ignore[untyped-decorator]
def test_navigable_operations(case: AnyCase, gate: Gate) -> None:
    run_case(case, gate, case_checks(gate))


def _run_stateful(schema: Any, gate: Gate, max_examples: int, seed: int) -> None:
    checks = case_checks(gate)

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def validate_response(self, response: Any, case: AnyCase, **kwargs: Any) -> None:
            with contextlib.suppress(FailureGroup, Failure):  # recorded by the after_validate hook
                case.validate_response(response, checks=checks, transport_kwargs=kwargs)

        def call(self, case: AnyCase, **kwargs: Any) -> Any:
            try:
                return case.call(**kwargs)
            except requests.RequestException as exc:
                record_transport(gate, case, exc)
                raise hypothesis.errors.UnsatisfiedAssumption() from None

    hypothesis.seed(seed)(Workflow)
    settings = hypothesis.settings(
        max_examples=max(2, max_examples // 2),
        stateful_step_count=6,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.generate],
    )
    Workflow.run(settings=settings)


@pytest.mark.api("nara")
@CASES
def test_nara_stateful(gate: Gate, max_examples: int, seed: int) -> None:
    if gate.scope.read_only or len(selected_operations("nara")) < 2:
        pytest.skip("no stateful chain in this scope (read-only, or fewer than two operations)")
    _run_stateful(nara_schema, gate, max_examples, seed)


@pytest.mark.api("navigable")
@CASES
def test_navigable_stateful(gate: Gate, max_examples: int, seed: int) -> None:
    if gate.scope.read_only or len(selected_operations("navigable")) < 2:
        pytest.skip("no stateful chain in this scope (read-only, or fewer than two operations)")
    _run_stateful(navigable_schema, gate, max_examples, seed)
