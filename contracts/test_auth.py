"""``auth``: credentials only where the spec documents them, on every operation of both specs.

What each operation accepts comes from its spec's ``securitySchemes`` (the operation's ``security``, else
the spec's). Missing or wrong credentials give 401 in the API's documented envelope; so does the *right*
key sent where no accepted scheme puts it (bare, under another scheme, as Basic credentials, in the query
string, in another usual header: ``chatgate.contract_model.refused_placements``). And the right key is
accepted in *every* scheme the operation documents (an ``http`` scheme's name case-insensitively, RFC
7235: ``bearer`` as well as ``Bearer``). Each request is otherwise valid (built from the spec), so only
the credentials can be the reason to refuse it. The variants of one operation are sent at once.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import pytest

from chatgate.contract_model import (
    AuthScheme,
    ContractModel,
    Operation,
    Placement,
    build_body,
    build_query,
    model_for,
    refused_placements,
)
from contracts.client import Exchange
from contracts.failures import CREDENTIALS_NOT_ENFORCED, KEY_ACCEPTED_ELSEWHERE, SCHEME_REFUSED
from contracts.rules import usable_models
from contracts.session import Suite
from contracts.validation import Problem, validator_for, violations

WRONG_KEY = "chatgate-wrong-key-0000"


def _operations() -> list[Any]:
    out = []
    for model in usable_models():
        api = model.api
        for op in model.operations:
            if not op.schemes or op.auth_optional:
                continue  # an operation that takes requests without credentials refuses none
            marks = [pytest.mark.api(api), pytest.mark.covers("auth", op.label)]
            out.append(pytest.param(api, op.label, marks=marks, id=f"{api} {op.label}"))
    return out


def _refused(schemes: tuple[AuthScheme, ...], key: str) -> dict[str, Placement]:
    """Credentials each operation must refuse: label -> where they go. ``key`` is the right key. Those
    before the right key's wrong places are not valid credentials at all."""
    out = {"none": Placement({}, {})}
    for s in schemes:
        out[f"wrong key ({s.name})"] = s.place(WRONG_KEY)
        if s.is_http:
            out[f"wrong scheme ({s.name})"] = Placement({s.field: "Token x"}, {})
        else:
            out[f"empty key ({s.name})"] = s.place("")
    return {**out, **refused_placements(schemes, key)}


def _accepted(schemes: tuple[AuthScheme, ...], key: str) -> dict[str, tuple[str, Placement]]:
    """The right key in every documented scheme (an http scheme's name in lower case too), each with the
    scheme it is sent in. A refusal is that scheme's one defect; the plain send's label sorts before the
    lower-case one's, so the gate shows it first and the lower-case refusal as agreeing."""
    out = {f"the right key in {s.name}": (s.name, s.place(key)) for s in schemes}
    for s in schemes:
        if s.is_http:
            word = s.prefix.strip().lower()
            out[f"the right key in {s.name} with '{word}' in lower case"] = (
                s.name,
                s.place(key, prefix=s.prefix.lower()),
            )
    return out


def _valid_request(suite: Suite, model: ContractModel, op: Operation) -> dict[str, Any]:
    """A request to ``op`` that is valid but for its credentials (built from the spec)."""
    identity = suite.client(model.api).target.user_id
    session = f"chatgate-auth-{uuid.uuid4().hex[:8]}"
    kwargs: dict[str, Any] = {
        "params": build_query(op, bound=model.identity_parameters(op, identity), session=session)
    }
    if op.body is not None:
        kwargs["json"] = build_body(op, message="auth?", session=session, stream=False)
    return kwargs


def _refusal_problems(label: str, ex: Exchange, api: str, op: Operation, elsewhere: bool) -> list[Problem]:
    if ex.status != 401:
        defect = KEY_ACCEPTED_ELSEWHERE if elsewhere else CREDENTIALS_NOT_ENFORCED
        return [Problem(f"credentials {label}: not refused with 401", f"got {ex.status}", defect=defect)]
    doc = ex.json()
    if doc is None:
        return [Problem("401 body is not JSON", f"{ex.content_type}: {ex.body[:120]!r}")]
    model = model_for(api)
    pointer = model.schema(op, 401, "application/json")
    if pointer is None:
        return []
    return [
        replace(p, title=f"401 envelope: {p.title}", signature=f"401 envelope: {p.key}")
        for p in violations(validator_for(api, pointer), doc, spec=model.spec, base=pointer)
    ]


@pytest.mark.parametrize(("api", "operation"), _operations())
def test_refused_without_valid_credentials(suite: Suite, api: str, operation: str) -> None:
    model = model_for(api)
    op = model.by_label(operation)
    assert op is not None
    client, key = suite.client(api), suite.client(api).target.key
    request = _valid_request(suite, model, op)

    def send(variant: tuple[str, Placement]) -> Exchange:
        _, where = variant
        params = {**request["params"], **where.query}
        return client.request(
            op, params=params, headers=dict(where.headers), auth=False, json=request.get("json")
        )

    elsewhere = refused_placements(op.schemes, key)
    refused = list(_refused(op.schemes, key).items())
    for (label, _), ex in zip(refused, suite.map(send, refused), strict=True):
        problems = _refusal_problems(label, ex, api, op, label in elsewhere)
        suite.gate.check(api, op.label, "auth", problems, client.example(ex))
    accepted = [(label, where) for label, (_, where) in _accepted(op.schemes, key).items()]
    schemes = [scheme for scheme, _ in _accepted(op.schemes, key).values()]
    for (label, _), scheme, ex in zip(accepted, schemes, suite.map(send, accepted), strict=True):
        problems = []
        if ex.status in (401, 403):
            defect = f"{SCHEME_REFUSED}: {scheme}"
            problems.append(
                Problem(f"{label} refused", f"got {ex.status} (the spec documents it)", defect=defect)
            )
        suite.gate.check(api, op.label, "auth", problems, client.example(ex))
