"""Per operation, property-based positive and negative cases with every selected schemathesis check
(plus ``schema_validation``, ``stream_grammar`` and ``stream_stalled``), and stateful chains across
operations along the specs' links.

Cases come from the specs alone and are generated before any is sent (``contracts.cases``):
``CHATGATE_MAX_EXAMPLES`` bounds each phase per operation and ``CHATGATE_SEED`` makes the run
repeatable, whatever ``CHATGATE_CONCURRENCY`` is. Chains are drawn up front too (``contracts.chains``).
The scope (``CHATGATE_SCOPE``) selects operations, checks and the generation mode; a read-only scope runs
no chain (chains send messages).
"""

from __future__ import annotations

from typing import Any

import pytest

from contracts.cases import generate
from contracts.chains import draw_chains
from contracts.conftest import CASE_CHECKS
from contracts.session import Suite
from contracts.st_checks import case_checks, describe, load_schema, run_case, run_chain
from contracts.target import selected_operations

CASES = pytest.mark.covers(CASE_CHECKS)


def _schema(suite: Suite, api: str, chain_pool: int = 0) -> Any:
    return suite.once(f"schema:{api}:{chain_pool}", lambda: load_schema(api, chain_pool=chain_pool))


def _all_cases(suite: Suite, api: str) -> dict[str, list[Any]]:
    """Every case of every selected operation of ``api``, generated once, in the spec's order: some cases
    belong to a path rather than an operation (schemathesis probes a path's undocumented methods once,
    with the first operation generated), so the order must not depend on which test asks first."""

    def generate_all() -> dict[str, list[Any]]:
        schema = _schema(suite, api)
        out = {label: generate(schema, label) for label in selected_operations(api)}
        for label, cases in out.items():
            suite.gate.ledger.generated_cases(f"{api} {label}", [describe(c) for c in cases])
        return out

    return suite.once(f"cases:{api}", generate_all)


def run_operation(suite: Suite, api: str, label: str) -> None:
    """Send every case of one operation at once (generated before anything was sent)."""
    cases = _all_cases(suite, api)[label]
    checks = case_checks(suite.gate)
    suite.map(lambda case: run_case(case, suite.gate, checks, suite.session), cases)


def run_chains(suite: Suite, api: str) -> None:
    """Draw the chains of ``api`` from the seed, then run them at once (steps of a chain in order)."""
    labels = selected_operations(api)
    if suite.gate.scope.read_only or len(labels) < 2:
        pytest.skip("no stateful chain in this scope (read-only, or fewer than two operations)")
    count = max(2, suite.max_examples // 2)
    schema = _schema(suite, api, chain_pool=count)
    pools = {label: generate(schema, label, salt=":chains") for label in labels}
    chains = draw_chains(api, suite.seed, count, {k: len(v) for k, v in pools.items()}, set(labels))
    checks = case_checks(suite.gate)
    suite.map(lambda chain: run_chain(chain, pools, suite.gate, checks, suite.session, api), chains)


@pytest.mark.api("nara")
@CASES
@pytest.mark.parametrize("operation", selected_operations("nara"))
def test_nara_operations(suite: Suite, operation: str) -> None:
    run_operation(suite, "nara", operation)


@pytest.mark.api("navigable")
@CASES
@pytest.mark.parametrize("operation", selected_operations("navigable"))
def test_navigable_operations(suite: Suite, operation: str) -> None:
    run_operation(suite, "navigable", operation)


@pytest.mark.api("nara")
@CASES
def test_nara_stateful(suite: Suite) -> None:
    run_chains(suite, "nara")


@pytest.mark.api("navigable")
@CASES
def test_navigable_stateful(suite: Suite) -> None:
    run_chains(suite, "navigable")
