"""``chatgate docs``: write the offline spec docs (click wiring around ``chatgate.docs.site.write_docs``)."""

from __future__ import annotations

from pathlib import Path

import click

from chatgate.errors import UsageError

__all__ = ["docs"]


@click.command("docs")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports/docs"),
    show_default=True,
    help="Folder for index.html, one page per API, the specs and summary.json.",
)
def docs(out: Path) -> None:
    """Build the offline spec docs for integrators: one self-contained HTML page per API.

    Each page opens from disk with no network: the reference (Swagger UI, inlined), the stream's
    event catalogue and grammar, the error catalogue, the assumptions made where the vendor is
    silent, and a runnable curl and Python example per operation.

    Example: chatgate docs --out site/
    """
    from chatgate.docs.site import write_docs

    try:
        summary = write_docs(out)
    except OSError as exc:
        raise UsageError(f"docs: cannot write to {out}: {exc.strerror or exc}") from None
    for page in summary["pages"]:
        click.echo(
            f"{out / page['page']}: {page['title']}, {len(page['operations'])} operations, "
            f"{page['examples']} examples, {page['assumptions']} assumptions"
        )
    click.echo(f"docs: {out / 'index.html'} ({summary['renderer']})")
