"""A spec file as the model reads it: nodes by JSON pointer, ``$ref``s followed, errors with FILE:LINE.

Every pointer the model keeps is a *location* in the document (after following references), so a
finding, a docs page or a lint problem can name the line it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatgate.errors import SpecError
from chatgate.specs import find_line

__all__ = ["RuleError", "SpecDoc", "escape", "split_pointer"]


class RuleError(SpecError):
    """A rule of the spec (an ``x-chatgate-*`` extension) that names what the spec does not have;
    ``path``, ``line`` and ``problem`` locate it for ``chatgate lint``."""

    def __init__(self, path: Path, line: int | None, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}" if line else f"{path}: {problem}")
        self.path, self.line, self.problem = path, line, problem


def escape(part: object) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def split_pointer(pointer: str) -> list[str | int]:
    parts: list[str | int] = []
    for raw in pointer.split("/")[1:] if pointer else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        parts.append(int(part) if part.isdigit() else part)
    return parts


@dataclass(frozen=True)
class SpecDoc:
    """One loaded spec document and the file it came from."""

    path: Path
    doc: dict[str, Any]

    def node(self, pointer: str) -> Any:
        """The node at ``pointer`` (None when there is none), without following a ``$ref`` there."""
        node: Any = self.doc
        for part in split_pointer(pointer):
            if isinstance(node, dict):
                node = node.get(part if part in node else str(part))
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                return None
        return node

    def follow(self, pointer: str) -> str:
        """``pointer``, or where the ``$ref`` chain found there leads."""
        seen = 0
        node = self.node(pointer)
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            pointer = self.ref_pointer(node["$ref"], pointer)
            node = self.node(pointer)
            seen += 1
            if seen > 64:
                raise self.error(pointer, "reference cycle")
        return pointer

    def ref_pointer(self, ref: Any, at: str) -> str:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise self.error(at, f"only local references (#/...) are supported, got {ref!r}")
        return ref[1:]

    def resolved(self, pointer: str) -> Any:
        return self.node(self.follow(pointer))

    def line(self, pointer: str) -> int | None:
        return find_line(self.path, split_pointer(pointer))

    def where(self, pointer: str) -> str:
        line = self.line(pointer)
        return f"{self.path}:{line}" if line else str(self.path)

    def error(self, pointer: str, message: str) -> RuleError:
        return RuleError(self.path, self.line(pointer), message)
