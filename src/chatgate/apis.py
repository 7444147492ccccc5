"""The two APIs chatgate knows: their names, their path prefixes, how each carries its key, and the
reference server's public dev keys. One home for each of these concepts; everything else imports them.

    >>> api_of_path("/api/v1.0/chat/messages")
    'nara'
    >>> auth_headers("navigable", "k")
    {'X-Api-Key': 'k'}

The dev keys are public on purpose (README, ARCHITECTURE.md): the reference server accepts them by
default, and ``contract``/``load``/``run`` use them when they test the embedded server. Nara has two
identities, so cross-user checks (ownership) can run against the embedded server out of the box.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

__all__ = [
    "API_NAMES",
    "DEV_KEYS",
    "DEV_NARA_KEYS",
    "DEV_NARA_USER",
    "DEV_NAVIGABLE_KEYS",
    "DEV_SECOND_IDENTITY",
    "PREFIXES",
    "ApiName",
    "api_of_path",
    "auth_headers",
    "key_variable",
]

ApiName = Literal["nara", "navigable"]
API_NAMES: Final[tuple[ApiName, ...]] = ("nara", "navigable")

# Where each API lives under a host (both live on the reference server's one port).
PREFIXES: Final[Mapping[ApiName, str]] = {"nara": "/api/v1.0", "navigable": "/api/v1"}

# The reference server's dev keys: Nara key -> the user it belongs to; Navigable keys (one account).
DEV_NARA_KEYS: Final[Mapping[str, int]] = {"nara-dev-key-1001": 1001, "nara-dev-key-1002": 1002}
DEV_NAVIGABLE_KEYS: Final[frozenset[str]] = frozenset({"navigable-dev-key"})
# The identity a client uses by default on the embedded server, per API, and Nara's second identity.
DEV_KEYS: Final[Mapping[ApiName, str]] = {"nara": "nara-dev-key-1001", "navigable": "navigable-dev-key"}
DEV_NARA_USER: Final[int] = 1001
DEV_SECOND_IDENTITY: Final[tuple[str, int]] = ("nara-dev-key-1002", 1002)


def api_of_path(path: str) -> ApiName | None:
    """The API a request path belongs to, or None for a path outside both."""
    for api in API_NAMES:
        prefix = PREFIXES[api]
        if path == prefix or path.startswith(prefix + "/"):
            return api
    return None


def key_variable(api: ApiName) -> str:
    """The environment variable holding the key of ``api`` (``NARA_API_KEY``, ``NAVIGABLE_API_KEY``)."""
    return f"{api.upper()}_API_KEY"


def auth_headers(api: ApiName, key: str) -> dict[str, str]:
    """The header that carries ``key`` as the API documents it (Nara: Bearer; Navigable: X-Api-Key)."""
    return {"Authorization": f"Bearer {key}"} if api == "nara" else {"X-Api-Key": key}
