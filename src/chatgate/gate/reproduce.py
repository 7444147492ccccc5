"""Reproducing commands for findings: a curl per example, carrying the whole request body.

A body up to :data:`INLINE_BODY_LIMIT` characters goes inline (``--data-raw``); a longer one goes into a
file beside the reports, ``reproducers/<fingerprint>-<n>.body``, and the command reads it with
``--data-binary @reproducers/...`` (run it from the report directory). Credentials were masked by the
suite before the example was recorded (``Authorization: Bearer ***``, ``X-Api-Key: ***``).
"""

from __future__ import annotations

import shlex

from chatgate.gate.model import Example, Finding

__all__ = ["INLINE_BODY_LIMIT", "body_file", "curl", "curls", "reproducer_files"]

INLINE_BODY_LIMIT = 2048
_SKIP = {"content-length", "accept-encoding", "connection", "user-agent", "host"}


def body_file(finding: Finding, index: int) -> str:
    return f"reproducers/{finding.fingerprint}-{index + 1}.body"


def curl(example: Example, body_path: str | None = None) -> str:
    """A copy-pasteable curl command for one example (``body_path``: the body is in that file)."""
    parts = ["curl", "-sS", "-X", example.method.upper()]
    for name, value in example.headers:
        if name.lower() in _SKIP:
            continue
        canonical = "-".join(word.capitalize() for word in name.split("-"))
        parts += ["-H", f"{canonical}: {value}"]
    if body_path is not None:
        parts += ["--data-binary", f"@{body_path}"]
    elif example.body:
        parts += ["--data-raw", example.body]
    parts.append(example.url)
    return " ".join(shlex.quote(p) for p in parts)


def _long(example: Example) -> bool:
    return len(example.body) > INLINE_BODY_LIMIT


def curls(finding: Finding) -> list[str]:
    """One command per example, in the finding's order (smallest first)."""
    return [curl(e, body_file(finding, i) if _long(e) else None) for i, e in enumerate(finding.examples)]


def reproducer_files(findings: tuple[Finding, ...]) -> dict[str, str]:
    """The body files the commands of :func:`curls` read."""
    return {body_file(f, i): e.body for f in findings for i, e in enumerate(f.examples) if _long(e)}
