"""schemathesis cases generated up front, then sent at once.

For each operation, the cases ``schema.parametrize()`` would run are generated first, with no request in
between: the Hypothesis test schemathesis builds for the operation (examples, coverage and fuzzing
phases, the operation's seed derived from ``--seed``) is run with a test function that only collects
the case. The same seed therefore gives the same cases, in the same order, whatever the concurrency;
their digest (``generated_digest``) proves it. The cases are then sent through the pool, each with the
run's checks (recorded by the ``after_validate`` hook of ``contracts.st_checks``).

Generation holds one lock: it is CPU work (no request), and Hypothesis and schemathesis are safest
driven from one thread at a time.
"""

from __future__ import annotations

import threading
from typing import Any

from schemathesis.generation import derive_operation_seed, overrides
from schemathesis.generation.hypothesis.builder import HypothesisTestConfig, create_test
from schemathesis.pytest._test_builder import enabled_modes

from contracts.judging import AnyCase

__all__ = ["generate", "operation_of"]

_GENERATION = threading.Lock()


def operation_of(schema: Any, label: str) -> Any:
    """The schemathesis operation of ``schema`` with this label ("POST /api/v1.0/chat")."""
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label == label:
            return operation
    raise LookupError(f"no operation {label!r} in the schema")


def generate(schema: Any, label: str, salt: str = "") -> list[AnyCase]:
    """Every case of the operation ``label``, in the order schemathesis' pytest integration runs them
    (``salt`` derives another seed, for another set of cases of the same operation)."""
    operation = operation_of(schema, label)
    config = schema.config
    modes = enabled_modes(config.phases_for(operation=operation))
    cases: list[AnyCase] = []

    def collect(case: AnyCase) -> None:
        cases.append(case)

    seed = derive_operation_seed(config.seed, label + salt)
    with _GENERATION:
        test = create_test(
            operation=operation,
            test_func=collect,
            config=HypothesisTestConfig(
                project=config,
                modes=modes,
                settings=config.get_hypothesis_settings(operation=operation, phase="fuzzing"),
                explicit_setting_names=config.explicit_hypothesis_settings(
                    operation=operation, phase="fuzzing"
                ),
                seed=seed,
                override=overrides.with_config_headers(config, operation=operation),
            ),
        )
        test()
    return cases
