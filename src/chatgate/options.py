"""Values the commands share, parsed one way everywhere: durations, rates, and the timeout flags that
mean the same thing in ``chatgate contract`` and ``chatgate load`` (DESIGN.md).

    >>> parse_duration("1h30m"), parse_duration("45"), parse_duration("2.5s")
    (5400.0, 45.0, 2.5)
    >>> parse_rate("100/m")
    Rate(count=100, per_s=60.0)
    >>> parse_size("10MiB"), parse_size("512k"), parse_size("4096")
    (10485760, 524288, 4096)
    >>> parse_share("10%"), parse_share("0.25")
    (0.1, 0.25)

Bad values raise :class:`~chatgate.errors.UsageError` (exit 2) naming the option and the expected form.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from chatgate.errors import UsageError

__all__ = [
    "DEFAULT_REQUEST_TIMEOUT_S",
    "DEFAULT_STREAM_IDLE_TIMEOUT_S",
    "DEFAULT_STREAM_TIMEOUT_S",
    "DURATION",
    "Deadlines",
    "Rate",
    "deadline_options",
    "parse_duration",
    "parse_rate",
    "parse_share",
    "parse_size",
]

DURATION = "DURATION"
"""The metavar of every duration option (``30s``, ``2m``, ``1h30m``, ``250ms``; a bare number is seconds)."""

_DURATION = re.compile(r"\s*(?:(\d+)h)?\s*(?:(\d+)m(?!s))?\s*(?:(\d+(?:\.\d+)?)(s|ms)?)?\s*")
_RATE_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str, option: str = "duration") -> float:
    """``30s``, ``2m``, ``1h30m``, ``250ms``, ``45`` (seconds) -> seconds (positive)."""
    m = _DURATION.fullmatch(str(text))
    if not m or not any(m.groups()[:3]):
        raise UsageError(f"{option}: invalid duration {text!r} (use e.g. 30s, 2m, 1h30m, 250ms)")
    h, mi, s, unit = m.groups()
    seconds = float(s or 0) / (1000.0 if unit == "ms" else 1.0)
    total = int(h or 0) * 3600 + int(mi or 0) * 60 + seconds
    if total <= 0:
        raise UsageError(f"{option}: duration must be positive, got {text!r}")
    return total


@dataclass(frozen=True)
class Rate:
    """``count`` requests per ``per_s`` seconds (schemathesis' ``--rate-limit`` form: ``5/s``, ``100/m``)."""

    count: int
    per_s: float

    @property
    def per_second(self) -> float:
        return self.count / self.per_s


def parse_rate(text: str, option: str = "--rate-limit") -> Rate:
    m = re.fullmatch(r"\s*(\d+)\s*/\s*([smh])\s*", str(text))
    if not m or int(m.group(1)) <= 0:
        raise UsageError(f"{option}: invalid rate {text!r} (use e.g. 5/s, 100/m, 1000/h)")
    return Rate(int(m.group(1)), _RATE_UNITS[m.group(2)])


def parse_share(text: str, option: str = "share") -> float:
    """``10%`` or ``0.1`` -> 0.1 (``capacity --resolution``, ``compare --max-regression``)."""
    raw = str(text).strip()
    try:
        value = float(raw[:-1]) / 100.0 if raw.endswith("%") else float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value < 100.0:  # NaN fails too
        raise UsageError(f"{option}: invalid share {text!r} (use e.g. 10% or 0.1)")
    return value


_SIZE = re.compile(r"\s*(\d+)\s*([kmg]?)(?:i?b)?\s*", re.I)


def parse_size(text: str, option: str = "size") -> int:
    """``4096``, ``512k``, ``10MiB``, ``1g`` -> bytes (k, m, g are powers of 1024)."""
    m = _SIZE.fullmatch(str(text))
    if not m or int(m.group(1)) <= 0:
        raise UsageError(f"{option}: invalid size {text!r} (use e.g. 65536, 512k, 10MiB)")
    unit = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2).lower()]
    return int(m.group(1)) * unit


DEFAULT_REQUEST_TIMEOUT_S = 30.0  # the whole request (a non-streamed reply, or a stream's headers)
DEFAULT_STREAM_IDLE_TIMEOUT_S = 30.0  # nothing but comments (pings) for this long ends a stream
DEFAULT_STREAM_TIMEOUT_S = 300.0  # the whole stream, first byte to terminal event


@dataclass(frozen=True)
class Deadlines:
    """How long one request may take, whatever the target does (the same meaning in contract and load).

    ``request_s``: the whole request and its body (for a stream: until its headers arrive).
    ``stream_idle_s``: a stream that sends no event (comments such as ``: ping`` don't count) for this long
    has stalled. ``stream_s``: a stream that has not ended this long after it started has stalled.
    """

    request_s: float = DEFAULT_REQUEST_TIMEOUT_S
    stream_idle_s: float = DEFAULT_STREAM_IDLE_TIMEOUT_S
    stream_s: float = DEFAULT_STREAM_TIMEOUT_S


F = TypeVar("F", bound=Callable[..., Any])


def _seconds(option: str) -> Callable[[click.Context, click.Parameter, Any], float | None]:
    def convert(ctx: click.Context, param: click.Parameter, value: Any) -> float | None:
        if value is None:
            return None
        try:
            return parse_duration(str(value), option)
        except UsageError as exc:
            raise click.BadParameter(str(exc).removeprefix(f"{option}: ")) from None

    return convert


def deadline_options(func: F) -> F:
    """``--request-timeout``, ``--stream-idle-timeout``, ``--stream-timeout`` (seconds, or 30s/2m...).

    The command receives ``request_timeout``, ``stream_idle_timeout`` and ``stream_timeout`` as seconds,
    or None when not given (then :class:`Deadlines`' defaults or an SLO file's values apply).
    """
    options = [
        click.option(
            "--stream-timeout",
            callback=_seconds("--stream-timeout"),
            metavar=DURATION,
            help=f"A whole stream, start to terminal event (default {DEFAULT_STREAM_TIMEOUT_S:g}s).",
        ),
        click.option(
            "--stream-idle-timeout",
            callback=_seconds("--stream-idle-timeout"),
            metavar=DURATION,
            help="A stream sending no event (only comments such as ': ping') for this long has stalled "
            f"(default {DEFAULT_STREAM_IDLE_TIMEOUT_S:g}s).",
        ),
        click.option(
            "--request-timeout",
            callback=_seconds("--request-timeout"),
            metavar=DURATION,
            help=f"A whole request and its body; for a stream, until its headers "
            f"(default {DEFAULT_REQUEST_TIMEOUT_S:g}s).",
        ),
    ]
    for option in options:
        func = option(func)
    return func
