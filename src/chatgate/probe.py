"""Whether a target can be tested, before anything runs (``chatgate contract`` and ``chatgate load``).

:func:`probe` sends one valid, read-only request per API with the configured key, built from the spec
(:mod:`chatgate.contract_model`): a GET operation whose parameters can all be filled. No answer, a TLS
failure, a rejected key (401 in every scheme the spec accepts it in), a key that does not own the
identity it was given (the ownership rule's status) or an answer that is not the API's is a
:class:`~chatgate.errors.TargetError` (exit 3, one line); anything else, even a 500, is left to the run
to judge. A key refused in the spec's first scheme but accepted in another is sent in that one for the
whole run (:func:`check_target`; the refused scheme is the auth check's finding). ``<API>_AUTH_SCHEME``
names the scheme to use from the start (:func:`chatgate.targets.credentials`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import httpx

from chatgate.apis import key_variable
from chatgate.contract_model import ContractModel, Operation, build_query, model_for
from chatgate.errors import TargetError
from chatgate.targets import Target, Tls

__all__ = ["check_target", "probe", "probe_request"]


def probe(target: Target, *, timeout: float = 10.0, tls: Tls | None = None) -> tuple[int, ...]:
    """Raise TargetError when ``target`` cannot be tested; return quietly otherwise.

    A 502, 503 or 504 (a proxy in front of the API) is sent once more, as the specs say a client does.
    Returns the status of every answer, in order (one, or two when the first was sent again; none when
    the spec has no GET operation to probe with)."""
    return tuple(status for status, _ in check_target(target, timeout=timeout, tls=tls)[1])


def check_target(
    target: Target, *, timeout: float = 10.0, tls: Tls | None = None
) -> tuple[Target, tuple[tuple[int, str], ...]]:
    """:func:`probe`, with each answer's media type (what the gate's coverage counts), and ``target`` as
    the run should use it: when the key is refused where the spec's first scheme puts it but accepted in
    another the spec also names, with that scheme (so one defect, the refused scheme, is the auth
    check's one finding, not every request's)."""
    sent = _probe_once(target, timeout, tls)
    if sent is None:
        return target, ()
    response, scheme = sent
    used = replace(target, scheme=scheme) if scheme is not None else target
    first = (response.status_code, _media(response))
    if first[0] not in (502, 503, 504):
        return used, (first,)
    again = _probe_once(used, timeout, tls)
    return used, ((first,) if again is None else (first, (again[0].status_code, _media(again[0]))))


def _media(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "")).split(";", 1)[0].strip().lower()


@dataclass(frozen=True, slots=True)
class _Probe:
    op: Operation
    params: dict[str, str]
    headers: dict[str, str]
    bound: bool  # a parameter carries the identity the key belongs to
    # the same request with the key where each other scheme ``op`` accepts puts it (scheme, query, headers)
    alternatives: tuple[tuple[str, dict[str, str], dict[str, str]], ...] = ()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _fill(model: ContractModel, op: Operation, target: Target) -> dict[str, Any] | None:
    """The query of a probe of ``op``, or None when a parameter it needs cannot be filled: those bound to
    the identity take the target's, a session one ``chatgate-probe``, the page size its minimum."""
    bound = model.identity_parameters(op, target.user_id)
    pages = model.rules(op).pagination
    size = pages.size if pages is not None else None
    extra = {size.name: pages.size_range[0]} if size is not None and pages is not None else {}
    for p in op.parameters:
        known = p.name in bound or p.role == "session" or p.name in extra
        if p.required and (p.location != "query" or not known):
            return None
    return build_query(op, bound=bound, session="chatgate-probe", extra=extra)


def probe_request(target: Target) -> _Probe | None:
    """The probe of ``target``'s API: a GET of its spec whose parameters can all be filled (one that
    takes the key first); None when the spec has none."""
    model = model_for(target.api)
    gets = sorted((o for o in model.operations if o.method == "GET"), key=lambda o: not o.schemes)
    for op in gets:
        query = _fill(model, op, target)
        if query is not None:
            placed = model.credentials(target.key, op, target.scheme)
            params = {k: _text(v) for k, v in {**query, **placed.query}.items()}
            bound = bool(model.identity_parameters(op, target.user_id))
            others = tuple(
                (s.name, {k: _text(v) for k, v in {**query, **p.query}.items()}, dict(p.headers))
                for s, p in ((s, s.place(target.key)) for s in op.schemes)
                if p != placed
            )
            return _Probe(op, params, dict(placed.headers), bound, others)
    return None


def _refused(target: Target, probe: _Probe, status: int) -> str | None:
    """The one line for an answer that says the key cannot be used as configured, or None."""
    model = model_for(target.api)
    if status == 401:
        return f"{target.api}: {target.base_url} rejected the key (401); check {key_variable(target.api)}"
    rule = model.rules(probe.op).ownership
    if rule is not None and probe.bound and str(status) == rule.status and model.identity is not None:
        return (
            f"{target.api}: the key does not belong to {model.identity.name} {target.user_id} ({status} on"
            f" {probe.op.label}); check {model.identity_variable()}"
        )
    return None


def _probe_once(target: Target, timeout: float, tls: Tls | None) -> tuple[httpx.Response, str | None] | None:
    """The probe's answer, and the scheme it was accepted in when not the one ``target`` uses."""
    found = probe_request(target)
    if found is None:
        return None
    url = target.base_url.rstrip("/") + found.op.path
    response = _get(target, url, found.params, found.headers, timeout, tls)
    # A key refused where the first scheme puts it is a wrong key only when every scheme the spec lets
    # the operation take it in refuses it too; a server that takes it in another is the run's finding.
    for scheme, params, headers in found.alternatives if response.status_code == 401 else ():
        other = _get(target, url, params, headers, timeout, tls)
        if other.status_code != 401:
            return _checked(target, found, url, other), scheme
    return _checked(target, found, url, response), None


def _checked(target: Target, found: _Probe, url: str, response: httpx.Response) -> httpx.Response:
    """``response``, or TargetError when it says the target cannot be tested as configured."""
    refused = _refused(target, found, response.status_code)
    if refused is not None:
        raise TargetError(refused)
    if response.status_code == 404:
        raise TargetError(f"{target.api}: {url} is not found (404); is the base URL right?")
    if response.status_code < 500 and not _is_json(response):
        media = response.headers.get("content-type", "").split(";", 1)[0].strip() or "no content type"
        raise TargetError(  # a login page, a web server's default page, a redirect: not the API
            f"{target.api}: {url} answers {response.status_code} ({media}) with a body that is not JSON;"
            " is the base URL right?"
        )
    return response


def _get(
    target: Target, url: str, params: dict[str, str], headers: dict[str, str], timeout: float, tls: Tls | None
) -> httpx.Response:
    try:
        return httpx.get(
            url, params=params, headers=headers, timeout=timeout, verify=(tls or Tls()).context()
        )
    except httpx.ConnectError as exc:
        reason = str(exc) or type(exc).__name__
        if "SSL" in reason or "certificate" in reason:
            raise TargetError(f"{target.api}: TLS failure at {target.base_url}: {reason}") from None
        raise TargetError(f"{target.api}: cannot reach {target.base_url}: {reason}") from None
    except httpx.TimeoutException:
        raise TargetError(f"{target.api}: {target.base_url} did not answer within {timeout:.0f}s") from None
    except httpx.HTTPError as exc:
        raise TargetError(f"{target.api}: cannot reach {target.base_url}: {type(exc).__name__}") from None


def _is_json(response: httpx.Response) -> bool:
    """Whether the body is JSON, whatever the Content-Type says (a wrong one is the gate's finding)."""
    try:
        response.json()
    except ValueError:
        return False
    return True
