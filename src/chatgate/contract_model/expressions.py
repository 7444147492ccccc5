"""Runtime expressions of the spec's rules: OpenAPI's own (``$request.body#/message``,
``$response.body#/id``, ``$request.query.name``) and chatgate's for streams and identities
(``$stream.content``, ``$stream.event.NAME#/pointer``, ``$identity``).

An :class:`Expression` is parsed once from the spec; :meth:`Expression.value` reads it from a
:class:`Call` (what was sent and what came back)::

    >>> e = parse_expression("$response.body#/data/identifier")
    >>> e.value(Call(response={"data": {"identifier": "u1"}}))
    'u1'

A value that is not an expression (no leading ``$``) is a literal and stands for itself. An expression
whose source is absent from the call (a JSON pointer that leads nowhere) gives :data:`MISSING`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MISSING", "Call", "Expression", "ExpressionError", "parse_expression", "resolve_pointer"]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

_FORMS = re.compile(
    r"^\$(?:(?P<req>request)\.(?:body#(?P<req_ptr>/.*|)|query\.(?P<query>.+))"
    r"|(?P<resp>response)\.body#(?P<resp_ptr>/.*|)"
    r"|stream\.(?:(?P<content>content)|event\.(?P<event>[^#]+)#(?P<ev_ptr>/.*|))"
    r"|(?P<identity>identity))$"
)


class ExpressionError(ValueError):
    """A runtime expression chatgate cannot read."""


def resolve_pointer(doc: Any, pointer: str) -> Any:
    """The value at a JSON pointer (``/a/0/b``) in ``doc``, or MISSING."""
    node = doc
    for raw in pointer.split("/")[1:] if pointer else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node


@dataclass(frozen=True)
class Call:
    """What one call sent and got: the request body and query, the JSON response body, and for a stream
    its concatenated content and each event's data (the first of each name); the caller's identity."""

    request: Any = None
    query: Mapping[str, Any] = field(default_factory=dict)
    response: Any = MISSING
    content: str | None = None
    events: Mapping[str, Any] = field(default_factory=dict)
    identity: Any = MISSING


@dataclass(frozen=True, slots=True)
class Expression:
    """One parsed expression (``source`` ``literal`` for a plain value)."""

    text: Any
    source: str  # request | query | response | content | event | identity | literal
    pointer: str = ""
    name: str = ""

    def value(self, call: Call) -> Any:
        if self.source == "literal":
            return self.text
        if self.source == "request":
            return resolve_pointer(call.request, self.pointer)
        if self.source == "query":
            return call.query.get(self.name, MISSING)
        if self.source == "response":
            return resolve_pointer(call.response, self.pointer)
        if self.source == "content":
            return MISSING if call.content is None else call.content
        if self.source == "event":
            data = call.events.get(self.name, MISSING)
            return MISSING if data is MISSING else resolve_pointer(data, self.pointer)
        return call.identity

    @property
    def streamed(self) -> bool:
        """Whether it reads a stream (so only a streamed answer can give it)."""
        return self.source in ("content", "event")


def parse_expression(text: Any) -> Expression:
    """``text`` parsed; a non-string or a string without a leading ``$`` is a literal."""
    if not isinstance(text, str) or not text.startswith("$"):
        return Expression(text, "literal")
    m = _FORMS.match(text)
    if m is None:
        raise ExpressionError(
            f"cannot read the expression {text!r} (use $request.body#/ptr, $request.query.NAME, "
            "$response.body#/ptr, $stream.content, $stream.event.NAME#/ptr or $identity)"
        )
    if m.group("req"):
        if m.group("query") is not None:
            return Expression(text, "query", name=m.group("query"))
        return Expression(text, "request", pointer=m.group("req_ptr"))
    if m.group("resp"):
        return Expression(text, "response", pointer=m.group("resp_ptr"))
    if m.group("content"):
        return Expression(text, "content")
    if m.group("event"):
        return Expression(text, "event", pointer=m.group("ev_ptr"), name=m.group("event"))
    return Expression(text, "identity")
