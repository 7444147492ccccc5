"""The keywords of one schema node compared (type, enum and const, limits, default), for a client that
sends the value or reads it; :class:`chatgate.diff.schemas.SchemaWalk` walks the nodes and their
children. Each finding is added to the :class:`~chatgate.diff.context.Context` with its rule id, classed
by direction (:mod:`chatgate.diff.catalogue`)."""

from __future__ import annotations

from typing import Any

from chatgate.diff.context import Context, child, code

__all__ = ["KeywordWalk"]

_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_SHAPE = ("pattern", "format", "multipleOf")
LIMITS = (*_LOWER, *_UPPER, *_SHAPE, "uniqueItems")


def _types(node: dict[str, Any]) -> frozenset[str] | None:
    kinds = node.get("type")
    if kinds is None:
        return None
    out = set(kinds if isinstance(kinds, list) else [kinds])
    if node.get("nullable") is True:
        out.add("null")
    return frozenset(str(k) for k in out)


def _within(a: frozenset[str] | None, b: frozenset[str] | None) -> bool:
    """Every value of types ``a`` is a value of types ``b`` (None: any type; integer is a number)."""
    if b is None:
        return True
    if a is None:
        return False
    return all(t in b or (t == "integer" and "number" in b) for t in a)


def _values(node: dict[str, Any]) -> list[Any] | None:
    if "const" in node:
        return [node["const"]]
    values = node.get("enum")
    return list(values) if isinstance(values, list) else None


def _kinds(t: frozenset[str] | None) -> str:
    return " or ".join(sorted(t)) if t else "any type"


def _tighter(key: str, a: Any, b: Any) -> str:
    """'tighter', 'looser' or 'both' for a limit keyword going from ``a`` to ``b`` (None: absent)."""
    if key in _LOWER:
        return "tighter" if a is None or (b is not None and b > a) else "looser"
    if key in _UPPER:
        return "tighter" if a is None or (b is not None and b < a) else "looser"
    if key == "uniqueItems":
        return "tighter" if b is True else "looser"
    return "tighter" if a is None else "looser" if b is None else "both"


class KeywordWalk:
    """The keyword comparisons of a schema walk (``reading`` False: the client sends the value)."""

    def __init__(
        self,
        ctx: Context,
        *,
        reading: bool,
        area: str = "response.schema",
        skip: frozenset[str] = frozenset(),
        root: str = "the body",
    ) -> None:
        self.ctx, self.reading, self.area, self.skip, self.root = ctx, reading, area, skip, root
        self.seen: set[tuple[str, str]] = set()

    def lab(self, name: str) -> str:
        """How messages name the value: its path in backticks, or the root (\"the body\")."""
        return code(name) if name else self.root

    def rule(self, tail: str) -> str:
        if self.reading:
            return f"{self.area}.{tail}"
        return f"request.{'body' if tail.startswith('field') else 'schema'}.{tail}"

    def _type(self, o_at: str, n_at: str, o: dict[str, Any], n: dict[str, Any], name: str) -> None:
        a, b = _types(o), _types(n)
        if a == b:
            return
        at_o, at_n = (
            child(o_at, "type") if "type" in o else o_at,
            child(n_at, "type") if "type" in n else n_at,
        )
        if not self.reading:
            if _within(a, b):
                self.ctx.add(
                    self.rule("type-widened"),
                    at_o,
                    at_n,
                    f"{self.lab(name)} now also takes {_kinds(b)} (was {_kinds(a)}).",
                    subject="type",
                )
            else:
                self.ctx.add(
                    self.rule("type-changed"),
                    at_o,
                    at_n,
                    f"{self.lab(name)} now takes {_kinds(b)} "
                    f"(was {_kinds(a)}): clients that send {_kinds(a)} get 400.",
                    subject="type",
                )
        elif _within(b, a):
            self.ctx.add(
                self.rule("type-narrowed"),
                at_o,
                at_n,
                f"{self.lab(name)} is now always {_kinds(b)} (was {_kinds(a)}).",
                subject="type",
            )
        else:
            self.ctx.add(
                self.rule("type-changed"),
                at_o,
                at_n,
                f"{self.lab(name)} may now be {_kinds(b)} (was "
                f"{_kinds(a)}): clients that expect {_kinds(a)} break.",
                subject="type",
            )

    def _enum(self, o_at: str, n_at: str, o: dict[str, Any], n: dict[str, Any], name: str) -> None:
        a, b = _values(o), _values(n)
        if a == b:
            return
        key_o, key_n = ("const" if "const" in o else "enum"), ("const" if "const" in n else "enum")
        holder_o = child(o_at, key_o) if a is not None else o_at
        holder_n = child(n_at, key_n) if b is not None else n_at
        label = self.lab(name)
        if a is None or b is None:
            values = ", ".join(code(v) for v in (b if a is None else a) or [])
            narrower = a is None
            if not self.reading:
                text = (
                    f"{label} now takes only {values}: clients that send other values get 400."
                    if narrower
                    else f"{label} is no longer limited to {values}."
                )
            else:
                text = (
                    f"{label} is now only ever {values}."
                    if narrower
                    else f"{label} is no longer limited "
                    f"to {values}: clients that switch over its values may not handle the others."
                )
            self._enum_change(narrower, holder_o, holder_n, text, "enum")
            return
        for i, v in enumerate(a):
            if v not in b:
                item = child(o_at, "enum", i) if key_o == "enum" else holder_o
                text = (
                    f"{label} is no longer sent as {code(v)}."
                    if self.reading
                    else f"{label} no longer takes {code(v)}: clients that send it get 400."
                )
                self._enum_change(True, item, holder_n, text, str(v), removed=item)
        for i, v in enumerate(b):
            if v not in a:
                item = child(n_at, "enum", i) if key_n == "enum" else holder_n
                text = (
                    f"{label} may now be {code(v)}: clients that switch over its values may not handle it."
                    if self.reading
                    else f"{label} now also takes {code(v)}."
                )
                self._enum_change(False, holder_o, item, text, str(v))

    def _enum_change(
        self, narrower: bool, old_at: str, new_at: str, text: str, subject: str, removed: str | None = None
    ) -> None:
        rule = self.rule("enum-narrowed" if narrower else "enum-widened")
        self.ctx.add(rule, old_at, new_at, text, subject=subject, item=removed)

    def _limits(self, o_at: str, n_at: str, o: dict[str, Any], n: dict[str, Any], name: str) -> None:
        for key in LIMITS:
            a, b = o.get(key), n.get(key)
            if a == b:
                continue
            way = _tighter(key, a, b)
            bad = "tighter" if not self.reading else "looser"
            worse = way in (bad, "both")
            tail = (
                ("limit-tightened" if worse else "limit-loosened")
                if not self.reading
                else ("limit-loosened" if worse else "limit-tightened")
            )
            was = f"was {code(a)}" if a is not None else "had none"
            now = f"is now {code(b)}" if b is not None else "is gone"
            text = f"{self.lab(name)}: `{key}` {now} ({was})"
            if worse:
                text += (
                    ": clients that send values the old limit allowed get 400."
                    if not self.reading
                    else ": clients that validate against the old limit may reject what is sent."
                )
            else:
                text += "."
            at_o = child(o_at, key) if key in o else o_at
            at_n = child(n_at, key) if key in n else n_at
            self.ctx.add(self.rule(tail), at_o, at_n, text, subject=key, item=at_n if key in n else at_o)

    def _default(self, o_at: str, n_at: str, o: dict[str, Any], n: dict[str, Any], name: str) -> None:
        if o.get("default") == n.get("default") and ("default" in o) == ("default" in n):
            return
        now = f"now defaults to {code(n['default'])}" if "default" in n else "no longer has a default"
        was = f"was {code(o['default'])}" if "default" in o else "had none"
        self.ctx.add(
            self.rule("default-changed"),
            child(o_at, "default") if "default" in o else o_at,
            child(n_at, "default") if "default" in n else n_at,
            f"{self.lab(name)} {now} ({was}): clients that leave it out get other results.",
            subject="default",
        )
