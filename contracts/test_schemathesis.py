"""Per operation, property-based positive and negative cases with every default schemathesis check
(plus ``schema_validation`` and ``stream_grammar``), and stateful workflows across operations.

Cases come from the specs alone; ``CHATGATE_MAX_EXAMPLES`` bounds each phase per operation and
``CHATGATE_SEED`` makes the run repeatable.
"""

from __future__ import annotations

import contextlib
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.core.failures import FailureGroup

from contracts.gate import Gate
from contracts.st_checks import EXTRA_CHECKS, load_schema, record_transport, run_case

nara_schema = load_schema("nara")
navigable_schema = load_schema("navigable")


@pytest.mark.api("nara")
@nara_schema.parametrize()
def test_nara_operations(case: schemathesis.Case, gate: Gate) -> None:
    run_case(case, gate)


@pytest.mark.api("navigable")
@navigable_schema.parametrize()
def test_navigable_operations(case: schemathesis.Case, gate: Gate) -> None:
    run_case(case, gate)


def _run_stateful(schema: Any, gate: Gate, max_examples: int, seed: int) -> None:
    import requests

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            with contextlib.suppress(FailureGroup):  # recorded by the after_validate hook
                case.validate_response(response, additional_checks=EXTRA_CHECKS, transport_kwargs=kwargs)

        def call(self, case: schemathesis.Case, **kwargs: Any) -> Any:
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
def test_nara_stateful(gate: Gate, max_examples: int, seed: int) -> None:
    _run_stateful(nara_schema, gate, max_examples, seed)


@pytest.mark.api("navigable")
def test_navigable_stateful(gate: Gate, max_examples: int, seed: int) -> None:
    _run_stateful(navigable_schema, gate, max_examples, seed)
