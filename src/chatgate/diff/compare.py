"""Two models of one API's spec compared: the spec's top, every operation (paired by method and path,
path parameters by position), the rules each states. Returns the changes, those a more telling rule
already says dropped (a sort value removed is not also an enum narrowed)."""

from __future__ import annotations

import re

from chatgate.contract_model import ContractModel, Operation
from chatgate.diff.context import Context, child, code, same
from chatgate.diff.model import Change
from chatgate.diff.operations import compare_operation, compare_schemes
from chatgate.diff.rules import compare_rules

__all__ = ["compare_models", "operation_key"]

_TOP_HANDLED = ("paths", "components", "security", "info", "servers", "tags")
# A change of the first rule says what a change of the second (same operation, mapped subject) says.
_HIDES = {
    "rule.pagination.sort-value-removed": ("request.schema.enum-narrowed", None),
    "rule.pagination.sort-value-added": ("request.schema.enum-widened", None),
    "rule.window.changed": ("response.schema.limit-loosened", "maxItems"),
}
_HIDES_TOO = {"rule.window.changed": ("response.schema.limit-tightened", "maxItems")}


def operation_key(op: Operation) -> tuple[str, str]:
    """What a client calls: the method and the path, path parameters by position (``{id}`` = ``{x}``)."""
    return op.method, re.sub(r"\{[^}]*\}", "{}", op.path)


def _top(ctx: Context) -> None:
    old_info, new_info = ctx.old.doc.node("/info") or {}, ctx.new.doc.node("/info") or {}
    if old_info.get("version") != new_info.get("version"):
        ctx.add(
            "spec.version-changed",
            "/info/version",
            "/info/version",
            f"info.version is now "
            f"{code(str(new_info.get('version')))} (was {code(str(old_info.get('version')))}).",
            subject="version",
        )
    info_docs = {k for k in (set(old_info) | set(new_info)) if k != "version"}
    ctx.docs("/info", "/info", info_docs)
    old_servers, new_servers = ctx.old.doc.node("/servers"), ctx.new.doc.node("/servers")
    if not same(ctx.old.doc, old_servers, ctx.new.doc, new_servers, strip=True):
        ctx.add(
            "spec.servers-changed",
            "/servers" if old_servers else "",
            "/servers" if new_servers else "",
            "the servers list changed: clients configured with a server URL may call the wrong host.",
            subject="servers",
        )
    elif old_servers != new_servers:
        ctx.add("docs.changed", "/servers", "/servers", "server descriptions changed.", subject="servers")
    ctx.docs("", "", {"tags"})
    ctx.leftover("", "", _TOP_HANDLED)


def _paths(ctx: Context, old: ContractModel, new: ContractModel) -> list[tuple[Operation, Operation]]:
    old_ops = {operation_key(o): o for o in old.operations}
    new_ops = {operation_key(o): o for o in new.operations}
    pairs = []
    for key, o in old_ops.items():
        n = new_ops.get(key)
        if n is not None:
            pairs.append((o, n))
            continue
        path_item = child("/paths", o.path)
        parent = path_item if ctx.new.doc.node(path_item) is not None else "/paths"
        with ctx.on(o.label):
            ctx.removed(
                "request.operation.removed",
                o.pointer,
                parent,
                f"{o.label} is gone: clients that call it get 404 or 405.",
                o.label,
            )
    for key, n in new_ops.items():
        if key not in old_ops:
            path_item = child("/paths", n.path)
            parent = path_item if ctx.old.doc.node(path_item) is not None else "/paths"
            with ctx.on(n.label):
                ctx.add("request.operation.added", parent, n.pointer, f"{n.label} is new.", subject=n.label)
    return pairs


def _hidden(changes: list[Change]) -> list[Change]:
    drop: set[tuple[str, str, str]] = set()
    for c in changes:
        for table in (_HIDES, _HIDES_TOO):
            if c.rule in table:
                rule, subject = table[c.rule]
                for op in c.operations:
                    drop.add((rule, subject or c.subject, op))
    return [
        c
        for c in changes
        if not c.operations or not all((c.rule, c.subject, op) in drop for op in c.operations)
    ]


def compare_models(ctx: Context, old: ContractModel, new: ContractModel) -> list[Change]:
    """Every change from ``old`` to ``new``, in the order found (reports sort them)."""
    _top(ctx)
    compare_schemes(ctx)
    for o, n in _paths(ctx, old, new):
        compare_operation(ctx, o, n)
        compare_rules(ctx, old, new, o, n)
    for path in sorted({o.path for o, _ in _paths_seen(old, new)}):
        o_item, n_item = child("/paths", path), child("/paths", path)
        ctx.docs(o_item, n_item, {"summary", "description", "x-chatgate-assumption"})
    return _hidden(ctx.changes)


def _paths_seen(old: ContractModel, new: ContractModel) -> list[tuple[Operation, Operation]]:
    new_paths = {n.path for n in new.operations}
    return [(o, o) for o in old.operations if o.path in new_paths]
