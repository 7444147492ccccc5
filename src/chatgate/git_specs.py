"""Specs at a git revision, read with ``git`` itself (no checkout, the work tree untouched).

``git:REV[:PATH]`` names PATH (a spec file or a folder of specs; default ``specs``, relative to the
repository's top) as it was at REV (``git:origin/main``, ``git:v1.2.0``, ``git:HEAD~1:specs/x.yaml``).
:func:`materialise` copies those files into a folder of the caller's, so everything that reads a spec by
path (the model, FILE:LINE lookups, the contract suite's child processes) reads them unchanged; each
copy keeps its label (``git:REV:specs/nara.openapi.yaml``) so reports name the revision, never the
temporary copy. ``--specs git:REV`` on any command uses it (``chatgate.cli``), and says so to the
reporters through ``CHATGATE_SPECS_ORIGIN``::

    >>> parse_git("git:v1.2.0")
    ('v1.2.0', 'specs')

:func:`history` lists the commits that changed a path, newest first, with their tags.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from chatgate.errors import UsageError

__all__ = [
    "GIT_PREFIX",
    "ORIGIN_VARIABLE",
    "WORKTREE_VARIABLE",
    "Commit",
    "Materialised",
    "commit_id",
    "history",
    "is_git",
    "materialise",
    "origin_label",
    "parse_git",
    "repo_top",
]

GIT_PREFIX = "git:"
ORIGIN_VARIABLE = "CHATGATE_SPECS_ORIGIN"  # "git:REV:PATH" while --specs git:... is in force
WORKTREE_VARIABLE = "CHATGATE_SPECS_WORKTREE"  # PATH in the working tree: the specs of this release
DEFAULT_PATH = "specs"
SPEC_SUFFIXES = (".yaml", ".yml", ".json")
_TIMEOUT_S = 60


def is_git(text: str) -> bool:
    return text.startswith(GIT_PREFIX)


def parse_git(text: str, default_path: str = DEFAULT_PATH) -> tuple[str, str]:
    """``git:REV[:PATH]`` -> (REV, PATH); UsageError when REV is empty."""
    body = text[len(GIT_PREFIX) :] if is_git(text) else text
    rev, sep, path = body.partition(":")
    if not rev.strip():
        raise UsageError(f"{text!r}: name a revision, e.g. git:origin/main or git:v1.2.0:specs")
    path = path.strip().strip("/") if sep else ""
    return rev.strip(), path or default_path


def _git(args: list[str], cwd: Path, what: str) -> bytes:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=_TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise UsageError(f"{what}: git is not installed") from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"{what}: git failed: {exc}") from None
    if proc.returncode != 0:
        last = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
        raise UsageError(f"{what}: {last}")
    return proc.stdout


def repo_top(cwd: Path | None = None) -> Path:
    """The top of the git repository holding ``cwd`` (the working directory by default)."""
    here = cwd or Path.cwd()
    out = _git(["rev-parse", "--show-toplevel"], here, f"{here}: not inside a git repository")
    return Path(out.decode().strip())


def commit_id(top: Path, rev: str) -> str:
    """The full id of the commit ``rev`` names; UsageError when it names none."""
    out = _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], top, f"git:{rev}: no such revision")
    return out.decode().strip()


@dataclass(frozen=True, slots=True)
class Materialised:
    """PATH at REV copied to ``path`` (a file, or a folder of the spec files): ``labels`` names each copy
    as reports show it (``git:REV:specs/nara.openapi.yaml``)."""

    path: Path
    label: str
    is_dir: bool
    labels: dict[str, str]  # copy (resolved, as text) -> git:REV:PATH label


def _entries(top: Path, rev: str, path: str) -> list[tuple[str, str]]:
    """(name, blob id) of the spec files directly in the folder PATH at REV."""
    raw = _git(["ls-tree", "-z", f"{rev}:{path}"], top, f"git:{rev}:{path}")
    out = []
    for entry in raw.decode("utf-8", "replace").split("\0"):
        meta, _, name = entry.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob" and name.endswith(SPEC_SUFFIXES):
            out.append((name, parts[2]))
    return out


def materialise(text: str, dest: Path, *, cwd: Path | None = None) -> Materialised:
    """Copy ``git:REV[:PATH]`` into ``dest`` (created); UsageError naming what git said when REV or
    PATH does not exist."""
    rev, path = parse_git(text)
    top = repo_top(cwd)
    commit_id(top, rev)
    label = f"{GIT_PREFIX}{rev}:{path}"
    kind = _git(["cat-file", "-t", f"{rev}:{path}"], top, f"{label}: no such path at {rev}").decode().strip()
    dest.mkdir(parents=True, exist_ok=True)
    if kind == "blob":
        target = dest / Path(path).name
        target.write_bytes(_git(["show", f"{rev}:{path}"], top, label))
        return Materialised(target, label, False, {str(target.resolve()): label})
    if kind != "tree":
        raise UsageError(f"{label}: not a file or a folder")
    labels = {}
    for name, blob in _entries(top, rev, path):
        target = dest / name
        target.write_bytes(_git(["cat-file", "blob", blob], top, f"{label}/{name}"))
        labels[str(target.resolve())] = f"{label}/{name}"
    return Materialised(dest, label, True, labels)


def origin_label(path: Path | str) -> str | None:
    """``git:REV:PATH/name`` for a spec file read from the folder ``--specs git:REV[:PATH]`` made (the
    process's ``CHATGATE_SPECS_ORIGIN``), else None: reports name the revision, not the copy."""
    origin = os.environ.get(ORIGIN_VARIABLE, "").strip()
    folder = os.environ.get("CHATGATE_SPECS_DIR", "").strip()
    if not origin or not folder:
        return None
    try:
        name = Path(path).resolve().relative_to(Path(folder).resolve())
    except ValueError:
        return None
    return f"{origin}/{name.as_posix()}"


@dataclass(frozen=True, slots=True)
class Commit:
    """A commit that changed the path: its id, short id, author date (ISO 8601), subject, tags, and its
    first parent (None for a root commit)."""

    id: str
    short: str
    date: str
    subject: str
    tags: tuple[str, ...]
    parent: str | None


def _tags(top: Path) -> dict[str, list[str]]:
    raw = _git(
        ["for-each-ref", "refs/tags", "--format=%(refname:short)%09%(objectname)%09%(*objectname)"],
        top, "git tags",
    )  # fmt: skip
    out: dict[str, list[str]] = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        name, _, rest = line.partition("\t")
        obj, _, peeled = rest.partition("\t")
        out.setdefault(peeled or obj, []).append(name)
    return out


def history(top: Path, path: str, *, limit: int = 30) -> list[Commit]:
    """The commits of the current branch's first-parent line that changed ``path``, newest first."""
    fmt = "%H%x1f%h%x1f%aI%x1f%s%x1f%P"
    raw = _git(["log", "--first-parent", f"--max-count={limit}", f"--format={fmt}", "--", path], top,
               f"git log {path}")  # fmt: skip
    tags = _tags(top)
    out = []
    for line in raw.decode("utf-8", "replace").splitlines():
        full, short, date, subject, parents = (line.split("\x1f") + [""] * 5)[:5]
        parent = parents.split()[0] if parents.split() else None
        out.append(Commit(full, short, date, subject, tuple(sorted(tags.get(full, []))), parent))
    return out
