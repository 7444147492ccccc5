"""Why schemathesis' ``object_level_authorization`` cannot judge the Nara API, pinned against schemathesis
4.32 itself (the gate reports the check ``not_run`` with this reason when two keys are configured).

The check (``schemathesis/specs/openapi/object_authorization.py``) replays a successful GET made by one
``[auth.wfc]`` peer (the owner, ``case.auth_identity``) as every other peer, for each value it can prove
the owner owns, and fails when a peer gets the owner's object. It takes such values from two places
only:

- ``_linked_values``: the *path* parameters of a stateful step whose parent step the owner sent;
- ``_drawn_values``: the case's pool draws (``case.meta.pool_draws``) that came from the owner's own
  request (``source_identity``) and were not a value that request named itself (``source_input``).

Nara's only read, ``GET /api/v1.0/chat/messages``, names its user by a *query* parameter and has no
path parameter; the pool binds that parameter to a resource no answer is recorded as, and requests
are recorded from their path and body only; the one request that proves ownership, the send, is
analysed by its event-stream schema, which names no user. So no owner read ever carries a value and
the check sends nothing, however the server behaves. These tests show it: the analysis facts, then the
check with two identities configured as schemathesis supports them and its pool filled as its engine
fills it, against a server where each user reads the other's messages (caught by chatgate's
``ownership_cross_user``, see the catalogue). If a schemathesis upgrade changes any of this, these
tests fail: wire the second identity into ``contracts/st_checks.load_schema`` then.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import overrides
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.hypothesis.builder import HypothesisTestConfig, create_test
from schemathesis.pytest._test_builder import enabled_modes
from schemathesis.resources import PoolDraw
from schemathesis.specs.openapi.object_authorization import check_object_level_authorization

from chatgate.specs import spec_path
from tests.contract.conftest import Faulty

pytestmark = pytest.mark.slow

LIST, SEND = "GET /api/v1.0/chat/messages", "POST /api/v1.0/chat"
OWNER, PEER = ("user-1001", "nara-dev-key-1001", 1001), ("user-1002", "nara-dev-key-1002", 1002)


def _schema(base_url: str = "http://127.0.0.1:9", wfc: Path | None = None) -> Any:
    generation = {"max-examples": 10, "database": "none"}
    settings: dict[str, Any] = {"base-url": base_url, "seed": 1, "generation": generation}
    if wfc is not None:  # the two identities as schemathesis supports them: [auth.wfc] peers, owner pinned
        entries = [
            {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {key}"}]}
            for name, key, _ in (OWNER, PEER)
        ]
        wfc.write_text(json.dumps({"auth": entries}), encoding="utf-8")
        settings["auth"] = {"wfc": {"path": str(wfc), "user": OWNER[0], "peers": [OWNER[0], PEER[0]]}}
    return schemathesis.openapi.from_path(spec_path("nara"), config=schemathesis.Config.from_dict(settings))


def test_the_nara_read_names_its_user_where_schemathesis_takes_no_value() -> None:
    schema = _schema()
    graph = schema.analysis.dependency_graph
    listing = schema.find_operation_by_label(LIST)
    assert not listing.path_parameters  # nothing for _linked_values
    (slot,) = [s for s in graph.operations[LIST].inputs if s.parameter_name == "user_id"]
    assert slot.parameter_location == ParameterLocation.QUERY
    produced = {o.resource.name for node in graph.operations.values() for o in node.outputs}
    assert slot.resource.name not in produced  # no answer is ever recorded as what user_id draws from
    assert all(
        "user_id" not in o.resource.fields for o in graph.operations[SEND].outputs
    )  # the stream's event
    pool = schema.create_extra_data_source()
    pool.record_request(operation=listing, case=listing.Case(query={"user_id": 1001}), status_code=200)
    assert pool.repository.iter_instances(slot.resource.name) == ()  # a query value is not recorded


def _generate(schema: Any, label: str, feedback: FeedbackSources) -> tuple[Any, list[Any]]:
    """The operation's cases as chatgate generates them up front (contracts/cases.py), with the pool."""
    operation = schema.find_operation_by_label(label)
    cases: list[Any] = []

    def collect(case: Any) -> None:
        cases.append(case)

    config = HypothesisTestConfig(
        project=schema.config,
        modes=enabled_modes(schema.config.phases_for(operation=operation)),
        settings=schema.config.get_hypothesis_settings(operation=operation, phase="fuzzing"),
        seed=1,
        override=overrides.with_config_headers(schema.config, operation=operation),
        feedback=feedback,
    )
    create_test(operation=operation, test_func=collect, config=config)()
    return operation, cases


def _requests_seen(base_url: str) -> int:
    stats = httpx.get(f"{base_url}/_chatgate/stats", timeout=5).json()
    return int(stats["total"]) + sum(stats["unmatched"].values())


def _leaks(base_url: str) -> bool:
    """Whether the peer's key reads the owner's listing (the fault is real)."""
    answer = httpx.get(f"{base_url}/api/v1.0/chat/messages", params={"user_id": OWNER[2]},
                       headers={"Authorization": f"Bearer {PEER[1]}"}, timeout=5)  # fmt: skip
    return answer.status_code == 200 and {r["user_id"] for r in answer.json()["data"]} == {OWNER[2]}


def test_with_two_identities_the_check_sends_nothing_even_where_users_read_each_other(
    faulty: Faulty, tmp_path: Path
) -> None:
    server = faulty("nara-cross-user-readable", seed_messages=6)
    assert _leaks(server.base_url)
    schema = _schema(server.base_url, tmp_path / "wfc.json")
    pool = schema.create_extra_data_source()
    feedback, session = FeedbackSources(extra_data_source=pool), requests.Session()
    for _ in range(2):  # the pool filled from the owner's own sends and reads, as the engine fills it
        for label in (SEND, LIST):
            operation, cases = _generate(schema, label, feedback)
            for case in cases:
                response = case.call(session=session)
                pool.record_request(operation=operation, case=case, status_code=response.status_code)
                pool.record_response(operation=operation, response=response, case=case)
    recorded = {(i.source_operation, i.identity) for i in pool.repository.iter_instances("ChatMessage")}
    assert (LIST, OWNER[0]) in recorded  # the owner's messages are in the pool, as the owner's
    _, cases = _generate(schema, LIST, feedback)
    before, owner_reads = _requests_seen(server.base_url), 0
    for case in cases:
        response = case.call(session=session)
        owner_reads += case.auth_identity == OWNER[0] and response.status_code == 200
        case.validate_response(response, checks=[check_object_level_authorization])  # raises on a failure
        assert not [d for d in case.meta.pool_draws if d.parameter_name == "user_id"]
    assert owner_reads >= 3  # reads of the owner's own listing, by its owner, were judged...
    assert _requests_seen(server.base_url) - before == len(cases)  # ...and not one was replayed as the peer


def test_one_owner_value_is_all_it_lacks(faulty: Faulty, tmp_path: Path) -> None:
    """The counterfactual, to pin what is missing (never done by the gate): an owner read that carries the
    one thing schemathesis cannot produce for this API, a pool draw of its ``user_id`` from the owner's
    own send, is replayed as the peer and fails on this server, and passes on the faithful one."""
    verdicts = {}
    for fault in ("nara-cross-user-readable", "none"):
        server = faulty(fault, seed_messages=6)
        schema = _schema(server.base_url, tmp_path / f"{fault}.json")
        _, cases = _generate(schema, LIST, FeedbackSources())
        case = next(c for c in cases if c.query.get("user_id") in (OWNER[2], str(OWNER[2])))
        draw = PoolDraw(
            location="query",
            parameter_name="user_id",
            resource_name="User",
            resource_field="user_id",
            source_operation=SEND,
            source_status=200,
            source_identity=OWNER[0],
            source_input=False,
            source_query=None,
        )
        object.__setattr__(case, "_meta", dataclasses.replace(case.meta, pool_draws=(draw,)))
        response = case.call()
        assert case.auth_identity == OWNER[0] and response.status_code == 200
        try:
            case.validate_response(response, checks=[check_object_level_authorization])
            verdicts[fault] = "passed"
        except (Failure, FailureGroup) as failure:
            failures = failure.exceptions if isinstance(failure, FailureGroup) else [failure]
            verdicts[fault] = " ".join(type(f).__name__ for f in failures)
    assert verdicts == {"nara-cross-user-readable": "ObjectLevelAuthorizationViolation", "none": "passed"}


def test_without_identities_no_case_has_an_owner() -> None:
    """With the key as a configured header (one key), no case has an owner: the check starts from none."""
    _, cases = _generate(_schema(), LIST, FeedbackSources())
    assert cases and all(c.auth_identity is None for c in cases)
