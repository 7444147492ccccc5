"""``auth``: credentials only where the spec documents them, on every operation.

Missing or wrong credentials give 401 in the API's error envelope; so does the *right* key sent where
the spec does not put it (``x-chatgate-assumption`` on each spec's security scheme): Nara's key bare,
under another scheme or in the query string, Navigable's in ``Authorization`` or in the query string.
Authentication schemes are case-insensitive (RFC 7235), so Nara must accept ``bearer <key>``. Each
request is otherwise valid, so only the credentials can be the reason to refuse it. The variants of one
operation are sent at once.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from chatgate.specs import load_spec, schema_validator
from contracts.client import Exchange
from contracts.session import Suite
from contracts.validation import Problem, violations

WRONG_KEY = "chatgate-wrong-key-0000"

# (api, method, path, request kwargs) for every operation of both specs.
OPERATIONS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("nara", "POST", "/api/v1.0/chat", {"json": {"message": "auth?", "conversation_id": "chatgate-auth"}}),
    ("nara", "GET", "/api/v1.0/chat/messages", {"params": {"user_id": "{user_id}"}}),
    ("navigable", "GET", "/api/v1/chat", {"params": {"identifier": "chatgate-auth"}}),
    ("navigable", "POST", "/api/v1/chat", {"json": {"message": "auth?", "identifier": "chatgate-auth"}}),
]


def refused(api: str, key: str) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """Credentials each API must refuse: label -> (headers, query parameters). ``key`` is the right key."""
    if api == "nara":
        basic = base64.b64encode(f"{key}:".encode()).decode()
        return {
            "none": ({}, {}),
            "wrong key": ({"Authorization": f"Bearer {WRONG_KEY}"}, {}),
            "wrong scheme": ({"Authorization": "Token x"}, {}),
            "the right key bare": ({"Authorization": key}, {}),
            "the right key under another scheme": ({"Authorization": f"Token {key}"}, {}),
            "the right key as Basic credentials": ({"Authorization": f"Basic {basic}"}, {}),
            "the right key in the query string": ({}, {"api_key": key, "access_token": key}),
            "the right key in X-Api-Key": ({"X-Api-Key": key}, {}),
        }
    return {
        "none": ({}, {}),
        "wrong key": ({"X-Api-Key": WRONG_KEY}, {}),
        "empty key": ({"X-Api-Key": ""}, {}),
        "the right key as a Bearer token": ({"Authorization": f"Bearer {key}"}, {}),
        "the right key bare in Authorization": ({"Authorization": key}, {}),
        "the right key in the query string": ({}, {"api_key": key, "x-api-key": key}),
    }


def test_every_operation_is_covered() -> None:
    """The table above names every operation of both specs (a new operation must be added here)."""
    from chatgate.specs import operations

    listed = {(api, m, p) for api, m, p, _ in OPERATIONS}
    for api in ("nara", "navigable"):
        for op in operations(load_spec(api)):
            assert (api, op.method.upper(), op.path) in listed


def _refusal_problems(label: str, ex: Exchange, envelope: Any) -> list[Problem]:
    if ex.status != 401:
        return [Problem(f"credentials {label}: not refused with 401", f"got {ex.status}")]
    doc = ex.json()
    if doc is None:
        return [Problem("401 body is not JSON", f"{ex.content_type}: {ex.body[:120]!r}")]
    return [
        Problem(f"401 envelope: {p.title}", p.message, f"401 envelope: {p.key}")
        for p in violations(envelope, doc)
    ]


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
    suite: Suite, api: str, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    client, t = suite.client(api), suite.target(api)
    envelope = schema_validator(
        load_spec(api), "#/components/responses/Unauthorized/content/application~1json/schema"
    )
    params = {k: str(v).format(user_id=t.user_id) for k, v in kwargs.get("params", {}).items()}
    body = {k: v for k, v in kwargs.items() if k != "params"}
    variants = list(refused(api, t.key).items())

    def send(variant: tuple[str, tuple[dict[str, str], dict[str, str]]]) -> None:
        label, (headers, query) = variant
        ex = client.request(method, path, headers=headers, auth=False, params={**params, **query}, **body)
        suite.gate.check(
            api, f"{method} {path}", "auth", _refusal_problems(label, ex, envelope), client.example(ex)
        )

    suite.map(send, variants)
    if api == "nara":  # RFC 7235: the scheme is case-insensitive
        ex = client.request(method, path, headers={"Authorization": f"bearer {t.key}"}, auth=False,
                            params=params, **body)  # fmt: skip
        problems = []
        if ex.status in (401, 403):
            problems.append(Problem("lower-case 'bearer' scheme refused", f"got {ex.status} (RFC 7235)"))
        suite.gate.check(api, f"{method} {path}", "auth", problems, client.example(ex))
