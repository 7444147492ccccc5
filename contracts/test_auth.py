"""``auth``: missing or wrong credentials give 401 in the API's error envelope, on every operation.

Each request is otherwise valid, so only the credentials can be the reason to refuse it.
"""

from __future__ import annotations

from typing import Any

import pytest

from chatgate.specs import load_spec, schema_validator
from contracts.gate import Client, Gate
from contracts.target import Target
from contracts.validation import Problem, violations

WRONG_KEY = "chatgate-wrong-key-0000"

# (api, method, path, request kwargs) for every operation of both specs.
OPERATIONS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("nara", "POST", "/api/v1.0/chat", {"json": {"message": "auth?", "conversation_id": "chatgate-auth"}}),
    ("nara", "GET", "/api/v1.0/chat/messages", {"params": {"user_id": "{user_id}"}}),
    ("navigable", "GET", "/api/v1/chat", {"params": {"identifier": "chatgate-auth"}}),
    ("navigable", "POST", "/api/v1/chat", {"json": {"message": "auth?", "identifier": "chatgate-auth"}}),
]
CREDENTIALS = {
    "nara": {
        "none": {},
        "wrong key": {"Authorization": f"Bearer {WRONG_KEY}"},
        "wrong scheme": {"Authorization": "Token x"},
    },
    "navigable": {"none": {}, "wrong key": {"X-Api-Key": WRONG_KEY}, "empty key": {"X-Api-Key": ""}},
}


def test_every_operation_is_covered() -> None:
    """The table above names every operation of both specs (a new operation must be added here)."""
    from chatgate.specs import operations

    listed = {(api, m, p) for api, m, p, _ in OPERATIONS}
    for api in ("nara", "navigable"):
        for op in operations(load_spec(api)):
            assert (api, op.method.upper(), op.path) in listed


@pytest.mark.parametrize(
    ("api", "method", "path", "kwargs"),
    [
        pytest.param(
            *op,
            marks=[pytest.mark.api(op[0]), pytest.mark.covers("auth", f"{op[1]} {op[2]}")],
            id=f"{op[0]} {op[1]} {op[2]}",
        )
        for op in OPERATIONS
    ],
)
def test_refused_without_valid_credentials(
    request: pytest.FixtureRequest, gate: Gate, api: str, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    client: Client = request.getfixturevalue(f"{api}_client")
    t: Target = request.getfixturevalue(api)
    spec = load_spec(api)
    envelope = schema_validator(spec, "#/components/responses/Unauthorized/content/application~1json/schema")
    if "params" in kwargs:
        kwargs = {
            **kwargs,
            "params": {k: str(v).format(user_id=t.user_id) for k, v in kwargs["params"].items()},
        }
    for label, headers in CREDENTIALS[api].items():
        ex = client.request(method, path, headers=headers, auth=False, **kwargs)
        problems = []
        if ex.status != 401:
            problems.append(Problem(f"credentials {label}: not refused with 401", f"got {ex.status}"))
        else:
            doc = ex.json()
            if doc is None:
                problems.append(Problem("401 body is not JSON", f"{ex.content_type}: {ex.body[:120]!r}"))
            else:
                problems += [
                    Problem(f"401 envelope: {p.title}", p.message, f"401 envelope: {p.key}")
                    for p in violations(envelope, doc)
                ]
        gate.check(api, f"{method} {path}", "auth", problems, ex)
