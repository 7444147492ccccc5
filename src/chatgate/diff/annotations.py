"""GitHub Actions annotations for a diff, printed under ``GITHUB_ACTIONS=true``::

    ::error file=specs/nara.openapi.yaml,line=258,title=request.schema.enum-narrowed::`sort_by` no ...

Breaking changes are errors (notices once accepted), warnings warnings. A change in a spec read from a
git revision names ``git:REV:path`` in its text and no file or line (not a file of the working tree).
GitHub shows at most 10 annotations of a kind per step: past that, 9 and one pointing at the report.
"""

from __future__ import annotations

from chatgate.annotations import escape_data, escape_property
from chatgate.diff.model import BREAKING, WARNING, Change, DiffResult

__all__ = ["PER_STEP_LIMIT", "render_annotations"]

PER_STEP_LIMIT = 10


def _line(kind: str, c: Change) -> str:
    props = [f"title={escape_property(f'{c.rule} ({c.cls})')}"]
    side = c.new or c.old
    text = c.message
    if side is not None and side.in_tree:
        props = [f"file={escape_property(side.file)}", *([f"line={side.line}"] if side.line else []), *props]
    elif side is not None:
        text = f"{side.file}: {text}"
    return f"::{kind} {','.join(props)}::{escape_data(text)}"


def _kind(kind: str, changes: list[Change], report: str) -> list[str]:
    if len(changes) <= PER_STEP_LIMIT:
        return [_line(kind, c) for c in changes]
    rest = len(changes) - (PER_STEP_LIMIT - 1)
    title = escape_property(f"chatgate diff: {rest} more")
    return [
        *(_line(kind, c) for c in changes[: PER_STEP_LIMIT - 1]),
        f"::{kind} title={title}::{escape_data(f'{rest} more not shown here: see {report}')}",
    ]


def render_annotations(result: DiffResult, report: str = "reports/diff/summary.md") -> list[str]:
    """The workflow-command lines, within GitHub's per-step limits."""
    breaking = [c for c in result.changes if c.cls == BREAKING and not c.accepted]
    accepted = [c for c in result.changes if c.cls == BREAKING and c.accepted]
    warnings = [c for c in result.changes if c.cls == WARNING]
    return (
        _kind("error", breaking, report)
        + _kind("warning", warnings, report)
        + _kind("notice", accepted, report)
    )
