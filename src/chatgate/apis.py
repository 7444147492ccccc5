"""The two APIs chatgate knows: their names, the variables their keys are read from, and the reference
server's public dev keys. One home for each of these concepts; everything else imports them.

Where an API's paths live and how it carries its key are its spec's to say: ask
:func:`chatgate.contract_model.model_for` (``find``/``path_label`` for a request, ``credentials`` for
a key). The reference server, which implements today's specs, keeps its own routing
(``chatgate.server.config.PREFIXES``).

The dev keys are public on purpose (docs/reference-server.md, ARCHITECTURE.md): the reference server
accepts them by default, and ``contract``/``load``/``run`` use them when they test the embedded
server. Nara has two identities, so cross-user checks (ownership) can run against the embedded server
out of the box.
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
    "ApiName",
    "key_variable",
]

ApiName = Literal["nara", "navigable"]
API_NAMES: Final[tuple[ApiName, ...]] = ("nara", "navigable")

# The reference server's dev keys: Nara key -> the user it belongs to; Navigable keys (one account).
DEV_NARA_KEYS: Final[Mapping[str, int]] = {"nara-dev-key-1001": 1001, "nara-dev-key-1002": 1002}
DEV_NAVIGABLE_KEYS: Final[frozenset[str]] = frozenset({"navigable-dev-key"})
# The identity a client uses by default on the embedded server, per API, and Nara's second identity.
DEV_KEYS: Final[Mapping[ApiName, str]] = {"nara": "nara-dev-key-1001", "navigable": "navigable-dev-key"}
DEV_NARA_USER: Final[int] = 1001
DEV_SECOND_IDENTITY: Final[tuple[str, int]] = ("nara-dev-key-1002", 1002)


def key_variable(api: ApiName) -> str:
    """The environment variable holding the key of ``api`` (``NARA_API_KEY``, ``NAVIGABLE_API_KEY``)."""
    return f"{api.upper()}_API_KEY"


def scheme_variable(api: ApiName) -> str:
    """The environment variable naming the security scheme the key is sent in (``NAVIGABLE_AUTH_SCHEME``;
    unset: the spec's first the operation accepts, or the one the probe found the key accepted in)."""
    return f"{api.upper()}_AUTH_SCHEME"
