"""``chatgate docs``: build the offline spec docs, publish them, say what was written."""

from __future__ import annotations

from pathlib import Path

import click

from chatgate.artifacts import RunDir
from chatgate.docs.build import build_docs
from chatgate.docs.report import publish_docs
from chatgate.errors import UsageError

__all__ = ["docs"]


@click.command("docs")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports/docs"),
    show_default=True,
    help="Folder for index.html, one page per API, the specs, the JSON Schemas and summary.json.",
)
def docs(out: Path) -> None:
    """Build the offline spec docs for integrators: one self-contained HTML page per API.

    Each page opens from disk with no network: the reference (Swagger UI, inlined), the rules each
    operation states (pages, whose rows, reading back, windows) and the identity a key carries, the
    stream's event catalogue, roles and grammar, the error catalogue, the assumptions made where the
    vendor is silent, and a runnable curl and Python example per operation. The JSON Schemas of chatgate's
    summary.json files are published under schemas/.

    Example: chatgate docs --out site/
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"docs: cannot write to {out}: {exc.strerror or exc}") from None
    build = build_docs()
    publish_docs(build, RunDir(out))
    for page in build.pages:
        click.echo(
            f"{out / page.page}: {page.title}, {len(page.operations)} operations, "
            f"{page.examples} examples, {page.assumptions} assumptions"
        )
    click.echo(
        f"docs: {out / 'index.html'} ({build.renderer}; {len(build.schemas)} JSON Schemas in schemas/)"
    )
