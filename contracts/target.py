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
CHATGATE_CONCURRENCY    requests in flight (default 32; 1: one at a time, in the suite's order)
CHATGATE_RATE_LIMIT     at most this many requests per second/minute/hour (5/s, 100/m); default none
CHATGATE_REQUEST_TIMEOUT, CHATGATE_STREAM_IDLE_TIMEOUT, CHATGATE_STREAM_TIMEOUT
                        the deadlines, in seconds (defaults 30, 30, 300; chatgate.options.Deadlines)
CHATGATE_MAX_STREAM_BYTES  the most of one body read (default 10 MiB); reaching it is reported
CHATGATE_CA_BUNDLE      CA certificates (PEM) to verify the target with
CHATGATE_CLIENT_CERT    a client certificate (PEM; with CHATGATE_CLIENT_KEY when the key is apart): mTLS
CHATGATE_TLS_VERIFY     0: do not verify the target's certificate (reported loudly)
CHATGATE_DETERMINISTIC_REPLIES  1: the same input gives the same reply (cross-call equality is then
                        judged); default 0: a sampled model, each reply judged against its own stored copy
CHATGATE_RUN_ENDS_AT    the run's end (Unix time, from --max-time): nothing is sent after it
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from chatgate.apis import ApiName
from chatgate.contract_model import model_for
from chatgate.errors import UsageError
from chatgate.gate.scope import Scope
from chatgate.options import Deadlines, Rate, parse_rate
from chatgate.targets import Target, credentials, second_identity

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_MAX_EXAMPLES",
    "ConfigProblem",
    "RunSettings",
    "Target",
    "int_setting",
    "run_settings",
    "scope",
    "second_target",
    "selected_apis",
    "selected_operations",
    "target",
]

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
DEFAULT_MAX_EXAMPLES = 50  # the same default as chatgate contract
DEFAULT_CONCURRENCY = 32  # the same default as chatgate contract


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
    """A second identity (``NARA_API_KEY_2`` + ``NARA_USER_ID_2`` for Nara) of the first selected API whose
    spec says what a key identifies (``x-chatgate-identity``), or None."""
    api = next((a for a in selected_apis() if model_for(a).identity is not None), None)
    if api is None:
        return None
    try:
        return second_identity(target(api))
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
        for op in model_for(api).operations
        if chosen.operation_selected(op.method, op.path, op.operation_id)
    ]


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigProblem(f"{name}={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise ConfigProblem(f"{name}={raw!r} must be positive")
    return value


@dataclass(frozen=True)
class RunSettings:
    """How the suite sends: concurrency, pacing, deadlines, TLS, the replies' nature, the run's end."""

    concurrency: int
    rate: Rate | None
    deadlines: Deadlines
    max_stream_bytes: int
    verify: bool | str
    cert: str | tuple[str, str] | None
    deterministic_replies: bool
    ends_at: float | None  # monotonic


def _tls() -> tuple[bool | str, str | tuple[str, str] | None]:
    bundle = os.environ.get("CHATGATE_CA_BUNDLE", "")
    verify: bool | str = bundle or True
    if os.environ.get("CHATGATE_TLS_VERIFY", "1") in ("0", "false", "no"):
        verify = False
    cert, key = os.environ.get("CHATGATE_CLIENT_CERT", ""), os.environ.get("CHATGATE_CLIENT_KEY", "")
    for name, path in (
        ("CHATGATE_CA_BUNDLE", bundle),
        ("CHATGATE_CLIENT_CERT", cert),
        ("CHATGATE_CLIENT_KEY", key),
    ):
        if path and not os.path.isfile(path):
            raise ConfigProblem(f"{name}={path!r}: no such file")
    return verify, ((cert, key) if cert and key else cert or None)


def run_settings() -> RunSettings:
    """The run's settings from the environment (the variables in this module's docstring)."""
    raw_rate = os.environ.get("CHATGATE_RATE_LIMIT", "")
    try:
        rate = parse_rate(raw_rate, "CHATGATE_RATE_LIMIT") if raw_rate else None
    except UsageError as exc:
        raise ConfigProblem(str(exc)) from None
    deadlines = Deadlines(
        _seconds("CHATGATE_REQUEST_TIMEOUT", Deadlines.request_s),
        _seconds("CHATGATE_STREAM_IDLE_TIMEOUT", Deadlines.stream_idle_s),
        _seconds("CHATGATE_STREAM_TIMEOUT", Deadlines.stream_s),
    )
    ends = os.environ.get("CHATGATE_RUN_ENDS_AT", "")
    try:
        ends_at = time.monotonic() + (float(ends) - time.time()) if ends else None
    except ValueError:
        raise ConfigProblem(f"CHATGATE_RUN_ENDS_AT={ends!r} is not a Unix time") from None
    verify, cert = _tls()
    return RunSettings(
        concurrency=int_setting("CHATGATE_CONCURRENCY", DEFAULT_CONCURRENCY, 1),
        rate=rate,
        deadlines=deadlines,
        max_stream_bytes=int_setting("CHATGATE_MAX_STREAM_BYTES", 10 * 1024 * 1024, 1024),
        verify=verify,
        cert=cert,
        deterministic_replies=os.environ.get("CHATGATE_DETERMINISTIC_REPLIES", "0") in ("1", "true", "yes"),
        ends_at=ends_at,
    )
