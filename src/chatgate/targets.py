"""Which deployment each API is tested at, with which credentials, and whether it can be tested.

Shared by ``chatgate contract`` and ``chatgate load`` so both read their configuration the same way,
in the order flag, environment, default (ARCHITECTURE.md): ``--base-url``, then ``NARA_BASE_URL`` /
``NAVIGABLE_BASE_URL`` / ``CHATGATE_BASE_URL``, else the embedded reference server; ``NARA_API_KEY``,
``NAVIGABLE_API_KEY`` (the dev keys on the embedded server); the identity the key belongs to, when the
spec says a key identifies something (``x-chatgate-identity``), from ``<API>_<NAME>`` (``NARA_USER_ID``),
and a second identity from ``<API>_API_KEY_2`` and ``<API>_<NAME>_2``.

The embedded server is used only when no target is given at all, for any API of the run. A URL given
but empty or blank (``--base-url ""``, or ``NARA_BASE_URL=`` as CI systems expand a variable that is
not set) is a UsageError naming where it came from, and so is a run that names a target for one of
its APIs but none for another: either would otherwise test the embedded server and pass. Every report
of a run against the embedded server says so (:data:`EMBEDDED_BANNER`).

Before anything runs, :func:`probe` sends one valid, read-only request per API with the configured key,
built from the spec (:mod:`chatgate.contract_model`): a GET operation whose parameters can all be filled.
No answer, a TLS failure, a rejected key (401), a key that does not own the identity it was given (the
ownership rule's status) or an answer that is not the API's is a :class:`~chatgate.errors.TargetError`
(exit 3, one line); anything else, even a 500, is left to the run to judge.

TLS and proxies as users have them: :class:`Tls` carries ``--ca-bundle``, ``--client-cert`` (mTLS) and
``--no-tls-verify``; proxies come from ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY`` (httpx and
requests both read them).
"""

from __future__ import annotations

import json
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from chatgate.apis import DEV_KEYS, DEV_NARA_KEYS, DEV_SECOND_IDENTITY, ApiName, key_variable
from chatgate.contract_model import ContractModel, Identity, Operation, build_query, model_for
from chatgate.errors import TargetError, UsageError

__all__ = [
    "EMBEDDED_BANNER",
    "Target",
    "Tls",
    "check_url",
    "credentials",
    "probe",
    "probe_answers",
    "resolve_targets",
    "second_identity",
]

# What the console and every report say when the embedded reference server was the target.
EMBEDDED_BANNER = "target: the embedded reference server (no --base-url or *_BASE_URL given)"


@dataclass(frozen=True)
class Tls:
    """How the target's TLS is checked: ``verify`` (False: ``--no-tls-verify``), ``ca_bundle`` (PEM CA
    certificates), ``client_cert`` and ``client_key`` (mTLS; the key may sit in the certificate's file)."""

    verify: bool = True
    ca_bundle: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None

    def check(self) -> Tls:
        """UsageError (exit 2) naming the flag of a file that is missing or not PEM."""
        for flag, path in (("--ca-bundle", self.ca_bundle), ("--client-cert", self.client_cert),
                           ("--client-key", self.client_key)):  # fmt: skip
            if path is not None and not path.is_file():
                raise UsageError(f"{flag} {path}: no such file")
        try:
            self.context()
        except (ssl.SSLError, OSError) as exc:
            raise UsageError(f"TLS files cannot be used: {exc}") from None
        return self

    def context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.ca_bundle) if self.ca_bundle else None)
        if self.client_cert is not None:
            key = str(self.client_key) if self.client_key else None
            ctx.load_cert_chain(str(self.client_cert), key)
        if not self.verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def env(self) -> dict[str, str]:
        """The suite's variables for these settings (``contracts/target.py``)."""
        out = {"CHATGATE_TLS_VERIFY": "1" if self.verify else "0"}
        for name, path in (("CHATGATE_CA_BUNDLE", self.ca_bundle), ("CHATGATE_CLIENT_CERT", self.client_cert),
                           ("CHATGATE_CLIENT_KEY", self.client_key)):  # fmt: skip
            if path is not None:
                out[name] = str(path.resolve())
        return out

    def describe(self) -> dict[str, object]:
        return {
            "verify": self.verify,
            "ca_bundle": str(self.ca_bundle) if self.ca_bundle else None,
            "client_cert": str(self.client_cert) if self.client_cert else None,
        }


@dataclass(frozen=True)
class Target:
    """One API under test: where it lives and the credentials to use (never printed)."""

    api: ApiName
    base_url: str
    key: str = field(repr=False)
    # The identity the key belongs to (the spec's x-chatgate-identity: Nara's user), parsed by its schema.
    user_id: int | None = None
    embedded: bool = False  # the embedded reference server, started because no target was given

    def url(self, path: str) -> str:
        """``path`` (``/api/...``) under this target's base URL."""
        return self.base_url.rstrip("/") + path


def probe(target: Target, *, timeout: float = 10.0, tls: Tls | None = None) -> tuple[int, ...]:
    """Raise TargetError when ``target`` cannot be tested; return quietly otherwise.

    A 502, 503 or 504 (a proxy in front of the API) is sent once more, as the specs say a client does.
    Returns the status of every answer, in order (one, or two when the first was sent again; none when
    the spec has no GET operation to probe with)."""
    return tuple(status for status, _ in probe_answers(target, timeout=timeout, tls=tls))


def probe_answers(
    target: Target, *, timeout: float = 10.0, tls: Tls | None = None
) -> tuple[tuple[int, str], ...]:
    """:func:`probe`, with each answer's media type (what the gate's coverage counts)."""
    response = _probe_once(target, timeout, tls)
    if response is None:
        return ()
    first = (response.status_code, _media(response))
    if first[0] not in (502, 503, 504):
        return (first,)
    again = _probe_once(target, timeout, tls)
    return (first,) if again is None else (first, (again.status_code, _media(again)))


def _media(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "")).split(";", 1)[0].strip().lower()


@dataclass(frozen=True, slots=True)
class _Probe:
    op: Operation
    params: dict[str, str]
    headers: dict[str, str]
    bound: bool  # a parameter carries the identity the key belongs to


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
            placed = model.credentials(target.key, op)
            params = {k: _text(v) for k, v in {**query, **placed.query}.items()}
            bound = bool(model.identity_parameters(op, target.user_id))
            return _Probe(op, params, dict(placed.headers), bound)
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


def _probe_once(target: Target, timeout: float, tls: Tls | None) -> httpx.Response | None:
    found = probe_request(target)
    if found is None:
        return None
    url = target.base_url.rstrip("/") + found.op.path
    try:
        response = httpx.get(
            url, params=found.params, headers=found.headers, timeout=timeout, verify=(tls or Tls()).context()
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


def _is_json(response: httpx.Response) -> bool:
    """Whether the body is JSON, whatever the Content-Type says (a wrong one is the gate's finding)."""
    try:
        response.json()
    except ValueError:
        return False
    return True


def check_url(url: str, origin: str) -> str:
    if not url.strip():
        raise UsageError(
            f"{origin} is empty: give the target's URL (a CI variable that is not set expands to an empty "
            "one), or give no target at all to test the embedded reference server"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{origin}={url!r}: expected an http(s)://host[:port] URL")
    return url.rstrip("/")


def _given(api: ApiName, base_url: str | None) -> tuple[str | None, str]:
    """The URL given for ``api`` and where (flag, then its variable, then ``CHATGATE_BASE_URL``); a
    variable that is set counts as given, even empty."""
    if base_url is not None:
        return check_url(base_url, "--base-url"), "--base-url"
    for name in (f"{api.upper()}_BASE_URL", "CHATGATE_BASE_URL"):
        if name in os.environ:
            return check_url(os.environ[name], name), name
    return None, "embedded"


def resolve_targets(
    apis: list[ApiName], base_url: str | None
) -> tuple[dict[ApiName, str | None], dict[ApiName, str]]:
    """Per API: the base URL (None: use the embedded server) and where it came from. UsageError for a
    URL given empty or malformed, and for a run that gives a target for some of its APIs only."""
    urls: dict[ApiName, str | None] = {}
    origins: dict[ApiName, str] = {}
    for api in apis:
        urls[api], origins[api] = _given(api, base_url)
    missing = [api for api in apis if urls[api] is None]
    if missing and len(missing) < len(apis):
        given = next(api for api in apis if urls[api] is not None)
        raise UsageError(
            f"{missing[0]}: no target given ({missing[0].upper()}_BASE_URL or CHATGATE_BASE_URL) while "
            f"{given}'s comes from {origins[given]}; the embedded reference server is used only when no "
            f"target is given at all: set {missing[0].upper()}_BASE_URL, or select only {given}"
        )
    return urls, origins


# The reference server's dev identities: per API, the identity each dev key belongs to, and a second one.
_DEV_IDENTITIES: Mapping[ApiName, Mapping[str, int]] = {"nara": DEV_NARA_KEYS}
_DEV_SECOND: Mapping[ApiName, tuple[str, int]] = {"nara": DEV_SECOND_IDENTITY}


def _identity(api: ApiName, variable: str, identity: Identity) -> Any:
    """The identity in ``variable`` parsed by its schema; None when unset. UsageError when unreadable."""
    raw = os.environ.get(variable, "")
    if not raw:
        return None
    try:
        return identity.parse(raw)
    except ValueError:
        kind = "an integer" if identity.schema.get("type") == "integer" else f"a {api} {identity.name}"
        raise UsageError(f"{variable}={raw!r} is not {kind}") from None


def credentials(api: ApiName, url: str, embedded: bool) -> Target:
    """The target of ``api`` at ``url`` with its key (and the identity it belongs to) from the environment.

    On the embedded server a missing key means its dev key (and that key's identity); anywhere else it is
    a UsageError naming the variable (the key itself is never printed).
    """
    key_var = key_variable(api)
    key = os.environ.get(key_var, "")
    if not key:
        if not embedded:
            raise UsageError(f"{key_var} is not set (the key for {url})")
        key = DEV_KEYS[api]
    model = model_for(api)
    identity, variable = model.identity, model.identity_variable()
    if identity is None or variable is None:
        return Target(api, url, key, embedded=embedded)
    value = _identity(api, variable, identity)
    if value is None:
        value = _DEV_IDENTITIES.get(api, {}).get(key) if key == DEV_KEYS[api] else None
    if value is None:
        raise UsageError(f"{variable} is not set (the {identity.name} the {api.capitalize()} key belongs to)")
    return Target(api, url, key, value, embedded)


def second_identity(first: Target, *, embedded: bool = False) -> Target | None:
    """A second identity of ``first``'s API for cross-user checks, from ``<API>_API_KEY_2`` and the
    identity's variable with ``_2`` (``NARA_USER_ID_2``), both or neither, at the same host as ``first``;
    None when not configured or when the API's keys identify nothing, except on the embedded server,
    which provides one (its second dev key)."""
    model = model_for(first.api)
    identity, variable = model.identity, model.identity_variable()
    if identity is None or variable is None:
        return None
    key_var, id_var = f"{key_variable(first.api)}_2", f"{variable}_2"
    key = os.environ.get(key_var, "")
    value = _identity(first.api, id_var, identity)
    if not key and value is None:
        dev = _DEV_SECOND.get(first.api)
        if embedded and dev is not None and first.key == DEV_KEYS[first.api]:
            return Target(first.api, first.base_url, *dev, embedded=True)
        return None
    if not key or value is None:
        missing = key_var if not key else id_var
        raise UsageError(
            f"{missing} is not set (a second {first.api.capitalize()} identity needs both of these variables)"
        )
    if value == first.user_id:
        raise UsageError(
            f"{id_var} is the same {identity.name} as {variable} (a second identity must differ)"
        )
    return Target(first.api, first.base_url, key, value)
