"""The "Changes" page: the git history of the specs, each commit's changes classified by ``chatgate diff``
(:func:`chatgate.diff.history.spec_history`), breaking ones first. Without git history (an installed
package, a folder outside a repository), the page says so."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chatgate import __version__
from chatgate.diff.history import History, spec_history
from chatgate.diff.model import BREAKING, CLASSES, Change
from chatgate.docs.templating import TEMPLATES

__all__ = ["CHANGES_PAGE", "ChangesInfo", "render_changes"]

CHANGES_PAGE = "changes.html"


@dataclass(frozen=True, slots=True)
class ChangesInfo:
    """What the page holds: the commits shown and their breaking changes (None: no git history)."""

    commits: int
    breaking: int
    unavailable: str | None


def _breaking(history: History) -> list[tuple[str, Change]]:
    return [(r.commit.short, c) for r in history.revisions for c in r.changes if c.cls == BREAKING]


def render_changes(specs_dir: Path) -> tuple[str, ChangesInfo]:
    """The page's HTML for the specs in ``specs_dir``, and what it holds."""
    history = spec_history(specs_dir)
    breaking = _breaking(history)
    html = TEMPLATES.get_template("changes.html.j2").render(
        history=history,
        breaking=breaking,
        classes=CLASSES,
        version=__version__,
    )
    return html, ChangesInfo(len(history.revisions), len(breaking), history.unavailable)
