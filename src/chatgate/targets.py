"""Which deployment each API is tested at, with which credentials, and whether it can be tested.

Shared by ``chatgate contract`` and ``chatgate load`` so both read their configuration the same way,
in the order flag, environment, default (ARCHITECTURE.md): ``--base-url``, then ``NARA_BASE_URL`` /
``NAVIGABLE_BASE_URL`` / ``CHATGATE_BASE_URL``, else the embedded reference server; ``NARA_API_KEY``,
``NAVIGABLE_API_KEY`` (the dev keys on the embedded server); ``NARA_USER_ID``.

The embedded server is used only when no target is given at all, for any API of the run. A URL given
but empty or blank (``--base-url ""``, or ``NARA_BASE_URL=`` as CI systems expand a variable that is
not set) is a UsageError naming where it came from, and so is a run that names a target for one of
its APIs but none for another: either would otherwise test the embedded server and pass. Every report
of a run against the embedded server says so (:data:`EMBEDDED_BANNER`).

Before anything runs, :func:`probe` sends one valid, read-only request per API with the configured key.
No answer, a TLS failure, a rejected key (401) or a key that belongs to another user (403) is a
:class:`~chatgate.errors.TargetError` (exit 3, one line); anything else, even a 500, is left to the
run to judge.

TLS and proxies as users have them: :class:`Tls` carries ``--ca-bundle``, ``--client-cert`` (mTLS) and
``--no-tls-verify``; proxies come from ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY`` (httpx and
requests both read them).
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from chatgate.apis import DEV_KEYS, DEV_NARA_USER, DEV_SECOND_IDENTITY, ApiName, auth_headers, key_variable
from chatgate.errors import TargetError, UsageError

__all__ = [
    "EMBEDDED_BANNER",
    "Target",
    "Tls",
    "check_url",
    "credentials",
    "probe",
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
    user_id: int | None = None  # Nara: the user the key belongs to
    embedded: bool = False  # the embedded reference server, started because no target was given

    @property
    def auth_headers(self) -> dict[str, str]:
        return auth_headers(self.api, self.key)

    def url(self, path: str) -> str:
        """``path`` (``/api/...``) under this target's base URL."""
        return self.base_url.rstrip("/") + path


def probe(target: Target, *, timeout: float = 10.0, tls: Tls | None = None) -> tuple[int, ...]:
    """Raise TargetError when ``target`` cannot be tested; return quietly otherwise.

    A 502, 503 or 504 (a proxy in front of the API) is sent once more, as the specs say a client does.
    Returns the status of every answer, in order (one, or two when the first was sent again)."""
    first = _probe_once(target, timeout, tls).status_code
    if first not in (502, 503, 504):
        return (first,)
    return first, _probe_once(target, timeout, tls).status_code


def _probe_once(target: Target, timeout: float, tls: Tls | None) -> httpx.Response:
    if target.api == "nara":
        path, params = "/api/v1.0/chat/messages", {"user_id": str(target.user_id), "rows_per_page": "1"}
        key_var = "NARA_API_KEY"
    else:
        path, params = "/api/v1/chat", {"identifier": "chatgate-probe"}
        key_var = "NAVIGABLE_API_KEY"
    url = target.base_url.rstrip("/") + path
    try:
        response = httpx.get(
            url, params=params, headers=target.auth_headers, timeout=timeout, verify=(tls or Tls()).context()
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
    if response.status_code == 401:
        raise TargetError(f"{target.api}: {target.base_url} rejected the key (401); check {key_var}")
    if response.status_code == 403 and target.api == "nara":
        raise TargetError(
            f"nara: the key may not read user {target.user_id}'s messages (403); check NARA_USER_ID"
        )
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


def credentials(api: ApiName, url: str, embedded: bool) -> Target:
    """The target of ``api`` at ``url`` with its key (and Nara user) from the environment.

    On the embedded server a missing key means its dev key; anywhere else it is a UsageError naming
    the variable (the key itself is never printed).
    """
    key_var = key_variable(api)
    key = os.environ.get(key_var, "")
    if not key:
        if not embedded:
            raise UsageError(f"{key_var} is not set (the key for {url})")
        key = DEV_KEYS[api]
    user_id: int | None = None
    if api == "nara":
        raw = os.environ.get("NARA_USER_ID", "")
        if raw:
            try:
                user_id = int(raw)
            except ValueError:
                raise UsageError(f"NARA_USER_ID={raw!r} is not an integer") from None
        elif key == DEV_KEYS["nara"]:
            user_id = DEV_NARA_USER
        else:
            raise UsageError("NARA_USER_ID is not set (the user the Nara key belongs to)")
    return Target(api, url, key, user_id, embedded)


def second_identity(nara: Target, *, embedded: bool = False) -> Target | None:
    """A second Nara identity for cross-user checks, from ``NARA_API_KEY_2`` and ``NARA_USER_ID_2``
    (both or neither), at the same host as ``nara``; None when not configured, except on the embedded
    server, which provides one (its second dev key)."""
    key = os.environ.get("NARA_API_KEY_2", "")
    raw = os.environ.get("NARA_USER_ID_2", "")
    if not key and not raw:
        if embedded and nara.key == DEV_KEYS["nara"]:
            return Target("nara", nara.base_url, *DEV_SECOND_IDENTITY, embedded=True)
        return None
    if not key or not raw:
        missing = "NARA_API_KEY_2" if not key else "NARA_USER_ID_2"
        raise UsageError(f"{missing} is not set (a second Nara identity needs both of these variables)")
    try:
        user_id = int(raw)
    except ValueError:
        raise UsageError(f"NARA_USER_ID_2={raw!r} is not an integer") from None
    if user_id == nara.user_id:
        raise UsageError("NARA_USER_ID_2 is the same user as NARA_USER_ID (a second identity must differ)")
    return Target("nara", nara.base_url, key, user_id)
