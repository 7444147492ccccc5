"""Where in the spec a finding's rule stands: the violated schema keyword, or the rule a check holds.

Every finding names the operation's line; this adds, where one applies, the line of what was violated:
the schema keyword (schemathesis' ``response_schema_conformance`` gives its path inside the documented
schema), the documented statuses or media types, the security scheme, the request body or parameters a
generated case broke or kept, and for the gate's own checks the ``x-chatgate-*`` rule they judge (a
grammar finding points at the grammar). Reports show it as the finding's second line and SARIF as a
related location.
"""

from __future__ import annotations

from typing import Any

from chatgate.contract_model import Operation, model_for
from contracts.validation import spec_pointer

__all__ = ["rule_pointer", "spec_pointer_of"]


def _path_item(op: Operation) -> str:
    return op.pointer.rsplit("/", 1)[0]


def rule_pointer(api: str, operation: str, check: str, status: int | None = None) -> str | None:
    """The pointer of the rule ``check`` holds ``operation`` to (None: no single place says it)."""
    model = model_for(api)
    op = model.by_label(operation)
    if op is None:
        return None
    rules = model.rules(op)
    stream = op.stream
    response = op.response(status) if status is not None else None
    found: dict[str, str | None] = {
        "auth": op.schemes[0].pointer if op.schemes else None,
        "ignored_auth": op.schemes[0].pointer if op.schemes else None,
        "ownership": rules.ownership.pointer if rules.ownership else None,
        "ownership_cross_user": rules.ownership.pointer if rules.ownership else None,
        "pagination": rules.pagination.pointer if rules.pagination else None,
        "navigable_read": rules.window.pointer if rules.window else None,
        "stream_equivalence": rules.read_backs[0].pointer if rules.read_backs else None,
        "stream_mode": f"{stream.rules_pointer}/select" if stream else None,
        "stream_grammar": stream.grammar_pointer if stream else None,
        "stream_stalled": f"{stream.rules_pointer}/liveness" if stream else None,
        "status_code_conformance": f"{op.pointer}/responses",
        "not_a_server_error": f"{op.pointer}/responses",
        "content_type_conformance": f"{response.pointer}/content" if response else f"{op.pointer}/responses",
        "response_headers_conformance": f"{response.pointer}/headers" if response else None,
        "missing_required_header": f"{op.pointer}/parameters",
        "unsupported_method": _path_item(op),
        "allow_header_conformance": _path_item(op),
    }
    return found.get(check)


def spec_pointer_of(api: str, case: Any, response: Any, check: str, failure: Any) -> str | None:
    """The pointer for a schemathesis failure of ``check`` on ``case`` (answered ``response``)."""
    model = model_for(api)
    op = model.find(case.operation.method, case.operation.path)
    if op is None:
        return None
    status = int(response.status_code)
    schema_path = getattr(failure, "schema_path", None)
    if check == "response_schema_conformance" and schema_path is not None:
        values = response.headers.get("content-type") or [""]
        media = str(values[0] if isinstance(values, list) else values).split(";")[0].strip().lower()
        base = model.schema(op, status, media)
        return spec_pointer(model.spec, base, list(schema_path)) if base else None
    if check in ("negative_data_rejection", "positive_data_acceptance"):
        body = op.pointer + "/requestBody"
        return body if op.body is not None and case.body is not None else f"{op.pointer}/parameters"
    return rule_pointer(api, op.label, check, status)
