"""Reading back what a call stored, as the spec's read-back rule says (``x-chatgate-read-back``).

A rule names the read that lists the stored copy (an operation with a pagination or a window rule), the
parameters to call it with (runtime expressions over the call: ``$response.body#/...``, ``$identity``),
and the rows that must be listed: each found by its ``match`` fields (else by all of its ``equal`` ones),
with every ``equal`` field equal to the value the rule gives. :func:`listed_rows` reads the listing
(newest first, as many pages as it takes to pass the rows sought, within ``MAX_PAGES``);
:func:`row_problems` judges the rows found against the rule.
"""

from __future__ import annotations

import time
from typing import Any

from chatgate.contract_model import (
    MISSING,
    Call,
    ContractModel,
    Operation,
    ReadBack,
    RowRule,
    resolve_pointer,
)
from contracts.client import Client, Exchange
from contracts.session import Suite
from contracts.streams import stream_content, stream_events
from contracts.validation import Problem

__all__ = ["MAX_PAGES", "call_of", "identity_of", "listed_rows", "read_back", "row_problems", "rule_for"]

MAX_PAGES = 10  # pages read, newest first, to find a call's stored rows
SSE = "text/event-stream"


def call_of(op: Operation, ex: Exchange, sent: Any, identity: Any) -> Call:
    """What the rule's expressions read from one exchange (its request body ``sent``)."""
    s = op.stream
    if ex.content_type == SSE and s is not None:
        return Call(request=sent, content=stream_content(s, ex.body), events=stream_events(s, ex.body),
                    identity=identity)  # fmt: skip
    doc = ex.json() if ex.status < 300 else None
    return Call(request=sent, response=MISSING if doc is None else doc, identity=identity)


def rule_for(model: ContractModel, op: Operation, media_type: str) -> ReadBack | None:
    """``op``'s read-back rule for its answers in ``media_type`` (a rule with none: every form)."""
    rules = model.rules(op).read_backs
    return next(
        (r for r in rules if r.media_type == media_type),
        next((r for r in rules if r.media_type is None), None),
    )


def _params(rule: ReadBack, call: Call) -> dict[str, Any] | None:
    out = {name: expr.value(call) for name, expr in rule.parameters.items()}
    return None if any(v is MISSING for v in out.values()) else out


def _wanted_keys(rule: ReadBack, call: Call) -> list[dict[str, Any]]:
    return [{f: e.value(call) for f, e in row.match.items()} for row in rule.rows if row.match]


Rows = list[dict[str, Any]]


def listed_rows(
    model: ContractModel, client: Client, rule: ReadBack, call: Call
) -> tuple[Rows | None, list[Exchange]]:
    """The rows the rule's read lists for ``call`` (None: the read failed), and the exchanges it took."""
    target = model.operation(rule.target)
    params = _params(rule, call)
    if target is None or params is None:
        return None, []
    rules = model.rules(target)
    if rules.window is not None:
        read = client.request(target, params=params)
        rows = resolve_pointer(read.json(), rules.window.items) if read.status == 200 else None
        return ([r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else None), [read]
    pagination = rules.pagination
    assert pagination is not None  # the model checked the read-back names a listing or a window
    newest = pagination.newest_first()
    _, largest, _ = pagination.size_range
    wanted = _wanted_keys(rule, call)
    found: list[dict[str, Any]] = []
    taken: list[Exchange] = []
    for n in range(MAX_PAGES):
        query = dict(params)
        if pagination.page is not None:
            query[pagination.page.name] = pagination.first_page + n
        if pagination.size is not None:
            query[pagination.size.name] = largest
        if newest is not None and pagination.sort is not None:
            query[pagination.sort.name] = newest.value
        ex = client.request(target, params=query)
        taken.append(ex)
        page = resolve_pointer(ex.json(), pagination.items) if ex.status == 200 else None
        if not isinstance(page, list):
            return (found or None), taken
        found += [r for r in page if isinstance(r, dict)]
        if len(page) < largest or (all(any(_matches(r, w) for r in found) for w in wanted) and wanted):
            break
    return found, taken


def _field(row: dict[str, Any], name: str) -> Any:
    """A listed row's field: a name, or a JSON pointer for a nested one."""
    return resolve_pointer(row, name if name.startswith("/") else "/" + name)


def _matches(row: dict[str, Any], fields: dict[str, Any]) -> bool:
    return all(_field(row, f) == v for f, v in fields.items())


def _describe(row: RowRule) -> str:
    literal = [f"{f} {e.text}" for f, e in row.equal.items() if e.source == "literal"]
    return ", ".join(literal) or ", ".join(row.equal)


def row_problems(rule: ReadBack, call: Call, rows: list[dict[str, Any]], form: str) -> list[Problem]:
    """Each rule row listed (by match, else by all equal fields) with its fields equal; in order."""
    problems: list[Problem] = []
    places: list[int] = []
    for spec_row in rule.rows:
        match = {f: e.value(call) for f, e in spec_row.match.items()}
        equal = {f: e.value(call) for f, e in spec_row.equal.items()}
        what = f"{form} call: stored row ({_describe(spec_row)})"
        if any(v is MISSING for v in (*match.values(), *equal.values())):
            problems.append(
                Problem(f"{what}: the call's answer lacks what the read-back needs", f"{match} {equal}")
            )
            continue
        key = match or equal
        at = next((i for i, r in enumerate(rows) if _matches(r, key)), None)
        if at is None:
            problems.append(Problem(f"{what} not read back", f"no listed row has {key}"))
            continue
        differs = {f: _field(rows[at], f) for f, v in equal.items() if _field(rows[at], f) != v}
        if differs:
            shown = {f: (str(v)[:200], str(equal[f])[:200]) for f, v in differs.items()}
            problems.append(Problem(f"{what} read back differs", f"listed vs sent: {shown}"))
        places.append(at)
    if rule.in_order and places != sorted(places):
        problems.append(Problem(f"{form} call: stored rows listed out of order", f"places {places}"))
    return problems


def read_back(
    model: ContractModel, client: Client, rule: ReadBack, call: Call, form: str
) -> tuple[list[Problem], list[Exchange]]:
    """The rule's rows read back for ``call`` and judged, and the exchanges read; read again while they
    fall short, until the rule's ``within`` has passed (a backend may store a row a moment after the call
    ends)."""
    ends = time.monotonic() + rule.within_s
    while True:
        rows, taken = listed_rows(model, client, rule, call)
        if rows is None:
            status = taken[-1].status if taken else "not read"
            problems = [Problem(f"{form} call: its listing could not be read", f"{status}")]
        else:
            problems = row_problems(rule, call, rows, form)
        if not problems or time.monotonic() >= ends:
            return problems, taken
        time.sleep(min(0.25, max(0.0, ends - time.monotonic())))


def identity_of(suite: Suite, api: str, client: Client | None = None) -> Any:
    """The caller's identity value (e.g. the Nara user id), or None."""
    target = (client or suite.client(api)).target
    return target.user_id
