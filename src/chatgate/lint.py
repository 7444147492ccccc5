"""``chatgate lint [SPEC...]``: is each spec valid OpenAPI, and clean under a recommended ruleset?

Three passes per file, each problem reported as ``file:line: [source] message``:

1. **openapi-spec-validator** (the OpenAPI meta-schema): any problem here makes the spec invalid.
2. **examples**: every example validated against the schema it illustrates, SSE ``data`` included
   (:mod:`chatgate.spec_examples`); an example that breaks its schema makes the spec invalid.
3. **Redocly CLI** with its ``recommended`` ruleset (installed by ``scripts/install`` under
   ``tools/``): its errors make the spec invalid, its warnings are reported but don't fail.

Exit 0 when every spec is valid, 2 (``SpecError``) when one is not, as for any unusable spec.
When Redocly is not installed the second pass is reported as not run (never as passed), and
``--require-ruleset`` turns that into an error; CI always passes it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from openapi_spec_validator import (
    OpenAPIV30SpecValidator,
    OpenAPIV31SpecValidator,
    OpenAPIV32SpecValidator,
)

from chatgate.errors import SpecError, UsageError
from chatgate.resources import checkout_root
from chatgate.spec_examples import example_problems
from chatgate.specs import API_NAMES, find_line, load_spec_file, spec_path

__all__ = ["Problem", "lint_command", "lint_file", "redocly_path"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One lint finding with its place in the file."""

    path: Path
    line: int | None
    source: str  # "openapi-spec-validator" or "redocly:<rule>"
    severity: str  # "error" or "warning"
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.severity}: [{self.source}] {self.message}"


def _validator_for(doc: dict[str, Any], path: Path) -> Any:
    version = str(doc.get("openapi", ""))
    if version.startswith("3.1"):
        return OpenAPIV31SpecValidator
    if version.startswith("3.0"):
        return OpenAPIV30SpecValidator
    if version.startswith("3.2"):
        return OpenAPIV32SpecValidator
    line = find_line(path, ["openapi"]) or 1
    raise SpecError(f"{path}:{line}: not an OpenAPI 3.x document (openapi: {version or 'missing'})")


def validate_structure(path: Path) -> list[Problem]:
    """Pass 1: the OpenAPI meta-schema, via openapi-spec-validator."""
    doc = load_spec_file(path)
    validator = _validator_for(doc, path)(doc)
    problems = []
    for err in validator.iter_errors():
        pointer = list(getattr(err, "absolute_path", []) or [])
        message = str(getattr(err, "message", err)).splitlines()[0]
        problems.append(Problem(path, find_line(path, pointer), "openapi-spec-validator", "error", message))
    return problems


def validate_examples(path: Path) -> list[Problem]:
    """Pass 2: every example against its own schema (only on a structurally valid spec)."""
    doc = load_spec_file(path)
    return [
        Problem(path, find_line(path, list(p.pointer)), "examples", "error", f"{p.where}: {p.message}")
        for p in example_problems(doc)
    ]


def redocly_path() -> str | None:
    """The Redocly CLI installed under ``tools/`` (by scripts/install), or one on PATH."""
    local = checkout_root() / "tools" / "node_modules" / ".bin" / "redocly"
    if local.exists():
        return str(local)
    return shutil.which("redocly")


def lint_ruleset(path: Path, redocly: str) -> list[Problem]:
    """Pass 2: Redocly CLI's ``recommended`` ruleset."""
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
    if not isinstance(report, dict):
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise UsageError(f"Redocly CLI gave no report for {path}: {last}")
    problems = []
    for item in report.get("problems", []):
        loc = (item.get("location") or [{}])[0]
        line = (loc.get("start") or {}).get("line")
        severity = "error" if item.get("severity") == "error" else "warning"
        source = f"redocly:{item.get('ruleId')}"
        problems.append(Problem(path, line, source, severity, item.get("message", "")))
    return problems


def lint_file(path: Path, *, redocly: str | None) -> list[Problem]:
    """All problems of one spec file (raises SpecError when it cannot even be read)."""
    problems = validate_structure(path)
    if not problems:
        problems += validate_examples(path)
    if redocly is not None:
        problems += lint_ruleset(path, redocly)
    return problems


def _relative(path: Path) -> Path:
    """``path`` relative to the working directory when it is below it (shorter, clickable output)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


@click.command("lint")
@click.argument("specs", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--require-ruleset",
    is_flag=True,
    envvar="CHATGATE_REQUIRE_RULESET",
    help="Fail (exit 2) when Redocly CLI is not installed instead of running only the meta-schema pass.",
)
@click.option(
    "--summary-json",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the verdicts and every problem as JSON to this file.",
)
def lint_command(specs: tuple[Path, ...], require_ruleset: bool, summary_json: Path | None) -> None:
    """Validate OpenAPI specs: the meta-schema, every example, then Redocly's recommended ruleset.

    With no SPEC, lints both of chatgate's specs. Every problem is printed as FILE:LINE. Exit 2 when a
    spec is invalid (meta-schema problem or ruleset error); warnings alone exit 0.

    \b
    Example:
        chatgate lint specs/nara.openapi.yaml
    """
    paths = list(specs) or [_relative(spec_path(api)) for api in API_NAMES]
    redocly = redocly_path()
    if redocly is None and require_ruleset:
        raise UsageError("Redocly CLI is not installed: run scripts/install (npm install in tools/)")
    invalid: list[str] = []
    files: list[dict[str, Any]] = []
    for path in paths:
        try:
            problems = lint_file(path, redocly=redocly)
        except SpecError as exc:
            click.echo(str(exc))
            invalid.append(str(path))
            files.append(
                {"path": str(path), "valid": False, "errors": 1, "warnings": 0, "problems": [str(exc)]}
            )
            continue
        for problem in problems:
            click.echo(str(problem))
        errors = sum(p.severity == "error" for p in problems)
        warnings = len(problems) - errors
        passes = "openapi-spec-validator, examples" + (", redocly recommended" if redocly else "")
        verdict = "INVALID" if errors else "OK"
        click.echo(f"{path}: {verdict} ({passes}; {errors} error(s), {warnings} warning(s))")
        if errors:
            invalid.append(str(path))
        files.append(
            {
                "path": str(path),
                "valid": not errors,
                "errors": errors,
                "warnings": warnings,
                "problems": [str(p) for p in problems],
            }
        )
    if redocly is None:
        click.echo("note: Redocly CLI not installed; the ruleset pass did not run (run scripts/install)")
    if summary_json is not None:
        summary = {
            "valid": not invalid,
            "ruleset": "redocly recommended" if redocly else None,
            "files": files,
        }
        summary_json.parent.mkdir(parents=True, exist_ok=True)
        summary_json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if invalid:
        raise SpecError(f"{len(invalid)} invalid spec(s): {', '.join(invalid)}")
