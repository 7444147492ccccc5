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

Whether a target can be tested at all is :mod:`chatgate.probe`'s.

TLS and proxies as users have them: :class:`Tls` carries ``--ca-bundle``, ``--client-cert`` (mTLS) and
``--no-tls-verify``; proxies come from ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY`` (httpx and
requests both read them).
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chatgate.apis import DEV_KEYS, DEV_NARA_KEYS, DEV_SECOND_IDENTITY, ApiName, key_variable, scheme_variable
from chatgate.contract_model import ContractModel, Identity, model_for
from chatgate.errors import UsageError

__all__ = [
    "EMBEDDED_BANNER",
    "Target",
    "Tls",
    "check_url",
    "credentials",
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
    # The security scheme the key is sent in (<API>_AUTH_SCHEME, or the one the probe found it accepted
    # in); None: the spec's first scheme each operation accepts.
    scheme: str | None = None

    def url(self, path: str) -> str:
        """``path`` (``/api/...``) under this target's base URL."""
        return self.base_url.rstrip("/") + path


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
    scheme = _scheme(api, model)
    identity, variable = model.identity, model.identity_variable()
    if identity is None or variable is None:
        return Target(api, url, key, embedded=embedded, scheme=scheme)
    value = _identity(api, variable, identity)
    if value is None:
        value = _DEV_IDENTITIES.get(api, {}).get(key) if key == DEV_KEYS[api] else None
    if value is None:
        raise UsageError(f"{variable} is not set (the {identity.name} the {api.capitalize()} key belongs to)")
    return Target(api, url, key, value, embedded, scheme)


def _scheme(api: ApiName, model: ContractModel) -> str | None:
    """The scheme named in ``<API>_AUTH_SCHEME`` (None when unset); UsageError when the spec has none
    of that name."""
    variable = scheme_variable(api)
    name = os.environ.get(variable, "").strip()
    if not name:
        return None
    names = [s.name for s in model.schemes]
    if name not in names:
        raise UsageError(
            f"{variable}={name!r}: the {api} spec has no such security scheme"
            f" (it has: {', '.join(names) or 'none'})"
        )
    return name


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
