"""Reproducing commands for findings: a curl per example, carrying the whole request body.

A body up to :data:`INLINE_BODY_LIMIT` characters goes inline (``--data-raw``); a longer one goes into a
file beside the reports, ``reproducers/<fingerprint>-<n>.body``, and the command reads it with
``--data-binary @reproducers/...`` (run it from the report directory). The suite wrote every key as a
reference to its variable before the example was recorded (``Authorization: Bearer ${NARA_API_KEY}``;
Basic credentials as the shell's Base64 of ``${NARA_API_KEY}:``): the command runs as printed in a shell
where those variables are set, and never holds a key. A streamed answer is read unbuffered (``-N``).
"""

from __future__ import annotations

import re
import shlex

from chatgate.gate.model import Example, Finding

__all__ = ["INLINE_BODY_LIMIT", "base64_ref", "body_file", "curl", "curls", "reproducer_files"]

_VAR = r"\$\{[A-Z][A-Z0-9_]*\}"
_REF = re.compile(rf"{_VAR}|\$\(printf '%s:' \"{_VAR}\" \| base64\)")


def base64_ref(ref: str) -> str:
    """What stands for Basic credentials made of the key in ``ref`` (``${VAR}``): the shell computes them."""
    return f"$(printf '%s:' \"{ref}\" | base64)"


def _escape(text: str) -> str:
    return re.sub(r'([\\"`$])', r"\\\1", text)


def _quote(part: str) -> str:
    """``part`` quoted for a POSIX shell: single quotes, or double quotes that let its variable
    references (and nothing else) expand."""
    if not _REF.search(part):
        return shlex.quote(part)
    out, pos = [], 0
    for m in _REF.finditer(part):
        out += [_escape(part[pos : m.start()]), m.group(0)]
        pos = m.end()
    return '"' + "".join([*out, _escape(part[pos:])]) + '"'


INLINE_BODY_LIMIT = 2048
_SKIP = {"content-length", "accept-encoding", "connection", "user-agent", "host"}


def body_file(finding: Finding, index: int) -> str:
    return f"reproducers/{finding.fingerprint}-{index + 1}.body"


def curl(example: Example, body_path: str | None = None) -> str:
    """A copy-pasteable curl command for one example (``body_path``: the body is in that file)."""
    parts = ["curl", "-sS", *(["-N"] if example.response_type == "text/event-stream" else []), "-X",
             example.method.upper()]  # fmt: skip
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
    return " ".join(_quote(p) for p in parts)


def _long(example: Example) -> bool:
    return len(example.body) > INLINE_BODY_LIMIT


def curls(finding: Finding) -> list[str]:
    """One command per example, in the finding's order (smallest first)."""
    return [curl(e, body_file(finding, i) if _long(e) else None) for i, e in enumerate(finding.examples)]


def reproducer_files(findings: tuple[Finding, ...]) -> dict[str, str]:
    """The body files the commands of :func:`curls` read."""
    return {body_file(f, i): e.body for f in findings for i, e in enumerate(f.examples) if _long(e)}
