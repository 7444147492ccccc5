"""The lint passes over spec files; returns a ``LintResult`` and writes nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from chatgate.contract_model import build_model, extension_problems
from chatgate.contract_model.spec_doc import RuleError
from chatgate.errors import SpecError, UsageError
from chatgate.lint.model import FileResult, LintResult
from chatgate.resources import checkout_root, in_checkout
from chatgate.spec_examples import example_spec_problems
from chatgate.specs import SpecProblem, meta_schema_problems

__all__ = ["lint_file", "redocly_path", "ruleset_problems", "run_lint"]

RULESET = "redocly recommended"


def redocly_path() -> str | None:
    """The Redocly CLI installed under ``tools/`` (by scripts/install), or one on PATH."""
    local = checkout_root() / "tools" / "node_modules" / ".bin" / "redocly"
    if in_checkout() and local.exists():
        return str(local)
    return shutil.which("redocly")


def ruleset_problems(path: Path, redocly: str) -> list[SpecProblem]:
    """Redocly CLI's ``recommended`` ruleset. Raises UsageError when Redocly cannot run at all; a file
    Redocly gives up on is an error problem of that file."""
    try:
        proc = subprocess.run(
            [redocly, "lint", "--extends", "recommended", "--format", "json", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"could not run Redocly CLI ({redocly}): {exc}") from None
    start = proc.stdout.find("{")
    try:
        report = json.loads(proc.stdout[start:]) if start >= 0 else None
    except json.JSONDecodeError:
        report = None
    if not isinstance(report, dict):  # Redocly stopped on this file (e.g. a $ref cycle): the file fails
        last = " ".join((proc.stderr.strip().splitlines() or ["no output"])[-1].split())
        return [SpecProblem(path, None, "redocly", "error", f"Redocly CLI could not lint this file: {last}")]
    problems = []
    for item in report.get("problems", []):
        loc = (item.get("location") or [{}])[0]
        line = (loc.get("start") or {}).get("line")
        severity = "error" if item.get("severity") == "error" else "warning"
        problems.append(
            SpecProblem(path, line, f"redocly:{item.get('ruleId')}", severity, item.get("message", ""))
        )
    return problems


def lint_file(path: Path, *, redocly: str | None) -> FileResult:
    """Every pass over one spec: the examples only on a structurally valid spec, then the ruleset."""
    try:
        problems = meta_schema_problems(path)
        if not problems:
            problems += example_spec_problems(path) + extension_problems(path)
        if not problems:
            problems += _rule_problems(path)
    except SpecError as exc:
        return FileResult(path, unusable=str(exc))
    if redocly is not None:
        problems += ruleset_problems(path, redocly)
    return FileResult(path, tuple(problems))


def _rule_problems(path: Path) -> list[SpecProblem]:
    """The spec's rules (``x-chatgate-*``) checked against what the spec has: the first that names a
    parameter, field, event or operation the spec lacks (the model stops at it)."""
    try:
        build_model(path.stem.split(".")[0], path)
    except RuleError as exc:
        return [SpecProblem(exc.path, exc.line, "x-chatgate", "error", exc.problem)]
    return []


def run_lint(paths: Iterable[Path], *, redocly: str | None) -> LintResult:
    """Lint every spec in ``paths``; ``redocly`` None skips the ruleset pass (reported as not run)."""
    return LintResult(tuple(lint_file(p, redocly=redocly) for p in paths), RULESET if redocly else None)
