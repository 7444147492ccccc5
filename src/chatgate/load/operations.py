"""Which operations the load scenarios drive, found in the model of each spec by the rules they carry.

No path, operationId, parameter or event is named here or in ``loadtests/``: a scenario asks for

==================  ============================================================================
``streamed``        the operations with a streamed answer (``x-chatgate-stream``)
``paginated``       the page-style paginated reads (``x-chatgate-pagination``)
``windowed``        the reads of a session's last messages (``x-chatgate-window``)
``read-back``       the sends whose stored copy a window read lists (``x-chatgate-read-back``)
==================  ============================================================================

and builds its requests with :mod:`chatgate.contract_model.requests`. A spec that has none of what a
scenario needs is a :class:`~chatgate.errors.SpecError` (exit 2) before anything starts
(:func:`require`). A stream's ``liveness`` is the default of the stream deadlines (:func:`liveness`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chatgate.contract_model import (
    MISSING,
    Call,
    Operation,
    ReadBack,
    model_for,
    resolve_pointer,
    sample_value,
)
from chatgate.errors import SpecError
from chatgate.options import Deadlines

__all__ = [
    "KINDS",
    "ReadBackPair",
    "find",
    "listed",
    "liveness",
    "path_of",
    "read_back_pairs",
    "require",
    "rows_read_back",
]

KINDS = {
    "streamed": "no operation with a streamed answer (x-chatgate-stream)",
    "paginated": "no page-style paginated read (x-chatgate-pagination, style page)",
    "windowed": "no read of a session's last messages (x-chatgate-window)",
    "read-back": "no send whose x-chatgate-read-back names a window read (x-chatgate-window) and that "
    "has a body field with x-chatgate-role: message",
}
JSON = "application/json"
_TEMPLATE = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class ReadBackPair:
    """A send, its read-back rule and the window read that lists its stored copy."""

    send: Operation
    rule: ReadBack
    read: Operation


def read_back_pairs(api: str) -> list[ReadBackPair]:
    """The sends (with a message field) whose JSON answer's read-back targets a window read."""
    model = model_for(api)
    out = []
    for read in model.windowed():
        for send in model.read_back_sources(read):
            if send.body is None or "message" not in send.body.roles:
                continue
            for rule in model.rules(send).read_backs:
                if rule.target == read.operation_id and rule.media_type in (None, JSON):
                    out.append(ReadBackPair(send, rule, read))
    return out


def find(api: str, kind: str) -> list[Operation]:
    """The operations of ``api`` a scenario of ``kind`` (see :data:`KINDS`) drives."""
    model = model_for(api)
    if kind == "streamed":
        return model.streamed()
    if kind == "paginated":
        return [o for o in model.paginated() if _page_style(model.rules(o).pagination)]
    if kind == "windowed":
        return model.windowed()
    if kind == "read-back":
        return list({p.send.operation_id: p.send for p in read_back_pairs(api)}.values())
    raise ValueError(f"unknown kind {kind!r}")


def _page_style(p: Any) -> bool:
    return p is not None and p.style == "page" and p.page is not None and p.size is not None


def require(needs: Iterable[tuple[str, str]], scenario: str) -> None:
    """SpecError naming the spec file when one of ``needs`` ((api, kind), ...) finds no operation."""
    for api, kind in needs:
        if not find(api, kind):
            raise SpecError(f"{model_for(api).path}: scenario {scenario} cannot run: {KINDS[kind]}")


def path_of(op: Operation, session: str | None = None, values: Mapping[str, Any] | None = None) -> str:
    """``op``'s path with its path parameters filled: ``values`` first, the session-role one with
    ``session``, any other with a valid value of its schema."""
    if "{" not in op.path:
        return op.path

    def fill(m: re.Match[str]) -> str:
        name = m.group(1)
        if values and name in values:
            return str(values[name])
        p = op.parameter(name)
        if p is not None and p.role == "session" and session is not None:
            return session
        return str(sample_value(p.schema if p is not None else {}, hint=f"chatgate-{name}"))

    return _TEMPLATE.sub(fill, op.path)


def rows_read_back(rule: ReadBack, call: Call, message_field: str | None) -> list[dict[str, Any]]:
    """What the read must list for ``call``'s message to count as read back: the rule's rows whose
    values ``call`` gives (those that read the request's message field first, when any do), each as
    {field or pointer: value}."""
    rows = []
    for row in rule.rows:
        exprs = {**row.match, **row.equal}
        values = {k: e.value(call) for k, e in exprs.items()}
        if any(v is MISSING for v in values.values()):
            continue
        mine = message_field is not None and any(
            e.source == "request" and e.pointer == f"/{message_field}" for e in exprs.values()
        )
        rows.append((mine, values))
    wanted = [v for mine, v in rows if mine]
    return wanted or [v for _, v in rows]


def listed(items: Iterable[Any], rows: list[dict[str, Any]]) -> bool:
    """Whether every row of ``rows`` (field or JSON pointer -> value) matches an item of ``items``."""
    listing = [i for i in items if isinstance(i, dict)]

    def value(item: dict[str, Any], key: str) -> Any:
        return resolve_pointer(item, key) if key.startswith("/") else item.get(key, MISSING)

    def matches(item: dict[str, Any], row: dict[str, Any]) -> bool:
        return all(value(item, k) == v for k, v in row.items())

    return bool(rows) and all(any(matches(i, row) for i in listing) for row in rows)


def liveness(apis: Iterable[str]) -> Deadlines:
    """The stream deadlines the specs state (``liveness`` of the streams of ``apis``; the longest when
    several), else :class:`~chatgate.options.Deadlines`' defaults; ``request_s`` is the default's."""
    d = Deadlines()
    streams = [op.stream for api in apis for op in model_for(api).streamed() if op.stream is not None]
    idle = [s.idle_s for s in streams if s.idle_s is not None]
    total = [s.total_s for s in streams if s.total_s is not None]
    return Deadlines(d.request_s, max(idle, default=d.stream_idle_s), max(total, default=d.stream_s))
