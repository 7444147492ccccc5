"""``ownership_cross_user``: with a second identity (``NARA_API_KEY_2`` and ``NARA_USER_ID_2`` for Nara:
``<API>_API_KEY_2`` and the identity's variable with ``_2``), neither identity reads the other's rows,
and neither listing ever holds what the other stored.

On every operation whose spec states ``x-chatgate-ownership``: each identity asks for the other's rows
(the rule's status expected), and each stores one message through the operation that writes into the
listing (its read-back source); then each identity's listing is read newest first until its own rows are
found: it holds them, and never the other identity's, whatever owner the rows claim. Without a second
identity these tests do not run and the check is ``not_run`` ("needs a second key"); the one-key
``ownership`` check runs either way.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chatgate.contract_model import MISSING, Call, ContractModel, Operation, build_body, model_for
from contracts.client import Client
from contracts.failures import FOREIGN_ROWS_LISTED, OTHER_IDENTITY_READABLE
from contracts.readback import call_of, listed_rows, rule_for
from contracts.rules import rule_params
from contracts.session import Suite
from contracts.validation import Problem


def _pair(suite: Suite, api: str) -> tuple[Client, Client]:
    second = suite.second_client
    if second is None or second.target.api != api:
        identity = model_for(api).identity_variable() or f"{api.upper()}_IDENTITY"
        pytest.skip(f"needs a second key ({api.upper()}_API_KEY_2 and {identity}_2)")
    return suite.client(api), second


def _owned(api: str, label: str) -> tuple[ContractModel, Operation]:
    model = model_for(api)
    op = model.by_label(label)
    assert op is not None and model.rules(op).ownership is not None
    return model, op


def _writers(op: Operation) -> list[str]:
    return [w.label for w in model_for(op.api).read_back_sources(op)]


@pytest.mark.parametrize(("api", "operation"), rule_params("ownership_cross_user"))
def test_neither_identity_reads_the_others_rows(suite: Suite, api: str, operation: str) -> None:
    first, second = _pair(suite, api)
    model, op = _owned(api, operation)
    rule = model.rules(op).ownership
    assert rule is not None

    def read(pair: tuple[Client, Client]) -> None:
        reader, owner = pair
        params = {
            **model.identity_parameters(op, reader.target.user_id),
            rule.parameter.name: owner.target.user_id,
        }
        ex = reader.request(op, params=params)
        problems = []
        if ex.status != int(rule.status):
            who, whose = reader.target.user_id, owner.target.user_id
            message = f"{rule.identity} {who} reading {rule.identity} {whose}'s rows: {ex.status}"
            message += f", expected {rule.status}"
            problems.append(Problem(OTHER_IDENTITY_READABLE, message, defect=OTHER_IDENTITY_READABLE))
        suite.gate.check(api, op.label, "ownership_cross_user", problems, reader.example(ex))

    suite.map(read, [(first, second), (second, first)])


def _store(model: ContractModel, writer: Operation, client: Client) -> tuple[Call, dict[str, Any]] | None:
    """Store one message as ``client``; the call and the keys of the rows it stored."""
    session = f"chatgate-owner-{uuid.uuid4().hex[:8]}"
    rules = model.rules(writer).read_backs
    richest = max(rules, key=lambda r: sum(1 for row in r.rows if row.match), default=None)
    streamed = richest is not None and richest.media_type == "text/event-stream"
    body = build_body(writer, message="whose message is this?", session=session, stream=streamed)
    ex = client.request(writer, json=body)
    rule = rule_for(model, writer, ex.content_type)
    if rule is None or not 200 <= ex.status < 300:
        return None
    call = call_of(writer, ex, body, client.target.user_id)
    keys = [{f: e.value(call) for f, e in row.match.items()} for row in rule.rows if row.match]
    return call, {"rule": rule, "keys": [k for k in keys if MISSING not in k.values()]}


@pytest.mark.parametrize(
    ("api", "operation"), rule_params("ownership_cross_user", more=_writers, writes=True)
)
def test_neither_listing_holds_the_others_rows(suite: Suite, api: str, operation: str) -> None:
    first, second = _pair(suite, api)
    model, op = _owned(api, operation)
    writers = model.read_back_sources(op)
    if not writers:
        pytest.skip(f"the spec states no operation that stores into {op.label}")
    stored = suite.map(lambda c: _store(model, writers[0], c), [first, second])
    for me, client in enumerate((first, second)):
        mine, theirs = stored[me], stored[1 - me]
        if mine is None:
            continue
        call, info = mine
        rows, taken = listed_rows(model, client, info["rule"], call)
        ex = taken[-1] if taken else None
        listed = rows or []
        problems = []

        def has(key: dict[str, Any]) -> bool:
            return any(all(r.get(f) == v for f, v in key.items()) for r in listed)  # noqa: B023

        foreign = [k for k in (theirs[1]["keys"] if theirs else []) if has(k)]
        if foreign:
            message = f"{client.target.user_id}'s listing holds rows {foreign} the other identity stored"
            problems.append(Problem(FOREIGN_ROWS_LISTED, message, defect=FOREIGN_ROWS_LISTED))
        missing = [k for k in info["keys"] if not has(k)]
        if missing:
            problems.append(
                Problem("an identity's own rows are not listed", f"{client.target.user_id}: {missing}")
            )
        suite.gate.check(api, op.label, "ownership_cross_user", problems, client.example(ex) if ex else None)
