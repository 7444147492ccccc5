"""The reference server's configuration: one frozen dataclass built by ``chatgate serve``.

Dev keys (ARCHITECTURE.md) are the defaults; ``CHATGATE_NARA_KEYS`` / ``CHATGATE_NAVIGABLE_KEYS``
override them, and ``--nara-key`` / ``--navigable-key`` override both (flag, environment, default).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from chatgate.apis import API_NAMES, DEV_NARA_KEYS, DEV_NAVIGABLE_KEYS, ApiName
from chatgate.errors import UsageError

__all__ = [
    "PREFIXES",
    "ServerConfig",
    "api_of_path",
    "mask",
    "parse_nara_keys",
    "parse_navigable_keys",
]

# Where the reference server serves each API (it implements today's specs; chatgate's clients ask the
# spec model instead). Both live on the server's one port.
PREFIXES: Mapping[ApiName, str] = {"nara": "/api/v1.0", "navigable": "/api/v1"}


def api_of_path(path: str) -> ApiName | None:
    """The API a request path of the reference server belongs to, or None for a path outside both."""
    for api in API_NAMES:
        prefix = PREFIXES[api]
        if path == prefix or path.startswith(prefix + "/"):
            return api
    return None


_MAX_USER_ID = 9007199254740991  # the spec's maximum for user_id


def mask(key: str) -> str:
    """A key as it may appear in output: its first four characters, then stars."""
    return f"{key[:4]}****" if len(key) > 8 else "****"


def parse_nara_keys(items: Iterable[str], source: str) -> dict[str, int]:
    """``KEY=USER_ID`` items -> {key: user_id}. Raises UsageError naming ``source`` (never the key)."""
    keys: dict[str, int] = {}
    for item in items:
        item = item.strip()
        if not item:
            continue
        key, sep, user = item.partition("=")
        key, user = key.strip(), user.strip()
        if not sep or not key:
            raise UsageError(f"{source}: expected KEY=USER_ID, got an item without '=' or key")
        if not user.isascii() or not user.isdigit() or not 1 <= int(user) <= _MAX_USER_ID:
            raise UsageError(f"{source}: user id of key {mask(key)} must be an integer from 1 to 2^53-1")
        keys[key] = int(user)
    if not keys:
        raise UsageError(f"{source}: no Nara key given")
    return keys


def parse_navigable_keys(items: Iterable[str], source: str) -> frozenset[str]:
    """Navigable keys (blank items dropped). Raises UsageError when none is left."""
    keys = frozenset(k.strip() for k in items if k.strip())
    if not keys:
        raise UsageError(f"{source}: no Navigable key given")
    return keys


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Everything ``chatgate serve`` can be told. Times in milliseconds, rates in [0, 1].

    Faults are deterministic: API request number ``n`` (1-based, counted per server over every API
    operation) is faulted iff ``floor(n*p) > floor((n-1)*p)``, so exactly a share ``p`` of requests is hit.
    Pacing (``ttft_ms``, ``itl_ms``) applies to every reply, streamed or not (``generation``).
    """

    host: str = "127.0.0.1"
    port: int = 8080
    db: Path | None = None
    nara_keys: Mapping[str, int] = field(default_factory=lambda: dict(DEV_NARA_KEYS))
    navigable_keys: frozenset[str] = DEV_NAVIGABLE_KEYS
    ttft_ms: float = 0.0
    itl_ms: float = 0.0
    reply_tokens: int = 12
    seed_messages: int = 0
    # 1 MiB: the largest valid request of either spec (every string at its maxLength, every character
    # JSON-escaped as \uXXXX) is about 260 KB, so no valid request is ever refused with a 413.
    body_limit: int = 1048576
    fault_500_rate: float = 0.0
    fault_429_rate: float = 0.0
    retry_after: int = 1
    added_latency_ms: float = 0.0
    fault_stream_cut_rate: float = 0.0
    fault_malformed_event_rate: float = 0.0
    fault_missing_terminal_rate: float = 0.0
    fault_stall_rate: float = 0.0
    fault_stream_error_rate: float = 0.0
    sampled: bool = False  # every reply drawn afresh (a sampled LLM); stored exactly as delivered
    ping_interval_ms: float = 0.0  # ": ping" comments in streams while the next event is not due (0: none)
    max_concurrent_streams: int | None = None  # replies generated at once (streamed or not); None: no cap
    graceful_timeout_s: float = 5.0
