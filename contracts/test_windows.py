"""Window reads: ``navigable_read`` on every operation whose spec states ``x-chatgate-window``: at most the
window's size (the items' ``maxItems``), the session's latest rows (``keep: newest``) in the stated order,
what a send stored listed as its read-back rule says (in order); a parameter the spec lets a body carry
too (``x-chatgate-body-forms``) reads the same rows from each form; a missing or empty required parameter
is the documented 400 naming it (``x-chatgate-field-errors``), a missing or wrong key the documented 401.

The session is made of three waves of sends through the operation whose read-back lists into the window
(the first one opening the session as the rule's ``session`` field says, then enough at once, then one):
one exchange more than the window holds, so a read must leave out exactly the first exchange. The
judgement holds when other clients write to the same session (their rows are not ours, so only the order
of *our* rows and their presence are judged).
"""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest

from chatgate.contract_model import (
    MISSING,
    Call,
    ContractModel,
    Operation,
    ReadBack,
    Window,
    build_body,
    build_query,
    model_for,
    resolve_pointer,
)
from contracts.client import Exchange
from contracts.pagination import sort_value as _value
from contracts.readback import call_of, row_problems
from contracts.rules import rule_params
from contracts.session import Suite
from contracts.validation import Problem

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def _window(api: str, label: str) -> tuple[ContractModel, Operation, Window]:
    model = model_for(api)
    op = model.by_label(label)
    assert op is not None
    window = model.rules(op).window
    assert window is not None
    return model, op, window


def _writer(model: ContractModel, op: Operation) -> tuple[Operation, ReadBack] | None:
    for writer in model.read_back_sources(op):
        rule = next((r for r in model.rules(writer).read_backs if r.target == op.operation_id), None)
        if rule is not None:
            return writer, rule
    return None


def session(suite: Suite, api: str, op: Operation) -> tuple[str, list[list[Call]], ReadBack] | None:
    """A fresh session filled in three waves; its id, each wave's calls, and the read-back rule."""
    model, window = model_for(api), model_for(api).rules(op).window
    found = _writer(model, op)
    if found is None or window is None:
        return None
    writer, rule = found
    waves = (1, max(1, math.ceil(window.size / max(1, len(rule.rows)))) - 1 or 1, 1)

    def make() -> tuple[str, list[list[Call]], ReadBack]:
        client, session_id = suite.client(api), f"chatgate-{uuid.uuid4().hex[:12]}"
        out: list[list[Call]] = []
        for w, count in enumerate(waves):

            def send(i: int, w: int = w) -> Call:
                extra = (
                    {window.session_field: window.session_value} if w == 0 and window.session_field else {}
                )
                body = build_body(writer, message=f"window read {w}.{i}", session=session_id, extra=extra)
                ex = client.request(writer, json=body)
                return call_of(writer, ex, body, client.target.user_id)

            out.append(suite.map(send, range(count)))
        return session_id, out, rule

    return suite.once(f"window-session:{api}:{op.label}", make)


def _rows(window: Window, ex: Exchange) -> list[dict[str, Any]] | None:
    data = resolve_pointer(ex.json(), window.items) if 200 <= ex.status < 300 else None
    return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else None


def _ours(rule: ReadBack, calls: list[Call]) -> list[dict[str, Any]]:
    """The rows each call stored, as the rule says (their equal fields)."""
    return [{f: e.value(c) for f, e in row.equal.items()} for c in calls for row in rule.rows]


def _index(rows: list[dict[str, Any]], want: dict[str, Any]) -> int | None:
    return next((i for i, r in enumerate(rows) if all(r.get(f) == v for f, v in want.items())), None)


def _order_problems(window: Window, rows: list[dict[str, Any]]) -> list[Problem]:
    values = [resolve_pointer(r, window.order_field) for r in rows]
    keys = [_value(window.order_kind, v) for v in values]
    if keys != sorted(keys, reverse=window.direction == "desc"):
        shown = [str(v) for v in values[:6]]
        return [Problem(f"rows are not in {window.order_field} {window.direction} order", f"{shown}")]
    return []


def _latest_problems(
    window: Window, rule: ReadBack, rows: list[dict[str, Any]], waves: list[list[Call]]
) -> list[Problem]:
    problems = []
    last = _ours(rule, waves[-1])
    if any(_index(rows, want) is None for want in last):
        problems.append(Problem("not the session's latest rows", f"the last exchange {last} is missing"))
    newer = _ours(rule, [c for wave in waves[1:] for c in wave])
    first = _ours(rule, waves[0])
    if any(_index(rows, w) is None for w in newer) and any(_index(rows, w) is not None for w in first):
        problems.append(Problem("not the session's latest rows", "older rows kept, newer ones left out"))
    if len(rows) < window.size:
        problems.append(
            Problem(f"fewer than {window.size} rows although the session has more", f"{len(rows)} rows")
        )
    return problems


@pytest.mark.parametrize(("api", "operation"), rule_params("navigable_read", writes=True))
def test_latest_rows_in_order(suite: Suite, api: str, operation: str) -> None:
    _, op, window = _window(api, operation)
    made = session(suite, api, op)
    if made is None:
        pytest.skip(f"the spec states no operation that stores into {op.label}")
    session_id, waves, rule = made
    client = suite.client(api)
    ex = client.request(op, params=build_query(op, session=session_id))
    rows = _rows(window, ex)
    problems = []
    if rows is None:
        problems.append(Problem("read did not answer 2xx with its items", f"{ex.status} {ex.content_type}"))
    elif len(rows) > window.size:
        problems.append(Problem(f"more than {window.size} rows", f"{len(rows)} rows returned"))
    else:
        problems = _order_problems(window, rows) + _latest_problems(window, rule, rows, waves)
        for call in waves[-1]:
            problems += row_problems(rule, call, rows, "last")
    rules = [window.pointer, rule.pointer]  # the window, and the send's rows read back in it
    suite.gate.check(api, op.label, "navigable_read", problems, client.example(ex), rules=rules)


def _form_params(op: Operation) -> list[tuple[str, str]]:
    return [(p.name, form) for p in op.parameters for form in p.body_forms]


@pytest.mark.parametrize(("api", "operation"), rule_params("navigable_read", writes=True))
def test_parameters_in_each_body_form(suite: Suite, api: str, operation: str) -> None:
    _, op, window = _window(api, operation)
    forms = _form_params(op)
    made = session(suite, api, op)
    if not forms or made is None:
        pytest.skip(f"{op.label} states no parameter a body may carry, or nothing stores into it")
    session_id, waves, rule = made
    client = suite.client(api)
    query = build_query(op, session=session_id)
    ours = _ours(rule, [c for wave in waves for c in wave])
    by_query = _rows(window, client.request(op, params=query))

    def read(form: tuple[str, str]) -> Exchange:
        name, media = form
        params = {k: v for k, v in query.items() if k != name}
        body = {name: query.get(name)}
        if media == FORM:
            return client.request(op, params=params, data=body)
        return client.request(op, params=params, json=body)

    for (name, media), ex in zip(forms, suite.map(read, forms), strict=True):
        rows = _rows(window, ex)
        problems = []
        if rows is None:
            problems.append(
                Problem(f"{name} in a {media} body is not accepted", f"{ex.status} {ex.content_type}")
            )
        elif by_query is not None and _mine(rows, ours) != _mine(by_query, ours):
            found = f"{len(rows)} vs {len(by_query)} rows"
            problems.append(Problem(f"{name} in a {media} body reads other rows than in the query", found))
        suite.gate.check(api, op.label, "navigable_read", problems, client.example(ex))


def _mine(rows: list[dict[str, Any]], ours: list[dict[str, Any]]) -> list[int]:
    """Which of our rows are listed, newest ten (another client may write between two reads)."""
    return [i for i, want in enumerate(ours) if _index(rows, want) is not None][-10:]


def _error_cases(op: Operation) -> list[Any]:
    required = [p for p in op.parameters if p.required and p.location == "query"]
    cases: list[Any] = []
    for p in required:
        cases.append((f"no {p.name}",))
        if isinstance(p.schema.get("minLength"), int) and p.schema["minLength"] >= 1:
            cases.append((f"empty {p.name}",))
    return cases  # a missing or wrong key: the auth check holds every operation to the spec's schemes


@pytest.mark.parametrize(("api", "operation", "case"), rule_params("navigable_read", extra=_error_cases))
def test_error_answers(suite: Suite, api: str, operation: str, case: str) -> None:
    """A missing or empty required parameter: 400 naming it (where the spec maps invalid fields; the body's
    schema is checked by schema_validation too)."""
    _, op, _ = _window(api, operation)
    client = suite.client(api)
    params = build_query(op, session="chatgate-envelope")
    kind, _, name = case.partition(" ")
    if kind == "no":
        params.pop(name, None)
    else:
        params[name] = ""
    ex = client.request(op, params=params)
    expected = 400
    problems = []
    if ex.status != expected:
        problems.append(Problem(f"{case}: not {expected}", f"got {ex.status} {ex.content_type}"))
    elif expected == 400:
        response = op.response(400)
        errors = (
            resolve_pointer(ex.json(), response.field_errors)
            if response and response.field_errors
            else MISSING
        )
        if (
            response is not None
            and response.field_errors
            and (not isinstance(errors, dict) or name not in errors)
        ):
            problems.append(
                Problem(
                    f"400 does not name {name} in {response.field_errors}",
                    f"{response.field_errors}: {errors}",
                )
            )
    suite.gate.check(api, op.label, "navigable_read", problems, client.example(ex))
