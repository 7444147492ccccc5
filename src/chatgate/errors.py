"""Toolkit errors: "the tool cannot run", each tied to the exit code the CLI returns.

Findings (an API that broke its contract or its SLO) are *data* in a report, never exceptions.
These exceptions are for the other kind of bad news, and each prints as one line::

    ChatgateError            exit 1  (base; not raised directly)
    ├── UsageError           exit 2  bad flag, bad SLO file, bad configuration
    │   └── SpecError        exit 2  unreadable or invalid OpenAPI spec
    ├── TargetError          exit 3  target unreachable, TLS failure, credentials rejected on a probe
    └── MeasurementInvalid   exit 4  the load generator was the bottleneck; figures can't be trusted

Exit codes shared by every command (DESIGN.md): 0 all conforms, 1 findings, 2 usage, 3 target,
4 measurement invalid.
"""

from __future__ import annotations

__all__ = [
    "EXIT_FINDINGS",
    "EXIT_MEASUREMENT_INVALID",
    "EXIT_OK",
    "EXIT_TARGET",
    "EXIT_USAGE",
    "ChatgateError",
    "MeasurementInvalid",
    "SpecError",
    "TargetError",
    "UsageError",
]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_TARGET = 3
EXIT_MEASUREMENT_INVALID = 4


class ChatgateError(Exception):
    """Base of every toolkit error; ``str(err)`` is the one line shown to the user."""

    exit_code: int = EXIT_FINDINGS


class UsageError(ChatgateError):
    """A bad flag, configuration value or input file."""

    exit_code = EXIT_USAGE


class SpecError(UsageError):
    """An OpenAPI spec that cannot be read or is invalid (message names file and line)."""


class TargetError(ChatgateError):
    """The target cannot be tested: unreachable, TLS failure, or credentials rejected on a probe."""

    exit_code = EXIT_TARGET


class MeasurementInvalid(ChatgateError):
    """The load generator itself was the bottleneck, so its latency figures can't be trusted."""

    exit_code = EXIT_MEASUREMENT_INVALID
