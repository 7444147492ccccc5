"""Valid requests built from the spec alone: the body and query a client sends to an operation.

What the gate's own checks, the probe, the load scenarios and the docs' examples send is built here
from the operation's schemas and the roles its fields carry (``x-chatgate-role``: ``message``, the
user's text; ``session``, what groups messages into a conversation), the parameter bound to the caller's
identity (``x-chatgate-ownership``), and the field that selects a streamed answer
(``x-chatgate-stream.select``). Required fields without a role get a valid value of their schema; optional
ones are left out::

    >>> op = model_for("nara").streamed()[0]  # doctest: +SKIP
    >>> build_body(op, message="Hi", session="c1", stream=True)  # doctest: +SKIP
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from chatgate.contract_model.operations import Operation

__all__ = ["build_body", "build_query", "sample_value"]

JSON = "application/json"


def sample_value(schema: Mapping[str, Any], hint: str = "chatgate") -> Any:
    """A valid value of a simple schema: its const, first enum value, default or example, else one made
    up within its type and bounds (strings from ``hint``)."""
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if "example" in schema:
        return schema["example"]
    kinds = schema.get("type")
    kind = next((k for k in kinds if k != "null"), "string") if isinstance(kinds, list) else kinds
    if kind in ("integer", "number"):
        low = schema.get("minimum", 1)
        return int(low) if kind == "integer" else float(low)
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {}
    low, high = int(schema.get("minLength", 1)), int(schema.get("maxLength", 64))
    text = "".join(c for c in hint if c in string.ascii_letters + string.digits + "-_") or "x"
    return (text * (low // len(text) + 1))[: max(low, min(high, len(text)))]


def build_body(
    op: Operation,
    *,
    message: str | None = None,
    session: str | None = None,
    stream: bool | None = None,
    media_type: str = JSON,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A valid body of ``op``: its required fields, the message and session fields (by role), and, when
    ``stream`` is given, the field that selects the streamed answer set (True) or to another value."""
    body = op.body
    if body is None:
        return dict(extra or {})
    out: dict[str, Any] = {}
    by_role = {"message": message, "session": session}
    for role, value in by_role.items():
        field = body.roles.get(role)
        if field is not None and value is not None:
            out[field] = value
    for name in body.required_fields:
        if name not in out:
            out[name] = sample_value(body.properties.get(name, {}), hint=f"chatgate-{name}")
    s = op.stream
    if stream is not None and s is not None and s.select_field is not None:
        if stream:
            out[s.select_field] = s.select_value
        elif isinstance(s.select_value, bool):
            out[s.select_field] = not s.select_value
        else:
            out.pop(s.select_field, None)
    out.update(extra or {})
    if media_type != JSON:
        out = {k: _form_text(v) for k, v in out.items()}
    return out


def _form_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_form_text(v) for v in value]
    return value if isinstance(value, str) else str(value)


def build_query(
    op: Operation,
    *,
    bound: Mapping[str, Any] | None = None,
    session: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The query of ``op``: ``bound`` parameters (those tied to the caller's identity:
    :meth:`~chatgate.contract_model.model.ContractModel.identity_parameters`) take their values, a
    ``session`` parameter takes ``session``, other required ones a valid value of their schema."""
    out: dict[str, Any] = {}
    for p in op.parameters:
        if p.location != "query":
            continue
        if bound and p.name in bound:
            out[p.name] = bound[p.name]
        elif p.role == "session" and session is not None and (p.required or not _body_has_session(op)):
            out[p.name] = session
        elif p.required:
            out[p.name] = sample_value(p.schema, hint=f"chatgate-{p.name}")
    out.update(extra or {})
    return out


def _body_has_session(op: Operation) -> bool:
    return op.body is not None and "session" in op.body.roles
