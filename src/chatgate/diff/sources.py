"""What ``chatgate diff`` compares: OLD and NEW, each a spec file, a folder of specs, or ``git:REV[:PATH]``
(read with ``git``, no checkout: :mod:`chatgate.git_specs`), and how their files pair up (by file name;
two single files pair whatever their names)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from chatgate.errors import UsageError
from chatgate.git_specs import SPEC_SUFFIXES, is_git, materialise

__all__ = ["SpecFile", "SpecSet", "open_specs", "pair_files", "relative_label"]


@dataclass(frozen=True, slots=True)
class SpecFile:
    """One spec: its file name (the pairing key), a readable copy, how reports name it, and whether it is
    a file of the working tree (code scanning can point at its lines)."""

    name: str
    path: Path
    label: str
    in_tree: bool


@dataclass(frozen=True, slots=True)
class SpecSet:
    given: str
    files: tuple[SpecFile, ...]
    single: bool  # a file was named (else a folder)

    def by_name(self) -> dict[str, SpecFile]:
        return {f.name: f for f in self.files}


def relative_label(path: Path) -> str:
    """``path`` relative to the working directory when below it (reports and SARIF's %SRCROOT%)."""
    full = path.resolve()
    here = Path.cwd().resolve()
    return full.relative_to(here).as_posix() if full.is_relative_to(here) else os.fspath(full)


def open_specs(text: str, scratch: Path, role: str, cwd: Path | None = None) -> SpecSet:
    """The specs ``text`` names (``role``: OLD or NEW, for messages); git revisions are copied under
    ``scratch``. UsageError (exit 2) when there is nothing to read."""
    if not text.strip():
        raise UsageError(f"{role}: name a spec file, a folder of specs or git:REV[:PATH]")
    if is_git(text):
        m = materialise(text, scratch, cwd=cwd)
        files = tuple(SpecFile(Path(p).name, Path(p), label, False) for p, label in sorted(m.labels.items()))
        if not files:
            raise UsageError(f"{role} {text}: no spec files (*.yaml, *.yml, *.json) there")
        return SpecSet(text, files, not m.is_dir)
    path = Path(text)
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.is_file() and p.name.endswith(SPEC_SUFFIXES))
        if not found:
            raise UsageError(f"{role} {path}: no spec files (*.yaml, *.yml, *.json) in this folder")
        return SpecSet(text, tuple(SpecFile(p.name, p, relative_label(p), True) for p in found), False)
    if path.is_file():
        return SpecSet(text, (SpecFile(path.name, path, relative_label(path), True),), True)
    raise UsageError(f"{role} {path}: no such file or folder (or use git:REV[:PATH])")


def pair_files(old: SpecSet, new: SpecSet) -> list[tuple[str, SpecFile | None, SpecFile | None]]:
    """(name, OLD's file, NEW's file): folders pair by file name, a spec on one side only is itself a
    change; a single file pairs with the other single file, or with its namesake in a folder."""
    if old.single and new.single:
        return [(new.files[0].name, old.files[0], new.files[0])]
    a, b = old.by_name(), new.by_name()
    if old.single:
        name = old.files[0].name
        return [(name, a[name], b.get(name))]
    if new.single:
        name = new.files[0].name
        return [(name, a.get(name), b[name])]
    return [(name, a.get(name), b.get(name)) for name in sorted(set(a) | set(b))]
