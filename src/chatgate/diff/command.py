"""``chatgate diff``: arguments -> ``run_diff`` -> ``render_reports`` -> ``RunDir.publish`` -> exit code."""

from __future__ import annotations

import os
from pathlib import Path

import click

from chatgate.artifacts import RunDir, write_atomic
from chatgate.diff.accept import load_accept, render_accept
from chatgate.diff.annotations import render_annotations
from chatgate.diff.report import render_reports, terminal_lines
from chatgate.diff.runner import run_diff
from chatgate.errors import UsageError

__all__ = ["diff_command"]


@click.command("diff")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports/diff"),
    show_default=True,
    help="Where summary.json, summary.md and diff.sarif go.",
)
@click.option(
    "--allow-major",
    is_flag=True,
    help="Accept the breaking changes of a spec whose info.version's major was bumped.",
)
@click.option(
    "--accept",
    "accept",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Breaking changes accepted on purpose (JSON, by fingerprint, each with a note).",
)
@click.option(
    "--update-accept",
    is_flag=True,
    help="Rewrite --accept FILE with every breaking change of this run (notes kept).",
)
def diff_command(
    old: str, new: str, report_dir: Path, allow_major: bool, accept: Path | None, update_accept: bool
) -> None:
    """Does NEW break clients of OLD? Each is a spec file, a folder of specs or git:REV[:PATH].

    Every change is listed with its class (breaking, warning, non-breaking, docs-only), a stable rule id
    (docs/diff-rules.md), the JSON pointer, the line on each side and what it means for a client:
    operations, parameters, bodies, keys, answers, each stream's events, grammar and event data, and
    chatgate's rules (pagination, ownership, window, read-back). $refs are followed: renaming a
    component is not a change. Folders pair their specs by file name. git:REV[:PATH] reads PATH
    (default: specs) at REV without a checkout. Under GITHUB_ACTIONS=true, changes are also printed as
    annotations.

    Exit codes: 0 no breaking change (or all accepted), 1 breaking changes, 2 usage error or a spec
    that cannot be read.

    \b
    Example:
        chatgate diff git:origin/main specs
    """
    if update_accept and accept is None:
        raise UsageError("--update-accept needs --accept FILE")
    result = run_diff(old, new, allow_major=allow_major, accept=None if update_accept else accept)
    RunDir(report_dir).publish(render_reports(result))
    for line in terminal_lines(result):
        click.echo(line)
    if update_accept and accept is not None:
        previous = load_accept(accept) if accept.exists() else []
        write_atomic(accept, render_accept(result.changes, previous))
        click.echo(
            f"diff: accept list written to {accept} ({sum(c.cls == 'breaking' for c in result.changes)} "
            "breaking change(s))"
        )
        raise SystemExit(0)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in render_annotations(result, f"{report_dir}/summary.md"):
            click.echo(line)
    click.echo(f"diff: reports in {report_dir}/ (summary.md, diff.sarif, summary.json)")
    raise SystemExit(result.exit_code)
