"""The rules a spec states (``x-chatgate-*``), in an integrator's words, per operation.

Everything here is read from the contract model: pagination (the page and size parameters with their
limits, the sort values and the tie-break, the totals, a page past the end, rows that appear late, the
order in which new rows arrive), ownership (which parameter binds to your identity and what naming
another's gets), read-back (what a call stores and where you read it back) and windows (size, order,
which end is kept, what opens a session); plus the identity a key carries. These are the rules the gate
enforces, so an integrator reads what is judged::

    >>> [r.title for d in operation_rules(model_for("nara")) for r in d.rules]  # doctest: +SKIP
    ['Reading back what you sent', 'Reading back what you sent', 'Pages', 'Whose rows']
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chatgate.contract_model import (
    ContractModel,
    Expression,
    Operation,
    Ownership,
    Pagination,
    Parameter,
    ReadBack,
    Window,
)
from chatgate.contract_model.spec_doc import split_pointer

__all__ = ["IdentityDoc", "OperationRulesDoc", "RuleDoc", "identity_doc", "operation_rules"]

_MEDIA = {"application/json": "a JSON answer", "text/event-stream": "a streamed answer"}


@dataclass(frozen=True, slots=True)
class RuleDoc:
    """One rule of an operation: a title and its sentences (with `code` spans)."""

    kind: str  # pages | ownership | read-back | window
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OperationRulesDoc:
    label: str
    operation_id: str
    rules: tuple[RuleDoc, ...]


@dataclass(frozen=True, slots=True)
class IdentityDoc:
    """What a key identifies, where its value comes from, and the variable chatgate reads it from."""

    name: str
    type: str
    variable: str
    description: str
    bound: tuple[str, ...]  # ``parameter of METHOD /path`` for each parameter bound to it


def body_field(pointer: str) -> str:
    """A JSON pointer into a body as a reader writes it: ``/a/b`` -> ``a.b``, ``/a/*/b`` -> ``a.[].b``."""
    return ".".join("[]" if p == "*" else str(p) for p in split_pointer(pointer)) or "the body"


def _bounds(p: Parameter) -> str:
    low, high, default = p.minimum, p.maximum, p.default
    parts = [f"from {low}" if low is not None else "", f"to {high}" if high is not None else ""]
    said = " ".join(x for x in parts if x)
    return ", ".join(x for x in (said, f"default {default}" if default is not None else "") if x)


def _code(value: Any) -> str:
    return f"`{value if isinstance(value, str) else json.dumps(value)}`"


def _listing(names: list[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" and {quoted[-1]}"


def _pages(model: ContractModel, p: Pagination) -> RuleDoc:
    lines = []
    if p.page is not None and p.size is not None:
        lines.append(f"Ask for page `{p.page.name}` ({_bounds(p.page)}) of `{p.size.name}` rows "
                     f"({_bounds(p.size)}).")  # fmt: skip
    else:
        lines.append(f"Pages are cut by {p.style}.")
    totals = [f"`{body_field(t)}` counts {what}" for t, what in ((p.total_rows, "every row"),
              (p.total_pages, "the pages at this size")) if t]  # fmt: skip
    lines.append(
        f"The rows are in `{body_field(p.items)}`" + (f"; {' and '.join(totals)}." if totals else ".")
    )
    if p.echo:
        echoed = ", ".join(f"`{name}` in `{body_field(at)}`" for name, at in p.echo.items())
        lines.append(f"The answer repeats what you asked for: {echoed}.")
    if p.sort is not None:
        default = f" (default `{p.sort.default}`)" if p.sort.default is not None else ""
        lines.append(f"Order: `{p.sort.name}` is one of {_listing([s.value for s in p.sorts])}{default}.")
        lines.append(
            f"Rows that tie are ordered by `{p.tie_break}` in the same direction: the order is total, so "
            "consecutive pages never overlap and never skip a row."
            if p.tie_break
            else "No tie-break is stated: rows that tie may change places from one page to the next."
        )
    if p.append_keys:
        lines.append(f"New rows are only appended: each sorts after every stored row by "
                     f"{_listing(list(p.append_keys))}, so counted from the oldest end a row keeps its "
                     "place while others write.")  # fmt: skip
    if p.late_rows:
        lines.append("A row announced by a stream that is still open appears in the listing, or is "
                     "completed there, only once that stream has ended.")  # fmt: skip
    if (model.doc.node(p.pointer) or {}).get("past_the_end") == "empty":
        lines.append("A page past the last one is an empty list with a success status, not an error.")
    return RuleDoc("pages", "Pages", tuple(lines))


def _owner(model: ContractModel, o: Ownership) -> RuleDoc:
    you = f"the {o.identity} your key belongs to"
    variable = model.identity_variable()
    if variable:
        you += f" (`${variable}` in these examples)"
    lines = [f"`{o.parameter.name}` binds to your identity: send {you}.",
             f"Naming another {o.identity} gets {o.status}."]  # fmt: skip
    if o.item_field:
        lines.append(f"Each listed row names its owner in `{body_field(o.item_field)}`.")
    return RuleDoc("ownership", "Whose rows", tuple(lines))


def _expression(model: ContractModel, op: Operation, e: Expression) -> str:
    if e.source == "literal":
        return _code(e.text)
    if e.source == "request":
        return f"your request's `{body_field(e.pointer)}`"
    if e.source == "query":
        return f"your request's `{e.name}` parameter"
    if e.source == "response":
        return f"the answer's `{body_field(e.pointer)}`"
    s = op.stream
    if e.streamed and e.name:  # one event's data
        return f"the `{e.name}` event's `{body_field(e.pointer)}`"
    if e.streamed and s is not None:  # the whole reply
        return f"the streamed text (the `{s.content_field}` of every `{s.content_event}` event, in order)"
    variable = model.identity_variable()
    name = model.identity.name if model.identity is not None else "identity"
    return f"your {name}" + (f" (`${variable}`)" if variable else "")


def _read_back(model: ContractModel, op: Operation, rb: ReadBack) -> RuleDoc:
    target = model.operation(rb.target)
    where = f"`{target.label}`" if target is not None else f"`{rb.target}`"
    after = f"After {_MEDIA.get(rb.media_type or '', 'a successful answer')}"
    params = [f"`{name}` = {_expression(model, op, e)}" for name, e in rb.parameters.items()]
    via = f" (the answer's link `{rb.link}`)" if rb.link else ""
    lines = [f"{after}, read it back with {where}{via}" + (f", {', '.join(params)}" if params else "") + ":"]
    for row in rb.rows:
        equal = ", ".join(f"`{k}` = {_expression(model, op, e)}" for k, e in row.equal.items())
        match = ", ".join(f"`{k}` = {_expression(model, op, e)}" for k, e in row.match.items())
        lines.append(f"the row whose {match} has {equal}." if match else f"a row with {equal}.")
    when = f"within {rb.within_s:g} s of the call's end" if rb.within_s else "once the call has ended"
    lines.append(f"These rows are listed {when}" + (", in this order." if rb.in_order else "."))
    return RuleDoc("read-back", "Reading back what you sent", tuple(lines))


def _window(model: ContractModel, w: Window) -> RuleDoc:
    order = "oldest first" if w.direction == "asc" else "newest first"
    items, by = body_field(w.items), body_field(w.order_field)
    lines = [f"Returns at most {w.size} rows in `{items}`, ordered by `{by}` ({order}); when there are "
             f"more, the {w.keep} {w.size} are kept."]  # fmt: skip
    if w.session_field is not None:
        senders = [
            o.label for o in model.operations if o.body is not None and w.session_field in o.body.properties
        ]
        to = f" to {_listing(senders)}" if senders else ""
        lines.append(f"A send{to} with `{w.session_field}` = {_code(w.session_value)} opens a new session.")
    return RuleDoc("window", "A window of the session", tuple(lines))


def operation_rules(model: ContractModel) -> list[OperationRulesDoc]:
    """Every operation that states a rule, with its rules in an integrator's words."""
    out = []
    for op in model.operations:
        r = model.rules(op)
        rules = [_read_back(model, op, rb) for rb in r.read_backs]
        rules += [_pages(model, r.pagination)] if r.pagination is not None else []
        rules += [_owner(model, r.ownership)] if r.ownership is not None else []
        rules += [_window(model, r.window)] if r.window is not None else []
        if rules:
            out.append(OperationRulesDoc(op.label, op.operation_id, tuple(rules)))
    return out


def identity_doc(model: ContractModel) -> IdentityDoc | None:
    """The identity keys carry (``x-chatgate-identity``), or None when keys identify nothing."""
    identity, variable = model.identity, model.identity_variable()
    if identity is None or variable is None:
        return None
    raw = model.doc.node(identity.pointer) or {}
    bound = [f"`{p}` of `{op.label}`" for op in model.operations for p in model.identity_parameters(op, True)]
    kind = str(identity.schema.get("type", "string"))
    return IdentityDoc(identity.name, kind, variable, " ".join(str(raw.get("description", "")).split()),
                       tuple(bound))  # fmt: skip
