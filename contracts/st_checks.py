"""Running schemathesis cases through the gate: the checks of the run, recording, and the runners.

Every schemathesis case runs the selected built-in checks (each wrapped by :func:`contracts.judging.judging`
so it counts only responses it judged) plus the gate's ``schema_validation`` (jsonschema on every body
and SSE event, with JSON paths), ``stream_grammar`` and ``stream_stalled`` (on every
``text/event-stream``). Outcomes are recorded from schemathesis' ``after_validate`` hook: one case per
check that judged, one finding per distinct failure (several in one response are several findings), and
the case goes on: the budget is spent looking for more problems, not shrinking the first one. ``transport``
judges what the transport read (cut, undecodable) for every case.

Cases are sent with a ``requests`` session of the calling thread (:func:`run_case`, :func:`run_chain`),
and the checks that send requests of their own (``ignored_auth``...) get that session too: everything
goes through the one transport (``contracts.transport``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import requests
import schemathesis.specs.openapi.checks  # noqa: F401  (registers the built-in checks)
from schemathesis import CheckContext, Response
from schemathesis.checks import CHECKS as ST_CHECKS
from schemathesis.core import NotSet
from schemathesis.core.failures import Failure, FailureGroup

from chatgate.contract_model import model_for
from chatgate.gate.model import Example, Problem
from contracts.chains import Chain, linked_case, new_recorder
from contracts.client import stall_problems, transport_problems
from contracts.failures import CREDENTIALS_NOT_ENFORCED, signature
from contracts.gate import Gate
from contracts.judging import AnyCase, CheckFunction, api_of, judging, take_evidence
from contracts.pointers import spec_pointer_of
from contracts.streams import grammar_problems
from contracts.transport import BULK, wire_of
from contracts.validation import body_problems, schema_defect, stable

__all__ = ["case_checks", "describe", "load_schema", "record_transport", "run_case", "run_chain"]


def _content_type(response: Response) -> str:
    values = response.headers.get("content-type") or [""]
    return values[0].split(";")[0].strip().lower()


class GateFailure(Failure):
    """A failure of one of the gate's own checks, signed like the gate's problems."""

    code = "CG100"
    kind_title = "chatgate check failed"
    __slots__ = ("problem", "signature")

    def __init__(self, *, operation: str, problem: Problem) -> None:
        super().__init__(operation=operation, title=problem.title, message=problem.message)
        self.signature = problem.key
        self.problem = problem  # with its spec pointer and defect, recorded as the check made it

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
    """The stream's grammar and rules as its spec states them (documented streams only)."""
    if case.method.upper() != case.operation.method.upper():
        return True
    op = model_for(api_of(case)).find(case.operation.method, case.operation.path)
    media = op.media(response.status_code, _content_type(response)) if op is not None else None
    if media is None or media.stream is None:
        return True  # not a documented stream of the spec
    if response.stream_cut_short:
        return True  # the transport stopped reading (a deadline, the size cap): stream_stalled's to judge
    wire = wire_of(response.request)
    _fail(case, grammar_problems(media.stream, response.content, cut=wire is not None and wire.cut))
    return None


def stream_stalled(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """Every stream sends an event at least every --stream-idle-timeout and ends within --stream-timeout."""
    wire = wire_of(response.request)
    if wire is None or not wire.stream or wire.capped:
        return True
    _fail(case, stall_problems(wire))
    return None


OWN_CASE_CHECKS: list[CheckFunction] = [schema_validation, stream_grammar, stream_stalled]


def case_checks(gate: Gate) -> list[CheckFunction]:
    """The checks every schemathesis case runs, as the scope selects them (built-ins wrapped)."""
    builtins = [c for c in ST_CHECKS.get_all() if callable(c) and not isinstance(c, type)]
    chosen = [judging(c) for c in builtins if gate.scope.check_selected(c.__name__)]
    return chosen + [c for c in OWN_CASE_CHECKS if gate.scope.check_selected(c.__name__)]


def defect_of(check: str, failure: Failure, pointer: str | None) -> str | None:
    """The defect a schemathesis failure shows, when another check can show the same one: a schema
    violation (the schema object at the place of the body), requests accepted without valid credentials."""
    if check == "ignored_auth":
        return CREDENTIALS_NOT_ENFORCED
    instance = getattr(failure, "instance_path", None)
    if check == "response_schema_conformance" and instance is not None:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in instance)
        return schema_defect(pointer, stable("$" + path))
    return None


def _signature(failure: Failure, response: Response) -> str:
    own = failure.signature if isinstance(failure, GateFailure) else None
    return signature(failure, response.status_code, own)


def _example(gate: Gate, request: Any, response: Any) -> Example:
    """The exchange as a finding shows it (a requests or a schemathesis response)."""
    body = request.body if isinstance(request.body, bytes | str) else None
    headers = response.headers
    media = headers.get("content-type") or ""
    media = media[0] if isinstance(media, list) else media
    status = getattr(response, "status_code", None)
    return gate.example(str(request.method), str(request.url), dict(request.headers), body, status,
                        response.content, str(media))  # fmt: skip


def record_results(gate: Gate, api: str) -> Callable[..., None]:
    """A schemathesis ``after_validate`` hook recording what each check judged into ``gate``: each
    check's evidence is the exchange it judged (a check that failed on a request of its own shows that)."""

    def after_validate(context: Any, case: AnyCase, response: Response, results: list[Any]) -> None:
        operation = case.operation.label
        req = response.request
        example = _example(gate, req, response)
        by_check: dict[str, list[Problem]] = defaultdict(list)
        codes: dict[str, str] = {}
        evidence: dict[str, Example] = {}
        for result in results:
            problems = by_check[result.name]
            f = result.failure
            if f is None:
                continue
            codes[result.name] = str(getattr(f, "code", "")) or codes.get(result.name, "")
            if isinstance(f, GateFailure):
                problems.append(replace(f.problem, message=f.problem.message[:4000]))
            else:
                pointer = spec_pointer_of(api, case, response, result.name, f)
                problems.append(Problem(str(f.title), str(f.message)[:4000], _signature(f, response), pointer,
                                        defect_of(result.name, f, pointer)))  # fmt: skip
                own = take_evidence(result.name)
                if own is not None:
                    evidence[result.name] = _example(gate, *own)
        if gate.scope.check_selected("transport"):
            content_type = _content_type(response)
            by_check["transport"] = transport_problems(wire_of(req), None, response.status_code, content_type)
        seconds = gate.lap() / max(1, len(by_check))
        for check, problems in by_check.items():
            shown = evidence.get(check, example)
            gate.judged(api, operation, check, problems, shown, code=codes.get(check), seconds=seconds)

    return after_validate


def describe(case: AnyCase) -> str:
    """A case as deterministic text (credentials left out): what the same seed must reproduce."""
    ops = model_for(api_of(case)).operations
    secret = {"authorization", *(s.field.lower() for op in ops for s in op.schemes if s.location == "header")}
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in secret}
    body = "(no body)" if isinstance(case.body, NotSet) else case.body  # NotSet's repr has an address
    return repr((case.operation.label, case.path_parameters, case.query, sorted(headers.items()), body))


def run_case(case: AnyCase, gate: Gate, checks: list[CheckFunction], session: requests.Session) -> None:
    """Send one case with the run's checks (a bulk request: see ``contracts.transport.Slots``); record,
    never raise on findings."""
    BULK.set(True)  # in this task's own context only
    gate.restart_clock()
    try:
        case.call_and_validate(session=session, checks=checks)
    except (FailureGroup, Failure):
        pass  # recorded by the after_validate hook
    except requests.RequestException as exc:
        record_transport(gate, case, exc)


def run_chain(chain: Chain, pools: dict[str, list[AnyCase]], gate: Gate, checks: list[CheckFunction],
              session: requests.Session, api: str) -> int:  # fmt: skip
    """Run one chain's steps in order; the number of steps sent."""
    recorder = new_recorder(api, chain)
    previous: tuple[AnyCase, Response] | None = None
    for sent, step in enumerate(chain.steps):
        gate.restart_clock()
        base = pools[step.operation][step.case]
        case = (
            base.derive(keep_auth=True)
            if step.link is None
            else linked_case(base, step.link, previous and previous[1])
        )
        if case is None:
            return sent  # the previous answer does not carry the link: the chain ends here
        recorder.record_case(case=case, parent_id=previous[0].id if previous and step.link else None)
        try:
            response = case.call(session=session)
        except requests.RequestException as exc:
            record_transport(gate, case, exc)
            return sent + 1
        recorder.record_response(case_id=case.id, response=response)
        try:
            case.validate_response(
                response, checks=checks, transport_kwargs={"session": session}, recorder=recorder
            )
        except (FailureGroup, Failure):
            pass  # recorded by the after_validate hook
        except requests.RequestException as exc:
            record_transport(gate, case, exc)
        previous = (case, response)
    return len(chain.steps)


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
    gate.judged(api_of(case), case.operation.label, "transport", [Problem(title, str(exc)[:500])], example)


def load_schema(api: str, *, chain_pool: int = 0) -> Any:
    """The spec of ``api`` loaded by schemathesis, configured from the environment (targets, scope),
    recording into the session's gate. ``chain_pool``: instead, a schema that generates that many valid
    cases per operation, fuzzing only (the pool chains draw their steps from). An API that is not
    selected gets a bare schema (its tests are deselected)."""
    import schemathesis

    from chatgate.specs import spec_path
    from contracts.gate import session_gate
    from contracts.target import (
        DEFAULT_MAX_EXAMPLES,
        int_setting,
        run_settings,
        selected_apis,
        selected_operations,
        target,
    )

    if api not in selected_apis():
        return schemathesis.openapi.from_path(spec_path(api))
    t = target(api)
    gate = session_gate()
    generation = {
        "max-examples": chain_pool or int_setting("CHATGATE_MAX_EXAMPLES", DEFAULT_MAX_EXAMPLES, 1),
        "mode": "positive" if chain_pool else gate.scope.mode,
        "database": "none",
    }
    phases = {"examples": {"enabled": False}, "coverage": {"enabled": False}} if chain_pool else {}
    config = schemathesis.Config.from_dict(
        {
            "seed": int_setting("CHATGATE_SEED", 0),
            "base-url": t.base_url,
            # the key where the spec's first scheme puts it (a scheme schemathesis is not given a value
            # for, it fills with a generated one)
            "headers": {
                **dict(gate.scope.headers),
                **model_for(api).credentials(t.key, scheme=t.scheme).headers,
            },
            "request-timeout": run_settings().deadlines.request_s,
            "max-stream-events": 1_000_000_000,  # streams are read whole (and bounded) by the transport
            "generation": generation,
            "phases": phases,
        }
    )
    loaded = schemathesis.openapi.from_path(spec_path(api), config=config)
    schema = loaded.include(name=selected_operations(api) or ["(none)"])
    schema.hook(record_results(gate, api))
    return schema
