"""``run_diff``: read OLD and NEW, build each spec's model, compare every pair, apply ``--allow-major``
and the accept list. Returns a :class:`DiffResult`; writes no report."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

from chatgate.contract_model import ContractModel, build_model
from chatgate.diff.accept import apply_accept, load_accept
from chatgate.diff.compare import compare_models
from chatgate.diff.context import Context, SideDoc
from chatgate.diff.model import CLASSES, AcceptEntry, Change, DiffResult, PairResult, Side
from chatgate.diff.sources import SpecFile, open_specs, pair_files
from chatgate.errors import SpecError

__all__ = ["diff_files", "order", "run_diff"]


def _model(f: SpecFile) -> ContractModel:
    """The model of one spec; an unreadable one is a SpecError naming it as reports do (git:REV:path)."""
    try:
        return build_model(f.name.split(".")[0], f.path)
    except SpecError as exc:
        raise SpecError(str(exc).replace(str(f.path), f.label)) from None


def order(changes: list[Change]) -> tuple[Change, ...]:
    """Breaking first, then warnings, non-breaking and docs-only; within a class, by operation and place."""
    return tuple(
        sorted(changes, key=lambda c: (CLASSES.index(c.cls), c.operations[:1], c.pointer, c.subject))
    )


def _whole(name: str, old: SpecFile | None, new: SpecFile | None) -> PairResult:
    """A spec on one side only."""
    if new is None and old is not None:
        side = Side(old.label, "", 1, old.in_tree)
        change = Change(
            "spec.removed",
            "breaking",
            name,
            "",
            f"{old.label} is gone: its API is no longer described.",
            side,
            None,
            subject=name,
        )
        return PairResult(name, old.label, None, _model(old).version, None, (change,))
    assert new is not None
    side = Side(new.label, "", 1, new.in_tree)
    change = Change("spec.added", "non-breaking", name, "", f"{new.label} is new.", None, side, subject=name)
    return PairResult(name, None, new.label, None, _model(new).version, (change,))


def diff_files(name: str, old: SpecFile | None, new: SpecFile | None) -> PairResult:
    """Every change between two specs (one of them None: the spec was added or removed)."""
    if old is None or new is None:
        return _whole(name, old, new)
    om, nm = _model(old), _model(new)
    ctx = Context(name, SideDoc(om.doc, old.label, old.in_tree), SideDoc(nm.doc, new.label, new.in_tree))
    changes = compare_models(ctx, om, nm)
    return PairResult(name, old.label, new.label, om.version, nm.version, order(changes))


def _major(pair: PairResult) -> PairResult:
    why = f"major version bumped ({pair.old_version} -> {pair.new_version}; --allow-major)"
    changes = [
        dataclasses.replace(c, accepted=why) if c.cls == "breaking" and c.accepted is None else c
        for c in pair.changes
    ]
    return dataclasses.replace(pair, changes=tuple(changes))


def run_diff(
    old: str, new: str, *, allow_major: bool = False, accept: Path | None = None, cwd: Path | None = None
) -> DiffResult:
    """Compare OLD and NEW (files, folders or git:REV[:PATH]). Raises UsageError/SpecError (exit 2)."""
    started = time.monotonic()
    entries = load_accept(accept) if accept is not None and accept.exists() else []
    with tempfile.TemporaryDirectory(prefix="chatgate-diff-") as scratch:
        old_set = open_specs(old, Path(scratch) / "old", "OLD", cwd)
        new_set = open_specs(new, Path(scratch) / "new", "NEW", cwd)
        pairs = [diff_files(name, a, b) for name, a, b in pair_files(old_set, new_set)]
    if allow_major:
        pairs = [_major(p) if p.major_bump else p for p in pairs]
    stale: list[AcceptEntry] = []
    if entries:
        done, unused = [], {e.fingerprint for e in entries}
        for p in pairs:
            changes, stale_here = apply_accept(p.changes, entries)
            unused &= {e.fingerprint for e in stale_here}
            done.append(dataclasses.replace(p, changes=tuple(changes)))
        pairs, stale = done, [e for e in entries if e.fingerprint in unused]
    return DiffResult(
        old,
        new,
        tuple(pairs),
        allow_major,
        str(accept) if accept else None,
        tuple(stale),
        time.monotonic() - started,
    )
