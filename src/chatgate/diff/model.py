"""What a diff found: each :class:`Change` (its rule, class, where on each side, one sentence), gathered
per spec pair and in one :class:`DiffResult` (immutable; the reporters render it)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from chatgate.errors import EXIT_FINDINGS, EXIT_OK

__all__ = [
    "BREAKING",
    "CLASSES",
    "DOCS_ONLY",
    "NON_BREAKING",
    "WARNING",
    "AcceptEntry",
    "Change",
    "DiffResult",
    "PairResult",
    "Side",
]

BREAKING = "breaking"
WARNING = "warning"
NON_BREAKING = "non-breaking"
DOCS_ONLY = "docs-only"
CLASSES = (BREAKING, WARNING, NON_BREAKING, DOCS_ONLY)  # most serious first


@dataclass(frozen=True, slots=True)
class Side:
    """Where a change stands in one spec: the file as reports name it (a path relative to the working
    directory, or ``git:REV:path``), the JSON pointer and its line. For an item the side lacks (removed
    from NEW, added in NEW), the pointer and line are its parent's on that side."""

    file: str
    pointer: str
    line: int | None
    in_tree: bool  # a file of the working tree (code scanning and annotations can point at its line)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True, slots=True)
class Change:
    """One change between OLD and NEW, as an integrator reads it."""

    rule: str
    cls: str  # breaking | warning | non-breaking | docs-only (the rule's, chatgate.diff.catalogue)
    spec: str  # the pair's file name (nara.openapi.yaml)
    pointer: str  # the item: its pointer in NEW, or in OLD when NEW no longer has it
    message: str  # one sentence an integrator understands
    old: Side | None  # None: the whole spec is new
    new: Side | None  # None: the whole spec was removed
    subject: str = ""  # what changed at the pointer (a value, a field, a keyword): tells changes apart
    operations: tuple[str, ...] = ()  # the operations it touches (METHOD /path)
    accepted: str | None = None  # why a breaking change is accepted (accept-list note, major bump)

    @property
    def fingerprint(self) -> str:
        """Stable across runs of the same two specs: the spec, the rule, both pointers, the subject."""
        old = self.old.pointer if self.old else ""
        new = self.new.pointer if self.new else ""
        key = "\x1f".join((self.spec, self.rule, old, new, self.subject))
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    @property
    def failing(self) -> bool:
        return self.cls == BREAKING and self.accepted is None


@dataclass(frozen=True, slots=True)
class PairResult:
    """One pair of specs (paired by file name): their labels, versions and changes."""

    spec: str
    old_file: str | None
    new_file: str | None
    old_version: str | None
    new_version: str | None
    changes: tuple[Change, ...]

    @property
    def major_bump(self) -> bool:
        return _major(self.new_version) > _major(self.old_version) >= 0


def _major(version: str | None) -> int:
    head = (version or "").lstrip("vV").split(".")[0]
    return int(head) if head.isdigit() else -1


@dataclass(frozen=True, slots=True)
class AcceptEntry:
    """A breaking change accepted on purpose: by fingerprint (as reports print it), with a note."""

    fingerprint: str
    rule: str
    spec: str
    pointer: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class DiffResult:
    """Every pair's changes, what the user compared, and the accept-list entries that matched nothing."""

    old: str
    new: str
    pairs: tuple[PairResult, ...]
    allow_major: bool = False
    accept_file: str | None = None
    stale: tuple[AcceptEntry, ...] = field(default=())
    seconds: float = 0.0

    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(c for p in self.pairs for c in p.changes)

    def count(self, cls: str) -> int:
        return sum(c.cls == cls for c in self.changes)

    @property
    def failing(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.failing)

    @property
    def accepted(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.accepted is not None)

    @property
    def exit_code(self) -> int:
        return EXIT_FINDINGS if self.failing else EXIT_OK

    @property
    def verdict(self) -> str:
        if self.failing:
            return "breaking"
        if self.accepted:
            return "accepted"
        return (
            "compatible"
            if any(c.cls != DOCS_ONLY for c in self.changes)
            else ("docs-only" if self.changes else "identical")
        )
