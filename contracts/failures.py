"""schemathesis failures as the gate's problems: one signature per violation, whoever recorded it.

:func:`signature` is what makes two failures of one check the same violation (no generated value in
it); :func:`server_error` is the problem schemathesis' ``not_a_server_error`` records for a 5xx answer,
built here too so that a 5xx the gate's own checks met is the same finding as one a generated case met.
"""

from __future__ import annotations

from typing import Any

from schemathesis.core.failures import Failure, ServerError

from chatgate.gate.model import Problem
from contracts.validation import stable

__all__ = [
    "CREDENTIALS_NOT_ENFORCED",
    "FOREIGN_ROWS_LISTED",
    "KEY_ACCEPTED_ELSEWHERE",
    "NOT_A_SERVER_ERROR",
    "OTHER_IDENTITY_READABLE",
    "SCHEME_REFUSED",
    "server_error",
    "signature",
]

NOT_A_SERVER_ERROR = "not_a_server_error"
# Defects more than one check can show (chatgate.gate.model.Problem.defect), named once here.
CREDENTIALS_NOT_ENFORCED = "requests without valid credentials are served"
KEY_ACCEPTED_ELSEWHERE = "the key is accepted where the spec does not put it"
SCHEME_REFUSED = "the key is refused in a scheme the spec documents"
OTHER_IDENTITY_READABLE = "another identity's rows are readable"
FOREIGN_ROWS_LISTED = "a listing holds another identity's rows"
_KEEP = ("status_code", "content_type", "scenario", "header_name", "failure_reason", "method")


def signature(failure: Failure, status: int, own: str | None = None) -> str:
    """What makes two failures of one check the same violation: no generated value in it (``own``: the
    gate's own failures carry their signature)."""
    if own is not None:
        return own
    parts = [str(getattr(failure, "code", "")), str(failure.title)]
    schema_path = getattr(failure, "schema_path", None)
    if schema_path is not None:
        instance = "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in getattr(failure, "instance_path", [])
        )
        parts += [str(status), "/".join(map(str, schema_path)), stable("$" + instance)]
    for name in _KEEP:
        value: Any = getattr(failure, name, None)
        if value is not None and not callable(value):
            parts.append(f"{name}={value}")
    return " ".join(parts)


def server_error(operation: str, status: int) -> Problem:
    """The problem ``not_a_server_error`` records for a ``status`` answer of ``operation``."""
    failure = ServerError(operation=operation, status_code=status)
    return Problem(str(failure.title), f"the server answered {status}", signature(failure, status))
