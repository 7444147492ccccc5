"""Documented answers the gate provokes itself, because they are cheap and safe to cause: no check of
their own, but without them a run never exercises them (the coverage in summary.json says so).

- A request body over the limit the spec states (``x-chatgate-body-limit`` on the response a larger body
  gets): a valid body, padded with JSON whitespace past the limit, so only its size is wrong.
- A body of a media type the operation does not take, where the spec documents 415 for it (HTTP's
  "Unsupported Media Type", RFC 9110): the same valid body, sent as another media type.

Neither is sent under ``--read-only`` (a target that wrongly accepts one would store a message), nor
when the limit is too large to send cheaply (:data:`MAX_PROVOKED_BYTES`). What came back is judged as
every exchange of the gate's own client is (``transport``, ``schema_validation``), except that a target
closing the connection before it read the whole body is no transport finding (a server may refuse a
large body so); and noted in the coverage record with what was sent and what came back.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from chatgate.contract_model import Operation, build_body, model_for
from contracts.conftest import PROVOKED
from contracts.rules import usable_models
from contracts.session import Suite

MAX_PROVOKED_BYTES = 16 * 1024 * 1024
UNSUPPORTED_MEDIA_TYPE = "415"
OTHER_MEDIA = ("text/plain", "application/octet-stream")


def _json_media(op: Operation) -> str | None:
    return next((m for m in (op.body.media if op.body else {}) if "json" in m), None)


def _whats(op: Operation) -> list[str]:
    """What can be provoked on ``op``: ``body-limit`` and ``media-type`` (see the module docstring)."""
    if op.body is None or _json_media(op) is None:
        return []
    out = []
    limit = op.body_limit
    if limit is not None and limit[1] < MAX_PROVOKED_BYTES:
        out.append("body-limit")
    if UNSUPPORTED_MEDIA_TYPE in op.responses and any(m not in op.body.media for m in OTHER_MEDIA):
        out.append("media-type")
    return out


def _cases() -> list[Any]:
    out = []
    for model in usable_models():
        api = model.api
        for op in model.operations:
            marks = [pytest.mark.api(api), pytest.mark.covers(PROVOKED, op.label, writes=True)]
            out += [
                pytest.param(api, op.label, w, marks=marks, id=f"{api} {op.label} [{w}]") for w in _whats(op)
            ]
    return out


@pytest.mark.parametrize(("api", "operation", "what"), _cases())
def test_provoked(suite: Suite, api: str, operation: str, what: str) -> None:
    op = model_for(api).by_label(operation)
    media = _json_media(op) if op is not None else None
    assert op is not None and op.body is not None and media is not None
    client = suite.client(api)
    body = build_body(
        op, message="Provoked?", session=f"chatgate-provoked-{uuid.uuid4().hex[:8]}", stream=False
    )
    text = json.dumps(body)
    if what == "body-limit":
        assert op.body_limit is not None
        status, limit = op.body_limit
        text += " " * (limit + 1 - len(text.encode()))  # JSON whitespace: only the size is wrong
        sent = f"a valid {media} body of {len(text.encode())} bytes (the spec's limit: {limit})"
    else:
        status = UNSUPPORTED_MEDIA_TYPE
        media = next(m for m in OTHER_MEDIA if m not in op.body.media)
        sent = f"a valid body as {media}"
    ex = client.request(op, content=text, headers={"Content-Type": media}, closed_early_ok=True)
    got = f"{ex.status} {ex.content_type}".strip() if ex.error is None else f"no answer ({ex.error[:120]})"
    suite.gate.ledger.coverage.provoked(api, op.label, status, f"{sent}; got {got}")
