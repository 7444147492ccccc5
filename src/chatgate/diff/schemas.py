"""Two JSON Schemas compared by value, from the side of the client that sends or reads them.

A :class:`SchemaWalk` follows every ``$ref`` on each side (so a renamed component is no change), then
compares type, enum and const, limits, default, properties and required, additionalProperties, items,
``contentSchema`` (the JSON inside a string: an SSE event's data) and oneOf/anyOf/allOf. What it finds
is classed by direction (:mod:`chatgate.diff.catalogue`): a request schema that takes less is breaking;
a response schema that may send more is a warning or breaking. A keyword it has no rule for is
``spec.unclassified`` (a warning), never silently passed.
"""

from __future__ import annotations

from typing import Any

from chatgate.diff.context import DOC_KEYS, child, code, same
from chatgate.diff.keywords import LIMITS, KeywordWalk

__all__ = ["SchemaWalk"]

_VARIANTS = ("oneOf", "anyOf", "allOf")
_BASE = frozenset(
    {
        "type",
        "enum",
        "const",
        *LIMITS,
        "properties",
        "required",
        "additionalProperties",
        "discriminator",
        "$ref",
        "nullable",
    }
)


class SchemaWalk(KeywordWalk):
    """Compare schemas for a client that sends them (``reading`` False: request bodies and parameters)
    or reads them (responses: ``area`` ``response.schema``; stream data: ``stream.data``)."""

    def compare(self, old_at: str, new_at: str, name: str) -> None:
        """Compare the schemas at the two pointers; ``name`` is the value's name in messages."""
        o_at, n_at = self.ctx.old.doc.follow(old_at), self.ctx.new.doc.follow(new_at)
        if (o_at, n_at) in self.seen:
            return
        self.seen.add((o_at, n_at))
        o, n = self.ctx.old.doc.node(o_at), self.ctx.new.doc.node(n_at)
        if not isinstance(o, dict) or not isinstance(n, dict):
            if o != n:
                self.ctx.add(
                    "spec.unclassified",
                    o_at,
                    n_at,
                    f"{self.lab(name)}: the schema changed form "
                    "(a boolean schema, or none): review it by hand.",
                    subject="schema",
                )
            return
        self._type(o_at, n_at, o, n, name)
        self._enum(o_at, n_at, o, n, name)
        self._limits(o_at, n_at, o, n, name)
        if not self.reading:
            self._default(o_at, n_at, o, n, name)
        self._properties(o_at, n_at, o, n, name)
        handled = set(_BASE) | {"default"} | self._nested(o_at, n_at, o, n, name)
        self._discriminator(o_at, n_at, o, n, name)
        self.ctx.docs(o_at, n_at, DOC_KEYS | ({"default"} if self.reading else set()))
        self.ctx.leftover(o_at, n_at, handled)

    def _properties(self, o_at: str, n_at: str, o: dict[str, Any], n: dict[str, Any], name: str) -> None:
        op, np_ = o.get("properties") or {}, n.get("properties") or {}
        if not isinstance(op, dict) or not isinstance(np_, dict):
            return
        strict_new = n.get("additionalProperties") is False
        for prop in sorted(set(op) | set(np_), key=str):
            if prop in self.skip:
                continue
            path = f"{name}.{prop}" if name else str(prop)
            o_prop, n_prop = child(o_at, "properties", prop), child(n_at, "properties", prop)
            if prop in op and prop in np_:
                self.compare(o_prop, n_prop, path)
            elif prop in op:
                parent_new = child(n_at, "properties") if "properties" in n else n_at
                rule, text = self._removed(path, strict_new)
                self.ctx.removed(rule, o_prop, parent_new, text, str(prop))
            elif self.reading or prop not in (n.get("required") or []):
                rule, text = self._added(path, strict_new)
                self.ctx.add(
                    rule,
                    child(o_at, "properties") if "properties" in o else o_at,
                    n_prop,
                    text,
                    subject=str(prop),
                )
        self._required(o_at, n_at, o, n, name)

    def _removed(self, path: str, strict_new: bool) -> tuple[str, str]:
        if self.reading:
            return self.rule("field-removed"), f"{code(path)} is no longer sent: clients that read it break."
        if strict_new:
            return self.rule(
                "field-removed"
            ), f"{code(path)} is no longer accepted: clients that send it get 400."
        return self.rule("field-ignored"), (
            f"{code(path)} is no longer documented: clients that send it have it ignored."
        )

    def _added(self, path: str, strict_new: bool) -> tuple[str, str]:
        if self.reading and strict_new:
            return self.rule("field-added-strict"), (
                f"{code(path)} is new in a schema that refuses unknown fields: clients validating against "
                "the old schema reject it."
            )
        return self.rule("field-added"), f"{code(path)} is new (optional)."

    def _required(self, o_at: str, n_at: str, o: dict[str, Any], n: dict[str, Any], name: str) -> None:
        a, b = list(o.get("required") or []), list(n.get("required") or [])
        op, np_ = o.get("properties") or {}, n.get("properties") or {}
        at_o = child(o_at, "required") if "required" in o else o_at
        at_n = child(n_at, "required") if "required" in n else n_at
        for i, prop in enumerate(b):
            if prop in a or prop in self.skip:
                continue
            path = f"{name}.{prop}" if name else str(prop)
            item = child(n_at, "required", i)
            if not self.reading:
                text = "is new and required" if prop not in op else "is now required"
                self.ctx.add(
                    self.rule("field-required-added"),
                    at_o,
                    item,
                    f"{code(path)} {text}: clients that leave it out get 400.",
                    subject=str(prop),
                )
            elif prop in op:
                self.ctx.add(
                    self.rule("field-required"),
                    at_o,
                    item,
                    f"{code(path)} is now always sent.",
                    subject=str(prop),
                )
        for i, prop in enumerate(a):
            if prop in b or prop in self.skip or prop not in np_:
                continue
            path = f"{name}.{prop}" if name else str(prop)
            item = child(o_at, "required", i)
            if self.reading:
                self.ctx.removed(
                    self.rule("field-optional"),
                    item,
                    at_n,
                    f"{code(path)} is no longer always sent: clients that expect it may not find it.",
                    str(prop),
                )
            else:
                self.ctx.removed(
                    self.rule("field-required-removed"),
                    item,
                    at_n,
                    f"{code(path)} is no longer required.",
                    str(prop),
                )

    def _nested(self, o_at: str, n_at: str, o: dict[str, Any], n: dict[str, Any], name: str) -> set[str]:
        """additionalProperties (open or closed, or a schema), items, contentSchema and the variants;
        returns the keywords compared (the others fall to ``leftover``)."""
        handled: set[str] = set()
        self._closed(o_at, n_at, o, n, name)
        for key, suffix in (("additionalProperties", ".*"), ("items", "[]"), ("contentSchema", "")):
            if isinstance(o.get(key), dict) and isinstance(n.get(key), dict):
                self.compare(child(o_at, key), child(n_at, key), f"{name}{suffix}")
                handled.add(key)
        for key in _VARIANTS:
            if isinstance(o.get(key), list) and isinstance(n.get(key), list):
                self._variants(o_at, n_at, key, o[key], n[key], name)
                handled.add(key)
        return handled

    def _closed(self, o_at: str, n_at: str, o: dict[str, Any], n: dict[str, Any], name: str) -> None:
        a, b = o.get("additionalProperties") is False, n.get("additionalProperties") is False
        if a == b:
            return
        at_o = child(o_at, "additionalProperties") if "additionalProperties" in o else o_at
        at_n = child(n_at, "additionalProperties") if "additionalProperties" in n else n_at
        if not self.reading:
            rule, text = (
                ("closed", "now refuses unknown fields: clients that send extra fields get 400.")
                if b
                else ("opened", "now accepts unknown fields.")
            )
        else:
            rule, text = (
                ("opened", "may now carry undocumented fields: strict clients reject them.")
                if a
                else ("closed", "now carries only documented fields.")
            )
        self.ctx.add(self.rule(rule), at_o, at_n, f"{self.lab(name)} {text}", subject="additionalProperties")

    def _variants(self, o_at: str, n_at: str, key: str, a: list[Any], b: list[Any], name: str) -> None:
        if len(a) == len(b):
            for i in range(len(a)):
                self.compare(child(o_at, key, i), child(n_at, key, i), name)
            return
        old_doc, new_doc = self.ctx.old.doc, self.ctx.new.doc
        for i, branch in enumerate(a):
            if not any(same(old_doc, branch, new_doc, other, strip=True) for other in b):
                rule = self.rule("type-narrowed" if self.reading else "type-changed")
                text = (
                    "is no longer sent in one of its forms."
                    if self.reading
                    else ("no longer takes one of its forms: clients that send it get 400.")
                )
                self.ctx.removed(
                    rule, child(o_at, key, i), child(n_at, key), f"{self.lab(name)} {text}", f"{key}/{i}"
                )
        for i, branch in enumerate(b):
            if not any(same(new_doc, branch, old_doc, other, strip=True) for other in a):
                rule = self.rule("type-changed" if self.reading else "type-widened")
                text = (
                    "may now be sent in a new form: clients that expect the old ones break."
                    if self.reading
                    else ("now also takes a new form.")
                )
                self.ctx.add(
                    rule,
                    child(o_at, key),
                    child(n_at, key, i),
                    f"{self.lab(name)} {text}",
                    subject=f"{key}/{i}",
                )

    def _discriminator(self, o_at: str, n_at: str, o: dict[str, Any], n: dict[str, Any], name: str) -> None:
        a, b = o.get("discriminator"), n.get("discriminator")
        prop_a = a.get("propertyName") if isinstance(a, dict) else None
        prop_b = b.get("propertyName") if isinstance(b, dict) else None
        keys_a = sorted((a.get("mapping") or {}) if isinstance(a, dict) else {})
        keys_b = sorted((b.get("mapping") or {}) if isinstance(b, dict) else {})
        if (prop_a, keys_a) != (prop_b, keys_b):
            self.ctx.add(
                "spec.unclassified",
                child(o_at, "discriminator") if a else o_at,
                child(n_at, "discriminator") if b else n_at,
                f"{self.lab(name)}: the discriminator changed: review how clients tell the variants apart.",
                subject="discriminator",
            )
