"""Where the suite points and with which credentials, read from the environment.

CHATGATE_API            nara | navigable | all (default all)
CHATGATE_BASE_URL       base URL for the selected API(s)
NARA_BASE_URL           Nara's base URL (wins over CHATGATE_BASE_URL)
NAVIGABLE_BASE_URL      Navigable's base URL (wins over CHATGATE_BASE_URL)
NARA_API_KEY            Nara key (the dev key when the target is on loopback)
NAVIGABLE_API_KEY       Navigable key (the dev key when the target is on loopback)
NARA_USER_ID            the user the Nara key belongs to (1001 with the dev key)
NARA_API_KEY_2          a second Nara identity (with NARA_USER_ID_2): cross-user checks
CHATGATE_SCOPE          the scope of the run (JSON, as chatgate contract writes it: checks, operations,
                        mode, extra headers, read-only); default: everything
CHATGATE_MAX_EXAMPLES   schemathesis examples per operation and phase (default 50)
CHATGATE_SEED           seed: the same seed gives the same cases (default 0)
CHATGATE_RESULTS_FILE   where to write the ledger (results.json) at the end of the session
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from chatgate.apis import ApiName
from chatgate.errors import UsageError
from chatgate.gate.scope import Scope
from chatgate.specs import load_spec, operations
from chatgate.targets import Target, credentials, second_identity

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "ConfigProblem",
    "Target",
    "int_setting",
    "scope",
    "second_target",
    "selected_apis",
    "selected_operations",
    "target",
]

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
DEFAULT_MAX_EXAMPLES = 50  # the same default as chatgate contract


class ConfigProblem(Exception):
    """A missing or bad setting; the message names the variable."""


def selected_apis() -> list[ApiName]:
    value = os.environ.get("CHATGATE_API", "all").strip().lower()
    if value == "all":
        return ["nara", "navigable"]
    if value == "nara":
        return ["nara"]
    if value == "navigable":
        return ["navigable"]
    raise ConfigProblem(f"CHATGATE_API={value!r}: choose nara, navigable or all")


def _is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1")


def target(api: ApiName) -> Target:
    base_url = (
        os.environ.get(f"{api.upper()}_BASE_URL") or os.environ.get("CHATGATE_BASE_URL") or DEFAULT_BASE_URL
    )
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigProblem(f"base URL {base_url!r} for {api}: expected http(s)://host[:port]")
    # Keys and the Nara user are read as chatgate contract reads them; run standalone, a loopback
    # target is taken for a reference server (its dev keys when none are set).
    try:
        found = credentials(api, base_url.rstrip("/"), embedded=_is_loopback(base_url))
    except UsageError as exc:
        raise ConfigProblem(str(exc)) from None
    return found


def int_setting(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigProblem(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ConfigProblem(f"{name}={value} must be at least {minimum}")
    return value


def second_target() -> Target | None:
    """The second Nara identity (``NARA_API_KEY_2`` + ``NARA_USER_ID_2``), or None."""
    try:
        return second_identity(target("nara"))
    except UsageError as exc:
        raise ConfigProblem(str(exc)) from None


def scope() -> Scope:
    try:
        return Scope.from_env()
    except UsageError as exc:
        raise ConfigProblem(str(exc)) from None


def selected_operations(api: str) -> list[str]:
    """The labels ("METHOD /path") of the operations of ``api`` the scope selects."""
    chosen = scope()
    return [
        op.label
        for op in operations(load_spec(api))
        if chosen.operation_selected(op.method, op.path, op.operation_id)
    ]
