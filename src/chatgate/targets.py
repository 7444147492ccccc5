"""Which deployment each API is tested at, with which credentials, and whether it can be tested.

Shared by ``chatgate contract`` and ``chatgate load`` so both read their configuration the same way,
in the order flag, environment, default (ARCHITECTURE.md): ``--base-url``, then ``NARA_BASE_URL`` /
``NAVIGABLE_BASE_URL`` / ``CHATGATE_BASE_URL``, else the embedded reference server; ``NARA_API_KEY``,
``NAVIGABLE_API_KEY`` (the dev keys on the embedded server); ``NARA_USER_ID``.

Before anything runs, :func:`probe` sends one valid, read-only request per API with the configured key.
No answer, a TLS failure, a rejected key (401) or a key that belongs to another user (403) is a
:class:`~chatgate.errors.TargetError` (exit 3, one line); anything else, even a 500, is left to the
run to judge.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from chatgate.apis import DEV_KEYS, DEV_NARA_USER, ApiName, auth_headers, key_variable
from chatgate.errors import TargetError, UsageError

__all__ = ["Target", "check_url", "credentials", "probe", "resolve_targets", "second_identity"]


@dataclass(frozen=True)
class Target:
    """One API under test: where it lives and the credentials to use (never printed)."""

    api: ApiName
    base_url: str
    key: str = field(repr=False)
    user_id: int | None = None  # Nara: the user the key belongs to

    @property
    def auth_headers(self) -> dict[str, str]:
        return auth_headers(self.api, self.key)

    def url(self, path: str) -> str:
        """``path`` (``/api/...``) under this target's base URL."""
        return self.base_url.rstrip("/") + path


def probe(target: Target, *, timeout: float = 10.0) -> None:
    """Raise TargetError when ``target`` cannot be tested; return quietly otherwise."""
    if target.api == "nara":
        path, params = "/api/v1.0/chat/messages", {"user_id": str(target.user_id), "rows_per_page": "1"}
        key_var = "NARA_API_KEY"
    else:
        path, params = "/api/v1/chat", {"identifier": "chatgate-probe"}
        key_var = "NAVIGABLE_API_KEY"
    url = target.base_url.rstrip("/") + path
    try:
        response = httpx.get(url, params=params, headers=target.auth_headers, timeout=timeout)
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


def check_url(url: str, origin: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{origin}={url!r}: expected an http(s)://host[:port] URL")
    return url.rstrip("/")


def resolve_targets(
    apis: list[ApiName], base_url: str | None
) -> tuple[dict[ApiName, str | None], dict[ApiName, str]]:
    """Per API: the base URL (None: use the embedded server) and where it came from."""
    urls: dict[ApiName, str | None] = {}
    origins: dict[ApiName, str] = {}
    for api in apis:
        env_name = f"{api.upper()}_BASE_URL"
        if base_url:
            urls[api], origins[api] = check_url(base_url, "--base-url"), "--base-url"
        elif os.environ.get(env_name):
            urls[api], origins[api] = check_url(os.environ[env_name], env_name), env_name
        elif os.environ.get("CHATGATE_BASE_URL"):
            urls[api] = check_url(os.environ["CHATGATE_BASE_URL"], "CHATGATE_BASE_URL")
            origins[api] = "CHATGATE_BASE_URL"
        else:
            urls[api], origins[api] = None, "embedded"
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
    return Target(api, url, key, user_id)


def second_identity(nara: Target) -> Target | None:
    """A second Nara identity for cross-user checks, from ``NARA_API_KEY_2`` and ``NARA_USER_ID_2``
    (both or neither), at the same host as ``nara``; None when not configured."""
    key = os.environ.get("NARA_API_KEY_2", "")
    raw = os.environ.get("NARA_USER_ID_2", "")
    if not key and not raw:
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
