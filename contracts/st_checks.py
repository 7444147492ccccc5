"""Running schemathesis cases through the gate: the checks of the run, recording, and one case runner.

Every schemathesis case runs the selected built-in checks (each wrapped by :func:`contracts.judging.judging`
so it counts only responses it judged) plus the gate's ``schema_validation`` (jsonschema on every body
and SSE event, with JSON paths) and ``stream_grammar`` (on every ``text/event-stream``). Outcomes are
recorded from schemathesis' ``after_validate`` hook: one case per check that judged, one finding per
distinct failure (several in one response are several findings), and the case goes on: the budget is
spent looking for more problems, not shrinking the first one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import requests
import schemathesis.specs.openapi.checks  # noqa: F401  (registers the built-in checks)
from schemathesis import CheckContext, Response
from schemathesis.checks import CHECKS as ST_CHECKS
from schemathesis.core import NotSet
from schemathesis.core.failures import Failure, FailureGroup

from chatgate.gate.model import Problem
from contracts.gate import Gate
from contracts.judging import AnyCase, CheckFunction, judging
from contracts.validation import body_problems, grammar_problems, stable

__all__ = ["case_checks", "describe", "load_schema", "record_transport", "run_case"]


def api_of(case: AnyCase) -> str:
    return "nara" if case.operation.path.startswith("/api/v1.0/") else "navigable"


def _content_type(response: Response) -> str:
    values = response.headers.get("content-type") or [""]
    return values[0].split(";")[0].strip().lower()


class GateFailure(Failure):
    """A failure of one of the gate's own checks, signed like the gate's problems."""

    code = "CG100"
    kind_title = "chatgate check failed"
    __slots__ = ("signature",)

    def __init__(self, *, operation: str, problem: Problem) -> None:
        super().__init__(operation=operation, title=problem.title, message=problem.message)
        self.signature = problem.key

    @property
    def _unique_key(self) -> str:  # each distinct problem is its own failure (schemathesis dedups on it)
        return self.signature


def _fail(case: AnyCase, problems: list[Problem]) -> None:
    failures = [GateFailure(operation=case.operation.label, problem=p) for p in problems]
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise FailureGroup(failures)


def schema_validation(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """jsonschema validation of the body (or of every event of a stream) against the spec."""
    if case.method.upper() != case.operation.method.upper():
        return True  # an unsupported_method probe: no documented response to hold it to
    problems = body_problems(
        api_of(case), case.method, case.path, response.status_code, _content_type(response), response.content
    )
    if problems is None:
        return True  # no documented schema for this status and media type: nothing judged
    _fail(case, problems)
    return None


def stream_grammar(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """message_start, delta*, exactly one terminal event, nothing after it (streams only)."""
    if case.method.upper() != case.operation.method.upper():
        return True
    if _content_type(response) != "text/event-stream" or response.status_code != 200:
        return True
    if response.stream_cut_short:
        return True  # schemathesis stopped reading (max-stream-events): not the server's fault
    _fail(case, grammar_problems(response.content))
    return None


OWN_CASE_CHECKS: list[CheckFunction] = [schema_validation, stream_grammar]


def case_checks(gate: Gate) -> list[CheckFunction]:
    """The checks every schemathesis case runs, as the scope selects them (built-ins wrapped)."""
    builtins = [c for c in ST_CHECKS.get_all() if callable(c) and not isinstance(c, type)]
    chosen = [judging(c) for c in builtins if gate.scope.check_selected(c.__name__)]
    return chosen + [c for c in OWN_CASE_CHECKS if gate.scope.check_selected(c.__name__)]


_KEEP = ("status_code", "content_type", "scenario", "header_name", "failure_reason", "method")


def signature(failure: Failure, response: Response) -> str:
    """What makes two failures of one check the same violation: no generated value in it."""
    if isinstance(failure, GateFailure):
        return failure.signature
    parts = [str(getattr(failure, "code", "")), str(failure.title)]
    schema_path = getattr(failure, "schema_path", None)
    if schema_path is not None:
        instance = "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in getattr(failure, "instance_path", [])
        )
        parts += [str(response.status_code), "/".join(map(str, schema_path)), stable("$" + instance)]
    for name in _KEEP:
        value = getattr(failure, name, None)
        if value is not None and not callable(value):
            parts.append(f"{name}={value}")
    return " ".join(parts)


def _request_body(response: Response) -> bytes | str | None:
    body = response.request.body
    return body if isinstance(body, bytes | str) else None


def record_results(gate: Gate, api: str) -> Callable[..., None]:
    """A schemathesis ``after_validate`` hook recording what each check judged into ``gate``."""

    def after_validate(context: Any, case: AnyCase, response: Response, results: list[Any]) -> None:
        operation = case.operation.label
        req = response.request
        example = gate.example(str(req.method), str(req.url), dict(req.headers), _request_body(response),
                               response.status_code)  # fmt: skip
        by_check: dict[str, list[Problem]] = defaultdict(list)
        codes: dict[str, str] = {}
        for result in results:
            problems = by_check[result.name]
            if result.failure is not None:
                f = result.failure
                problems.append(Problem(str(f.title), str(f.message)[:4000], signature(f, response)))
                codes[result.name] = str(getattr(f, "code", "")) or codes.get(result.name, "")
        if gate.scope.check_selected("transport"):
            by_check["transport"] = []  # the response was read to its end
        seconds = gate.lap() / max(1, len(by_check))
        for check, problems in by_check.items():
            clean = [
                Problem(*(gate_scrub(gate, p.title), gate_scrub(gate, p.message)), p.signature)
                for p in problems
            ]
            gate.ledger.judged(api, operation, check, clean, example=example, seconds=seconds,
                               code=codes.get(check))  # fmt: skip

    return after_validate


def gate_scrub(gate: Gate, text: str) -> str:
    from chatgate.artifacts import scrub

    return scrub(text, gate.secrets)


def describe(case: AnyCase) -> str:
    """A case as deterministic text (credentials left out): what the same seed must reproduce."""
    secret = {"authorization", "x-api-key"}
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in secret}
    body = "(no body)" if isinstance(case.body, NotSet) else case.body  # NotSet's repr has an address
    return repr((case.operation.label, case.path_parameters, case.query, sorted(headers.items()), body))


def run_case(case: AnyCase, gate: Gate, checks: list[CheckFunction]) -> None:
    """Send one case with the run's checks; record, never raise on findings."""
    gate.ledger.generated_case(describe(case))
    try:
        case.call_and_validate(checks=checks)
    except FailureGroup:
        pass  # recorded by the after_validate hook
    except Failure:
        pass
    except requests.RequestException as exc:
        record_transport(gate, case, exc)


def _sent(case: AnyCase, exc: Exception) -> requests.PreparedRequest | None:
    """The request a failed call sent: from the exception, else rebuilt from the case."""
    req = getattr(exc, "request", None)
    if isinstance(req, requests.PreparedRequest):
        return req
    try:
        kwargs = case.as_transport_kwargs()
        fields = {k: kwargs[k] for k in ("headers", "params", "json", "data") if k in kwargs}
        return requests.Request(kwargs["method"], kwargs["url"], **fields).prepare()
    except Exception:  # a case that cannot be rebuilt still gets its finding, without an example
        return None


def record_transport(gate: Gate, case: AnyCase, exc: Exception) -> None:
    kind = type(exc).__name__
    title = "connection broke off mid-response" if "Chunked" in kind else f"request failed ({kind})"
    req = _sent(case, exc)
    example = None
    if req is not None:
        body = req.body if isinstance(req.body, bytes | str) else None
        example = gate.example(str(req.method), str(req.url), dict(req.headers), body, None)
    problem = Problem(title, gate_scrub(gate, str(exc)[:500]))
    gate.ledger.judged(
        api_of(case), case.operation.label, "transport", [problem], example=example, seconds=gate.lap()
    )


def load_schema(api: str) -> Any:
    """The spec of ``api`` loaded by schemathesis, configured from the environment (targets, scope),
    recording into the session's gate. An API that is not selected gets a bare schema (its tests are
    deselected)."""
    import schemathesis

    from chatgate.specs import spec_path
    from contracts.gate import session_gate
    from contracts.target import DEFAULT_MAX_EXAMPLES, int_setting, selected_apis, selected_operations, target

    if api not in selected_apis():
        return schemathesis.openapi.from_path(spec_path(api))
    t = target(api)
    gate = session_gate()
    config = schemathesis.Config.from_dict(
        {
            "seed": int_setting("CHATGATE_SEED", 0),
            "base-url": t.base_url,
            "headers": {**dict(gate.scope.headers), **t.auth_headers},
            "request-timeout": 20,
            "generation": {
                "max-examples": int_setting("CHATGATE_MAX_EXAMPLES", DEFAULT_MAX_EXAMPLES, 1),
                "mode": gate.scope.mode,
                "database": "none",
            },
            "phases": {"stateful": {"max-steps": 8}},
        }
    )
    loaded = schemathesis.openapi.from_path(spec_path(api), config=config)
    schema = loaded.include(name=selected_operations(api) or ["(none)"])
    schema.hook(record_results(gate, api))
    return schema
