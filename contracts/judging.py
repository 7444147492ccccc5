"""When each schemathesis check *judged* a response: the rule per check, in one table.

schemathesis 4.32 runs every check on every response and reads a truthy return as "skipped", but its
built-in checks return ``None`` both when they judged and passed and when they did not apply (a
negative-data check on a positive case, ``ignored_auth`` on a 401...). A case counts for a check only
when the check judged something in it, so each built-in check is wrapped: it runs as it is (a failure
is always a judgement), and when it passes, :data:`RULES` says whether it judged. A rule reads the same
conditions the check's source reads before it can fail (schemathesis/specs/openapi/checks.py).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import Any

from schemathesis import Case, CheckContext, Response
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario
from schemathesis.specs.openapi.checks import (
    has_only_additional_properties_in_non_body_parameters,
    is_unexpected_http_status_case,
)

from chatgate.apis import API_NAMES, scheme_variable
from chatgate.contract_model import model_for
from chatgate.specs import spec_path
from contracts.transport import recent, sent_count
from contracts.validation import documented_schema

__all__ = [
    "RULES",
    "AnyCase",
    "CheckFunction",
    "api_of",
    "count_probe",
    "judging",
    "probes_sent",
    "take_evidence",
]

FORM = "application/x-www-form-urlencoded"
AnyCase = Case[Any]
Rule = Callable[[CheckContext, AnyCase, Response, int], bool]  # (ctx, case, response, probes it sent)
CheckFunction = Callable[[CheckContext, Response, AnyCase], bool | None]

_PROBES = threading.local()


def probes_sent() -> int:
    """Requests this thread sent so far (the transport counts; a check's probes are the difference)."""
    return int(getattr(_PROBES, "n", 0))


def count_probe() -> None:
    _PROBES.n = probes_sent() + 1


def api_of(case: AnyCase) -> str:
    """The API whose spec the case was generated from (schemathesis keeps the spec's location)."""
    return _api_at(str(case.operation.schema.location or ""))


@functools.lru_cache(maxsize=8)
def _api_at(location: str) -> str:
    """The API whose spec file is at ``location`` (a file URI), resolved once per process."""
    for api in API_NAMES:
        if location == spec_path(api).resolve().as_uri():
            return api
    raise LookupError(f"a case of a spec chatgate did not load: {location}")


def _media(response: Response) -> str:
    values = response.headers.get("content-type") or [""]
    return values[0].split(";")[0].strip().lower()


def _shape_probe(case: AnyCase) -> bool:
    return is_unexpected_http_status_case(case) or case.method.upper() != case.operation.method.upper()


def _coverage(case: AnyCase) -> CoveragePhaseData | None:
    data = case.meta.phase.data if case.meta is not None else None
    return data if isinstance(data, CoveragePhaseData) else None


def _negative(case: AnyCase) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_negative


def _security(case: AnyCase) -> bool:
    from schemathesis.specs.openapi.adapter.security import declares_security

    return bool(declares_security(case.operation))


def _status_codes(_: CheckContext, case: AnyCase, __: Response, ___: int) -> bool:
    return not _shape_probe(case) and "default" not in case.operation.responses.status_codes


def _content_type(_: CheckContext, case: AnyCase, response: Response, __: int) -> bool:
    schema: Any = case.operation.schema
    return not _shape_probe(case) and bool(schema.get_content_types(case.operation, response))


def _headers(_: CheckContext, case: AnyCase, response: Response, __: int) -> bool:
    definition = case.operation.responses.find_by_status_code(response.status_code)
    return not _shape_probe(case) and definition is not None and bool(definition.headers)


def _body_schema(_: CheckContext, case: AnyCase, response: Response, __: int) -> bool:
    path, method = case.operation.path, case.operation.method
    found = documented_schema(api_of(case), method, path, response.status_code, _media(response))
    return not _shape_probe(case) and found is not None


def _negative_data(_: CheckContext, case: AnyCase, __: Response, ___: int) -> bool:
    # Form bodies carry only strings, so a "wrong type" there can be a valid value on the wire: the gate
    # does not hold such a case against the API.
    return (
        _negative(case)
        and not _shape_probe(case)
        and case.media_type != FORM
        and not has_only_additional_properties_in_non_body_parameters(case)
    )


def _positive_data(_: CheckContext, case: AnyCase, __: Response, ___: int) -> bool:
    return case.meta is not None and not _negative(case) and not _shape_probe(case)


def _missing_header(_: CheckContext, case: AnyCase, __: Response, ___: int) -> bool:
    data = _coverage(case)
    return (
        data is not None
        and not is_unexpected_http_status_case(case)
        and data.scenario == CoverageScenario.MISSING_PARAMETER
        and data.parameter_location == ParameterLocation.HEADER
    )


def _unsupported_method(_: CheckContext, case: AnyCase, response: Response, __: int) -> bool:
    data = _coverage(case)
    return (
        data is not None
        and data.scenario == CoverageScenario.UNSPECIFIED_HTTP_METHOD
        and response.request.method != "OPTIONS"
    )


def _allow_header(_: CheckContext, __: AnyCase, response: Response, ___: int) -> bool:
    return response.request.method == "OPTIONS" and bool(response.headers.get("allow"))


def _use_after_free(ctx: CheckContext, case: AnyCase, response: Response, __: int) -> bool:
    related = list(ctx.internals.find_related(case_id=case.id))
    return 200 <= response.status_code < 400 and any(r.operation.method.lower() == "delete" for r in related)


def _availability(ctx: CheckContext, case: AnyCase, response: Response, __: int) -> bool:
    parent = ctx.internals.find_parent(case_id=case.id)
    return response.status_code == 404 and parent is not None and parent.operation.method.upper() == "POST"


def _ignored_auth(_: CheckContext, case: AnyCase, response: Response, __: int) -> bool:
    negative_path = case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)
    return (
        200 <= response.status_code < 300 and _security(case) and not _shape_probe(case) and not negative_path
    )


def key_in_a_later_scheme(case: AnyCase) -> bool:
    """Whether the key goes in a scheme other than the first ``case``'s operation accepts (the target's
    ``<API>_AUTH_SCHEME``). schemathesis's ``ignored_auth`` then fills the first with a generated value
    and takes the request, which carries the real key too, for one with invalid credentials: it cannot
    judge such a run, and chatgate's ``auth`` check (no key, a wrong key: refused) does."""
    api = api_of(case)
    chosen = os.environ.get(scheme_variable(api)) if api in API_NAMES else None
    if not chosen:
        return False
    op = model_for(api).by_label(case.operation.label)
    return op is not None and bool(op.schemes) and op.schemes[0].name != chosen


def _sent_probes(_: CheckContext, __: AnyCase, ___: Response, probes: int) -> bool:
    return probes > 0


RULES: dict[str, Rule] = {
    "not_a_server_error": lambda *_: True,  # every response
    "status_code_conformance": _status_codes,
    "content_type_conformance": _content_type,
    "response_headers_conformance": _headers,
    "response_schema_conformance": _body_schema,
    "negative_data_rejection": _negative_data,
    "positive_data_acceptance": _positive_data,
    "missing_required_header": _missing_header,
    "unsupported_method": _unsupported_method,
    "allow_header_conformance": _allow_header,
    "use_after_free": _use_after_free,
    "ensure_resource_availability": _availability,
    "ignored_auth": _ignored_auth,
    # It replays an owner's read as another identity; it judged when it sent such a probe.
    "object_level_authorization": _sent_probes,
}


_EVIDENCE = threading.local()  # check name -> (request, response) its own probe sent and got


def take_evidence(check: str) -> tuple[Any, Any] | None:
    """What ``check`` itself sent and got when it failed on a probe of its own (this thread, once)."""
    found: dict[str, tuple[Any, Any]] = getattr(_EVIDENCE, "by_check", {})
    return found.pop(check, None)


def _probes(mark: int) -> list[tuple[Any, Any]]:
    sent = sent_count() - mark
    return recent()[-sent:] if sent > 0 else []


def judging(check: CheckFunction) -> CheckFunction:
    """``check`` returning True ("skipped" to schemathesis) whenever it did not judge the response.

    A check that sends requests of its own (``ignored_auth`` replays without credentials...) is judged on
    what those got: when one of them got a 5xx, that is the server's error (recorded as
    ``not_a_server_error`` on that exchange) and the check judged nothing; when it failed, the request it
    sent and the answer it got are its finding's evidence (:func:`take_evidence`)."""
    rule = RULES[check.__name__]

    @functools.wraps(check)
    def run(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
        if check.__name__ == "ignored_auth" and key_in_a_later_scheme(case):
            return True
        before, mark = probes_sent(), sent_count()
        try:
            skipped = check(ctx, response, case)
        except (Failure, FailureGroup):
            probes = _probes(mark)
            if _server_error_in(probes, case):
                return True
            if probes:
                _EVIDENCE.by_check = {**getattr(_EVIDENCE, "by_check", {}), check.__name__: probes[-1]}
            raise
        if _server_error_in(_probes(mark), case):
            return True
        if skipped:
            return True
        return None if rule(ctx, case, response, probes_sent() - before) else True

    return run


def _server_error_in(probes: list[tuple[Any, Any]], case: AnyCase) -> bool:
    """Record a 5xx one of the check's own probes got as the server's error; whether there was one."""
    from contracts.gate import session_gate

    failed = [(req, resp) for req, resp in probes if resp.status_code >= 500]
    for req, resp in failed:
        gate = session_gate()
        body = req.body if isinstance(req.body, bytes | str) else None
        media = resp.headers.get("content-type", "")
        example = gate.example(str(req.method), str(req.url), dict(req.headers), body, resp.status_code,
                               resp.content, media)  # fmt: skip
        gate.server_error(api_of(case), case.operation.label, example)
    return bool(failed)
