"""Where the suite points and with which credentials, read from the environment.

CHATGATE_API            nara | navigable | all (default all)
CHATGATE_BASE_URL       base URL for the selected API(s)
NARA_BASE_URL           Nara's base URL (wins over CHATGATE_BASE_URL)
NAVIGABLE_BASE_URL      Navigable's base URL (wins over CHATGATE_BASE_URL)
NARA_API_KEY            Nara key (the dev key when the target is on loopback)
NAVIGABLE_API_KEY       Navigable key (the dev key when the target is on loopback)
NARA_USER_ID            the user the Nara key belongs to (1001 with the dev key)
CHATGATE_MAX_EXAMPLES   schemathesis examples per operation and phase (default 50)
CHATGATE_SEED           seed: the same seed gives the same cases (default 0)
CHATGATE_RESULTS_FILE   where to write the ledger (results.json) at the end of the session
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from chatgate.apis import ApiName
from chatgate.errors import UsageError
from chatgate.targets import Target, credentials

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
DEFAULT_MAX_EXAMPLES = 50  # the same default as chatgate contract


class ConfigProblem(Exception):
    """A missing or bad setting; the message names the variable."""


def selected_apis() -> list[ApiName]:
    value = os.environ.get("CHATGATE_API", "all").strip().lower()
    if value == "all":
        return ["nara", "navigable"]
    if value in ("nara", "navigable"):
        return [value]
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
