"""chatgate's own rules compared (``x-chatgate-pagination``, ``-ownership``, ``-window``, ``-read-back``):
any change that alters what a correct client sees is breaking; a rule newly stated is not (it says what
the spec did not), except ownership, which refuses reads that were allowed.

Each rule is compared as the model reads it (sort values from the sort parameter, the window's size from
the items' ``maxItems``, read-back targets by the operation they name), and its extension's other keys as
written, so nothing in them changes unseen.
"""

from __future__ import annotations

from typing import Any

from chatgate.contract_model import ContractModel, Operation, Pagination, ReadBack
from chatgate.diff.context import Context, child, code
from chatgate.diff.streams import event_renames

__all__ = ["compare_rules"]

_NOTES = {"x-chatgate-assumption", "description"}


def compare_rules(ctx: Context, om: ContractModel, nm: ContractModel, o: Operation, n: Operation) -> None:
    """The rules ``o`` states in OLD against those ``n`` states in NEW."""
    with ctx.on(n.label):
        _pagination(ctx, om.rules(o).pagination, nm.rules(n).pagination, o, n)
        _plain(ctx, o, n, "ownership", om.rules(o).ownership is not None, nm.rules(n).ownership is not None)
        _window(ctx, om, nm, o, n)
        _read_backs(ctx, om, nm, o, n)


def _raw(ctx: Context, pointer: str, new: bool) -> dict[str, Any]:
    node = (ctx.new if new else ctx.old).doc.node(pointer)
    return {k: v for k, v in node.items() if k not in _NOTES} if isinstance(node, dict) else {}


def _keys(ctx: Context, rule_id: str, o_at: str, n_at: str, what: str, skip: set[str]) -> None:
    """One change per key of the two extensions that differs (the docs keys aside)."""
    a, b = _raw(ctx, o_at, False), _raw(ctx, n_at, True)
    for key in sorted((set(a) | set(b)) - skip):
        if a.get(key) != b.get(key):
            ctx.add(
                rule_id,
                child(o_at, key) if key in a else o_at,
                child(n_at, key) if key in b else n_at,
                f"the {what} rule's `{key}` is now {code(b.get(key, 'unset'))} (was "
                f"{code(a.get(key, 'unset'))}): clients that follow the old rule see other results.",
                subject=key,
            )
    ctx.docs(o_at, n_at, _NOTES)


def _presence(ctx: Context, name: str, o: Operation, n: Operation, had: bool, has: bool) -> bool:
    """Added or removed: reported, and True; both present: False; neither: True."""
    ext = f"x-chatgate-{name}"
    if had and not has:
        ctx.removed(
            f"rule.{name}.removed",
            child(o.pointer, ext),
            n.pointer,
            f"{n.label} no longer states its {name} rule: clients can no longer rely on it.",
            name,
        )
    elif has and not had:
        text = (
            "now binds reads to the key's identity: reads of another identity are refused."
            if name == "ownership"
            else f"now states its {name} rule."
        )
        ctx.add(f"rule.{name}.added", o.pointer, child(n.pointer, ext), f"{n.label} {text}", subject=name)
    return not (had and has)


def _plain(ctx: Context, o: Operation, n: Operation, name: str, had: bool, has: bool) -> None:
    if not _presence(ctx, name, o, n, had, has):
        ext = f"x-chatgate-{name}"
        _keys(ctx, f"rule.{name}.changed", child(o.pointer, ext), child(n.pointer, ext), name, set())


def _sort_at(ctx: Context, p: Pagination, new: bool, value: str) -> str:
    assert p.sort is not None
    doc = (ctx.new if new else ctx.old).doc
    schema = doc.follow(child(p.sort.pointer, "schema"))
    return child(schema, "enum", p.sort.enum.index(value)) if value in p.sort.enum else child(schema, "enum")


def _pagination(ctx: Context, a: Pagination | None, b: Pagination | None, o: Operation, n: Operation) -> None:
    if _presence(ctx, "pagination", o, n, a is not None, b is not None):
        return
    assert a is not None and b is not None
    _keys(ctx, "rule.pagination.changed", a.pointer, b.pointer, "pagination", {"sort"})
    _keys(
        ctx,
        "rule.pagination.changed",
        child(a.pointer, "sort"),
        child(b.pointer, "sort"),
        "pagination sort",
        set(),
    )
    old, new = {s.value: s for s in a.sorts}, {s.value: s for s in b.sorts}
    name = code(b.sort.name if b.sort else "sort")
    for value, s in old.items():
        if value not in new:
            parent = _sort_at(ctx, b, True, value) if b.sort else b.pointer
            ctx.removed(
                "rule.pagination.sort-value-removed",
                _sort_at(ctx, a, False, value),
                parent,
                f"{name} no longer accepts {code(value)}: clients that ask for the {s.field} {s.direction} "
                "order get 400.",
                value,
            )
        elif (new[value].field, new[value].direction) != (s.field, s.direction):
            ctx.add(
                "rule.pagination.changed",
                _sort_at(ctx, a, False, value),
                _sort_at(ctx, b, True, value),
                f"{name} {code(value)} now sorts by {new[value].field} {new[value].direction} (was {s.field} "
                f"{s.direction}).",
                subject=value,
            )
    for value, s in new.items():
        if value not in old:
            parent = _sort_at(ctx, a, False, value) if a.sort else a.pointer
            ctx.add(
                "rule.pagination.sort-value-added",
                parent,
                _sort_at(ctx, b, True, value),
                f"{name} now also accepts {code(value)} ({s.field} {s.direction}).",
                subject=value,
            )


def _window(ctx: Context, om: ContractModel, nm: ContractModel, o: Operation, n: Operation) -> None:
    a, b = om.rules(o).window, nm.rules(n).window
    if _presence(ctx, "window", o, n, a is not None, b is not None):
        return
    assert a is not None and b is not None
    _keys(ctx, "rule.window.changed", a.pointer, b.pointer, "window", set())
    if a.size != b.size:
        ctx.add(
            "rule.window.changed",
            child(a.pointer, "items"),
            child(b.pointer, "items"),
            f"the read now returns at most {b.size} items (was {a.size}): clients see another window.",
            subject="size",
        )


def _read_back_key(model: ContractModel, rb: ReadBack, rename: dict[str, str]) -> tuple[Any, ...]:
    """What a read-back says, OLD's renamed events under their NEW names (the rename is reported once,
    as stream.event.renamed)."""

    def text(e: Any) -> str:
        out = str(e.text)
        for old, new in rename.items():
            out = out.replace(f"$stream.event.{old}#", f"$stream.event.{new}#")
        return out

    target = model.operation(rb.target)
    rows = tuple(
        (tuple(sorted((k, text(e)) for k, e in r.match.items())),
         tuple(sorted((k, text(e)) for k, e in r.equal.items())))
        for r in rb.rows
    )  # fmt: skip
    params = tuple(sorted((k, text(e)) for k, e in rb.parameters.items()))
    return target.label if target else rb.target, params, rows, rb.in_order, rb.within_s


def _read_backs(ctx: Context, om: ContractModel, nm: ContractModel, o: Operation, n: Operation) -> None:
    rename = event_renames(o.stream, n.stream) if o.stream is not None and n.stream is not None else {}
    old = {rb.media_type: rb for rb in om.rules(o).read_backs}
    new = {rb.media_type: rb for rb in nm.rules(n).read_backs}
    ext = "x-chatgate-read-back"
    for media, rb in old.items():
        if media not in new:
            ctx.removed(
                "rule.read-back.removed",
                rb.pointer,
                child(n.pointer, ext) if new else n.pointer,
                f"{n.label} no longer states that its {media or 'answer'} is stored and read back.",
                str(media),
            )
    for media, rb in new.items():
        if media not in old:
            ctx.add(
                "rule.read-back.added",
                child(o.pointer, ext) if old else o.pointer,
                rb.pointer,
                f"{n.label} now states where its {media or 'answer'} is read back.",
                subject=str(media),
            )
        elif _read_back_key(om, old[media], rename) != _read_back_key(nm, rb, {}):
            was, now = _read_back_key(om, old[media], rename), _read_back_key(nm, rb, {})
            what = [
                k
                for k, x, y in zip(
                    ("operation", "parameters", "rows", "in_order", "within"), was, now, strict=True
                )
                if x != y
            ]
            ctx.add(
                "rule.read-back.changed",
                old[media].pointer,
                rb.pointer,
                f"how the {media or 'answer'} of "
                f"{n.label} is read back changed ({', '.join(what)}): clients that read it back the old way "
                "miss it.",
                subject=str(media),
            )
        else:
            ctx.docs(old[media].pointer, rb.pointer, _NOTES)
