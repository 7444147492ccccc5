"""Spec pairs for ``chatgate diff``'s rules: each :class:`Case` is an edit of a real spec (OLD, NEW or
both), the rule it must fire, and where: the item's pointer, and the line on each side given by the text
of that line (``Needle``), so the specs can change around it without the tests noticing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
Edit = tuple[str, str] | Callable[[str], str]


@dataclass(frozen=True)
class Needle:
    """The first line holding ``text`` (after the first line holding ``after``, when given)."""

    text: str
    after: str | None = None

    def line(self, doc: str) -> int:
        lines = doc.splitlines()
        start = 0
        if self.after is not None:
            start = next(i for i, line in enumerate(lines) if self.after in line)
        for i in range(start, len(lines)):
            if self.text in lines[i]:
                return i + 1
        raise AssertionError(f"no line holds {self.text!r} (after {self.after!r})")


@dataclass(frozen=True)
class Case:
    rule: str
    api: str
    new: tuple[Edit, ...] = ()
    old: tuple[Edit, ...] = ()
    pointer: str = ""
    old_line: Needle | None = None
    new_line: Needle | None = None
    extra: tuple[str, ...] = field(default=())  # other rules the edit also fires (documented here)

    @property
    def id(self) -> str:
        return f"{self.rule}[{self.api}]"


def apply(text: str, edits: tuple[Edit, ...]) -> str:
    for e in edits:
        if callable(e):
            text = e(text)
            continue
        a, b = e
        assert text.count(a) >= 1, f"the spec no longer holds {a!r}: update tests/diff/edits.py"
        text = text.replace(a, b, 1)
    return text


def cut(start: str, end: str) -> Callable[[str], str]:
    """An edit that removes the text from ``start`` up to (not including) ``end``."""

    def edit(text: str) -> str:
        i = text.index(start)
        return text[:i] + text[text.index(end, i + len(start)) :]

    return edit


def spec_text(api: str) -> str:
    return (ROOT / "specs" / f"{api}.openapi.yaml").read_text(encoding="utf-8")


def write_pair(case: Case, folder: Path) -> tuple[Path, Path, str, str]:
    """OLD and NEW of ``case`` written under ``folder`` (old/, new/), and their texts."""
    base = spec_text(case.api)
    old_text, new_text = apply(base, case.old), apply(base, case.new)
    paths = []
    for side, text in (("old", old_text), ("new", new_text)):
        (folder / side).mkdir(parents=True, exist_ok=True)
        path = folder / side / f"{case.api}.openapi.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1], old_text, new_text
