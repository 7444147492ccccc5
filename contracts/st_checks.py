"""Running schemathesis cases through the gate: extra checks, recording, and one case runner.

Every schemathesis case runs every default check plus the gate's ``schema_validation`` (jsonschema on
every body and SSE event, with JSON paths) and ``stream_grammar`` (on every ``text/event-stream``). Check
outcomes are recorded from schemathesis' ``after_validate`` hook, one tally per check and operation, one
finding per distinct failure, and the case goes on: the budget is spent looking for more problems,
not shrinking the first one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from schemathesis import Case, CheckContext, GenerationMode, Response
from schemathesis.core import NotSet
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import negative_data_rejection

from chatgate.contract.findings import Finding, curl_command, scrub
from contracts.gate import Gate
from contracts.validation import body_problems, grammar_problems

FORM = "application/x-www-form-urlencoded"


def api_of(case: Case) -> str:
    return "nara" if case.operation.path.startswith("/api/v1.0/") else "navigable"


def _content_type(response: Response) -> str:
    values = response.headers.get("content-type") or [""]
    return values[0].split(";")[0].strip().lower()


def _fail(case: Case, problems: list[Any]) -> None:
    if problems:
        raise Failure(
            operation=case.operation.label,
            title=problems[0].title,
            message="\n".join(p.message for p in problems[:10]),
        )


def schema_validation(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """jsonschema validation of the body (or of every event of a stream) against the spec."""
    if case.method.upper() != case.operation.method.upper():
        return None  # an unsupported_method probe: no documented response to hold it to
    problems = body_problems(
        api_of(case), case.method, case.path, response.status_code, _content_type(response), response.content
    )
    _fail(case, problems)
    return True


def stream_grammar(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """message_start, delta*, exactly one terminal event, nothing after it (streams only)."""
    if case.method.upper() != case.operation.method.upper():
        return None
    if _content_type(response) != "text/event-stream" or response.status_code != 200:
        return None
    if response.stream_cut_short:
        return None  # schemathesis stopped reading (max-stream-events): not the server's fault
    _fail(case, grammar_problems(response.content))
    return True


EXTRA_CHECKS = [schema_validation, stream_grammar]


def _curl(response: Response) -> str:
    req = response.request
    body = req.body if isinstance(req.body, bytes | str) else None
    return curl_command(str(req.method), str(req.url), dict(req.headers), body)


def record_results(gate: Gate, api: str) -> Callable[..., None]:
    """A schemathesis ``after_validate`` hook recording every check outcome into ``gate``."""

    def after_validate(context: Any, case: Case, response: Response, results: list[Any]) -> None:
        operation = case.operation.label
        streamed = _content_type(response) == "text/event-stream"
        for result in results:
            failure = result.failure
            if result.name == "stream_grammar" and not streamed:
                continue  # not applicable to this response
            if failure is None:
                gate.passed(api, operation, result.name)
                continue
            gate.ledger.add(
                Finding(
                    api=api,
                    operation=operation,
                    check=result.name,
                    title=scrub(failure.title, gate.secrets),
                    message=scrub(failure.message, gate.secrets)[:2000],
                    curl=scrub(_curl(response), gate.secrets),
                    status=response.status_code,
                    code=getattr(failure, "code", None),
                )
            )

    return after_validate


def excluded_checks(case: Case) -> list[Any]:
    """Form bodies carry only strings, so a "wrong type" there can be a valid value on the wire."""
    negative = case.meta is not None and case.meta.generation.mode == GenerationMode.NEGATIVE
    if negative and case.media_type == FORM:
        return [negative_data_rejection]
    return []


def load_schema(api: str) -> Any:
    """The spec of ``api`` loaded by schemathesis, configured from the environment, recording into the
    session's gate. An API that is not selected gets a bare schema (its tests are deselected)."""
    import schemathesis

    from chatgate.specs import spec_path
    from contracts.gate import session_gate
    from contracts.target import DEFAULT_MAX_EXAMPLES, int_setting, selected_apis, target

    if api not in selected_apis():
        return schemathesis.openapi.from_path(spec_path(api))
    t = target(api)
    config = schemathesis.Config.from_dict(
        {
            "seed": int_setting("CHATGATE_SEED", 0),
            "base-url": t.base_url,
            "headers": t.auth_headers,
            "request-timeout": 20,
            "generation": {
                "max-examples": int_setting("CHATGATE_MAX_EXAMPLES", DEFAULT_MAX_EXAMPLES, 1),
                "mode": "all",
                "database": "none",
            },
            "phases": {"stateful": {"max-steps": 8}},
        }
    )
    schema = schemathesis.openapi.from_path(spec_path(api), config=config)
    gate = session_gate()
    schema.hook(record_results(gate, api))

    def after_call(context: Any, case: Case, response: Response) -> None:
        gate.ledger.sent(api, case.operation.label)

    schema.hook(after_call)
    return schema


_SECRET_HEADERS = {"authorization", "x-api-key"}


def describe(case: Case) -> str:
    """A case as deterministic text (credentials left out): what the same seed must reproduce."""
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in _SECRET_HEADERS}
    body = "(no body)" if isinstance(case.body, NotSet) else case.body  # NotSet's repr has an address
    return repr((case.operation.label, case.path_parameters, case.query, sorted(headers.items()), body))


def run_case(case: Case, gate: Gate) -> None:
    """Send one case with every default check plus the gate's; record, never raise on findings."""
    gate.ledger.generated_case(describe(case))
    try:
        case.call_and_validate(additional_checks=EXTRA_CHECKS, excluded_checks=excluded_checks(case))
    except FailureGroup:
        pass  # recorded by the after_validate hook
    except requests.RequestException as exc:
        record_transport(gate, case, exc)


def record_transport(gate: Gate, case: Case, exc: Exception) -> None:
    kind = type(exc).__name__
    title = "connection broke off mid-response" if "Chunked" in kind else f"request failed ({kind})"
    gate.ledger.add(
        Finding(
            api=api_of(case),
            operation=case.operation.label,
            check="transport",
            title=title,
            message=scrub(str(exc)[:500], gate.secrets),
            # schemathesis masks credentials as "[Filtered]"; the gate's reports show "***" everywhere
            curl=scrub(case.as_curl_command(), gate.secrets).replace("[Filtered]", "***"),
        )
    )
