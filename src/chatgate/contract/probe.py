"""Before the suite runs: can the target be tested at all?

One valid, read-only request per API with the configured key. No answer, a TLS failure, a rejected key
(401) or a key that belongs to another user (403) is a :class:`~chatgate.errors.TargetError` (exit 3,
one line); anything else, even a 500, is left to the suite to judge as findings.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from chatgate.errors import TargetError

__all__ = ["Target", "probe"]


@dataclass(frozen=True)
class Target:
    """One API under test: where it lives and the credentials to use (never printed)."""

    api: str
    base_url: str
    key: str
    user_id: int | None = None  # Nara: the user the key belongs to

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"} if self.api == "nara" else {"X-Api-Key": self.key}


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
        response = httpx.get(url, params=params, headers=target.auth_headers(), timeout=timeout)
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
