"""Where each finding sits in its spec: the file, the operation's line, the violated schema's line.

Code scanning (SARIF) and GitHub annotations show findings on these lines. The file is given relative to
the working directory (the user's repository, SARIF's ``%SRCROOT%``) when the spec lives inside it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from chatgate.gate.model import Finding, SpecLocation
from chatgate.git_specs import origin_label
from chatgate.specs import find_line, spec_path

__all__ = ["locate"]


def _pointer_parts(pointer: str) -> list[str | int]:
    parts: list[str | int] = []
    for raw in pointer.lstrip("/").split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        parts.append(int(part) if part.isdigit() else part)
    return parts


def _relative(path: Path) -> tuple[str, bool]:
    here = Path.cwd().resolve()
    full = path.resolve()
    if full.is_relative_to(here):
        return full.relative_to(here).as_posix(), True
    return os.fspath(full), False


def locate(findings: Iterable[Finding]) -> dict[str, SpecLocation]:
    """Fingerprint -> location, for every finding on a documented operation."""
    out: dict[str, SpecLocation] = {}
    for f in findings:
        method, _, path = f.operation.partition(" ")
        if not path.startswith("/"):
            continue
        spec = spec_path(f.api)
        line = find_line(spec, ["paths", path, method.lower()]) or 1
        schema_line = find_line(spec, _pointer_parts(f.spec_pointer)) if f.spec_pointer else None
        label = origin_label(spec)  # --specs git:REV: name the revision, not its temporary copy
        if label is not None:
            out[f.fingerprint] = SpecLocation(label, line, schema_line, relative=False, in_tree=False)
            continue
        file, relative = _relative(spec)
        out[f.fingerprint] = SpecLocation(file, line, schema_line, relative)
    return out
