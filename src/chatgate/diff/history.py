"""The history of a folder of specs, classified: each commit that changed it (newest first), its tags,
date, the specs' versions and every change it made, as ``chatgate diff`` classes them. The docs'
Changes page renders it (:mod:`chatgate.docs.changes`).

Each commit is compared with its first parent (``git:PARENT:PATH`` against ``git:COMMIT:PATH``, read
with git, no checkout). A commit that created the folder lists its specs as added; one whose specs the
model cannot read (an older vocabulary) says why instead. Without git, or outside a repository, the
history says why it is unavailable.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from chatgate.diff.model import Change
from chatgate.diff.runner import diff_files, order, run_diff
from chatgate.diff.sources import open_specs
from chatgate.errors import UsageError
from chatgate.git_specs import Commit, history, repo_top

__all__ = ["History", "Revision", "spec_history"]


@dataclass(frozen=True, slots=True)
class Revision:
    """One commit that changed the specs: its versions (spec file -> info.version) and changes."""

    commit: Commit
    versions: dict[str, str]
    changes: tuple[Change, ...]
    error: str | None = None  # why its changes could not be classified


@dataclass(frozen=True, slots=True)
class History:
    path: str  # the folder, relative to the repository's top
    revisions: tuple[Revision, ...]
    unavailable: str | None = None  # why there is no history to show


def _created(commit: Commit, path: str, top: Path) -> Revision:
    """The commit that created the folder: every spec in it is new."""
    with tempfile.TemporaryDirectory(prefix="chatgate-history-") as scratch:
        found = open_specs(f"git:{commit.short}:{path}", Path(scratch), "NEW", top)
        pairs = [diff_files(f.name, None, f) for f in found.files]
    versions = {p.spec: p.new_version or "" for p in pairs}
    return Revision(commit, versions, order([c for p in pairs for c in p.changes]))


def _revision(commit: Commit, path: str, top: Path) -> Revision:
    new = f"git:{commit.short}:{path}"
    try:
        if commit.parent is None:
            return _created(commit, path, top)
        try:
            result = run_diff(f"git:{commit.parent}:{path}", new, cwd=top)
        except UsageError as exc:
            if "no such path" not in str(exc):
                raise
            return _created(commit, path, top)
    except UsageError as exc:
        return Revision(commit, {}, (), f"not classified: {exc}")
    versions = {p.spec: p.new_version or "" for p in result.pairs if p.new_version is not None}
    return Revision(commit, versions, order(list(result.changes)))


def spec_history(specs_dir: Path, *, limit: int = 30) -> History:
    """The classified history of ``specs_dir`` (at most ``limit`` commits, newest first)."""
    try:
        top = repo_top(specs_dir)
        path = specs_dir.resolve().relative_to(top.resolve()).as_posix()
        commits = history(top, path, limit=limit)
    except UsageError as exc:
        return History("", (), f"no git history: {exc}")
    except ValueError:
        return History("", (), f"no git history: {specs_dir} is not inside its repository's work tree")
    if not commits:
        return History(path, (), f"no commit in this repository's history changed {path}/")
    return History(path, tuple(_revision(c, path, top) for c in commits))
