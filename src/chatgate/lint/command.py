"""``chatgate lint``: parse flags, run the passes, print and write the report, exit code."""

from __future__ import annotations

from pathlib import Path

import click

from chatgate.artifacts import write_atomic
from chatgate.errors import SpecError, UsageError
from chatgate.lint.report import summary_json, terminal_lines
from chatgate.lint.runner import redocly_path, run_lint
from chatgate.specs import API_NAMES, spec_path

__all__ = ["lint_command"]


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
    "summary_json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the verdicts and every problem as JSON to this file.",
)
def lint_command(specs: tuple[Path, ...], require_ruleset: bool, summary_json_path: Path | None) -> None:
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
    result = run_lint(paths, redocly=redocly)
    for line in terminal_lines(result):
        click.echo(line)
    if summary_json_path is not None:
        write_atomic(summary_json_path, summary_json(result))
    if result.invalid:
        raise SpecError(f"{len(result.invalid)} invalid spec(s): {', '.join(map(str, result.invalid))}")
