"""How a ``LintResult`` is shown: terminal lines and ``summary.json`` (pure functions, no I/O).

``summary.json`` (schema ``chatgate/schemas/lint.summary.schema.json``)::

    {"schema_version": 1, "valid": true, "ruleset": "redocly recommended" | null,
     "files": [{"path", "valid", "errors", "warnings", "problems": ["file:line: severity: [source] msg"]}]}
"""

from __future__ import annotations

import json
from typing import Any

from chatgate.lint.model import PASSES, LintResult

__all__ = ["SCHEMA_VERSION", "summary", "summary_json", "terminal_lines"]

SCHEMA_VERSION = 1


def terminal_lines(result: LintResult) -> list[str]:
    """Every problem, then a verdict line per file; a note when the ruleset pass did not run."""
    passes = ", ".join(PASSES) + (f", {result.ruleset}" if result.ruleset else "")
    lines: list[str] = []
    for f in result.files:
        if f.unusable:
            lines.append(f.unusable)
            continue
        lines += [str(p) for p in f.problems]
        verdict = "OK" if f.valid else "INVALID"
        lines.append(f"{f.path}: {verdict} ({passes}; {f.errors} error(s), {f.warnings} warning(s))")
    if result.ruleset is None:
        lines.append("note: Redocly CLI not installed; the ruleset pass did not run (run scripts/install)")
    return lines


def summary(result: LintResult) -> dict[str, Any]:
    """The ``summary.json`` document."""
    return {
        "schema_version": SCHEMA_VERSION,
        "valid": result.valid,
        "ruleset": result.ruleset,
        "files": [
            {
                "path": str(f.path),
                "valid": f.valid,
                "errors": f.errors,
                "warnings": f.warnings,
                "problems": [f.unusable] if f.unusable else [str(p) for p in f.problems],
            }
            for f in result.files
        ],
    }


def summary_json(result: LintResult) -> str:
    return json.dumps(summary(result), indent=2) + "\n"
