"""The two documents of one spec pair and the changes found between them.

Every comparison (schemas, operations, streams, rules) walks OLD and NEW side by side and tells the
:class:`Context` what it found with a pointer on each side; the context looks up each side's line,
keeps one change per (rule, both pointers, subject) with every operation it touches, and knows which
keywords are documentation only. ``$ref``s are followed by value (:meth:`SpecDoc.follow`), so two sides
that name a component differently but mean the same thing compare equal.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chatgate.contract_model.spec_doc import SpecDoc, escape
from chatgate.diff.catalogue import rule
from chatgate.diff.model import Change, Side

__all__ = ["DOC_KEYS", "Context", "SideDoc", "child", "code", "parent", "same"]

# Keywords that only document: a change to them is docs-only wherever it stands.
DOC_KEYS = frozenset(
    {
        "description",
        "summary",
        "title",
        "example",
        "examples",
        "x-chatgate-assumption",
        "externalDocs",
        "x-chatgate-role",
        "$comment",
        "contact",
        "license",
        "termsOfService",
        "tags",
    }
)


def child(pointer: str, *parts: object) -> str:
    return pointer + "".join(f"/{escape(p)}" for p in parts)


def parent(pointer: str) -> str:
    return pointer.rsplit("/", 1)[0] if "/" in pointer else ""


def code(value: object) -> str:
    """A value as an integrator writes it, in backticks."""
    text = (
        value
        if isinstance(value, str)
        else repr(value)
        if not isinstance(value, bool)
        else str(value).lower()
    )
    return f"`{text}`"


def _inline(doc: SpecDoc, node: Any, strip: bool, stack: tuple[str, ...]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            if ref in stack or len(stack) > 32:
                return {"$cycle": len(stack) - stack.index(ref) if ref in stack else 0}
            return _inline(doc, doc.node(ref[1:]), strip, (*stack, ref))
        return {k: _inline(doc, v, strip, stack) for k, v in node.items() if not (strip and k in DOC_KEYS)}
    if isinstance(node, list):
        return [_inline(doc, v, strip, stack) for v in node]
    return node


def same(a: SpecDoc, a_node: Any, b: SpecDoc, b_node: Any, *, strip: bool = False) -> bool:
    """Whether two nodes mean the same once every ``$ref`` is followed (``strip``: documentation aside)."""
    return bool(_inline(a, a_node, strip, ()) == _inline(b, b_node, strip, ()))


@dataclass(frozen=True, slots=True)
class SideDoc:
    """One side: the document, the file as reports name it, and whether it is in the working tree."""

    doc: SpecDoc
    label: str
    in_tree: bool

    def side(self, pointer: str) -> Side:
        return Side(self.label, pointer, self.doc.line(pointer), self.in_tree)


@dataclass
class Context:
    """One spec pair being compared; ``operation`` is the operation the walk is in (None: the spec)."""

    spec: str
    old: SideDoc
    new: SideDoc
    operation: str | None = None
    found: dict[tuple[str, str, str, str], Change] = field(default_factory=dict)

    @contextlib.contextmanager
    def on(self, operation: str | None) -> Iterator[None]:
        before, self.operation = self.operation, operation
        try:
            yield
        finally:
            self.operation = before

    def add(
        self,
        rule_id: str,
        old_at: str,
        new_at: str,
        message: str,
        *,
        subject: str = "",
        item: str | None = None,
    ) -> None:
        """A change: ``old_at`` / ``new_at`` its place on each side (the parent's on the side that lacks
        it); ``item`` its own pointer (default ``new_at``; pass OLD's for a removal)."""
        key = (rule_id, old_at, new_at, subject)
        ops = (self.operation,) if self.operation else ()
        known = self.found.get(key)
        if known is not None:
            merged = tuple(dict.fromkeys((*known.operations, *ops)))
            self.found[key] = dataclasses.replace(known, operations=merged)
            return
        self.found[key] = Change(
            rule=rule_id,
            cls=rule(rule_id).cls,
            spec=self.spec,
            pointer=item if item is not None else new_at,
            message=message,
            old=self.old.side(old_at),
            new=self.new.side(new_at),
            subject=subject,
            operations=ops,
        )

    def removed(self, rule_id: str, old_item: str, new_parent: str, message: str, subject: str = "") -> None:
        self.add(rule_id, old_item, new_parent, message, subject=subject, item=old_item)

    def docs(self, old_at: str, new_at: str, keys: Iterable[str] = DOC_KEYS) -> None:
        """docs-only changes of the documentation keywords of the two nodes."""
        o, n = self.old.doc.node(old_at), self.new.doc.node(new_at)
        if not isinstance(o, dict) or not isinstance(n, dict):
            return
        for key in sorted(k for k in keys if k in o or k in n):
            if o.get(key) != n.get(key):
                what = "added" if key not in o else "removed" if key not in n else "changed"
                self.add(
                    "docs.changed",
                    child(old_at, key) if key in o else old_at,
                    child(new_at, key) if key in n else new_at,
                    f"`{key}` {what}.",
                    subject=key,
                    item=child(new_at, key) if key in n else child(old_at, key),
                )

    def leftover(self, old_at: str, new_at: str, handled: Iterable[str]) -> None:
        """Keys of the two nodes no comparison handled: a difference is docs-only when it is only in
        documentation, else unclassified (a warning: never silently passed)."""
        o, n = self.old.doc.node(old_at), self.new.doc.node(new_at)
        if not isinstance(o, dict) or not isinstance(n, dict):
            return
        skip = set(handled) | DOC_KEYS
        for key in sorted((set(o) | set(n)) - skip):
            a, b = o.get(key), n.get(key)
            if same(self.old.doc, a, self.new.doc, b):
                continue
            at_old = child(old_at, key) if key in o else old_at
            at_new = child(new_at, key) if key in n else new_at
            item = at_new if key in n else at_old
            if same(self.old.doc, a, self.new.doc, b, strip=True):
                self.add(
                    "docs.changed",
                    at_old,
                    at_new,
                    f"documentation inside `{key}` changed.",
                    subject=key,
                    item=item,
                )
            else:
                self.add(
                    "spec.unclassified",
                    at_old,
                    at_new,
                    f"`{key}` changed in a way no rule classifies: review what it means for clients.",
                    subject=key,
                    item=item,
                )

    @property
    def changes(self) -> list[Change]:
        return list(self.found.values())
