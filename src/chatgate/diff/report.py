"""How a :class:`DiffResult` is shown: terminal lines, ``summary.md`` (a PR comment or CI job summary)
and ``summary.json`` (schema ``chatgate/schemas/diff.summary.schema.json``). Pure functions, no I/O;
:func:`render_reports` gathers every file by name (SARIF too) for the command to publish::

    {"schema_version": 1, "verdict": "breaking", "exit_code": 1, "old": "git:origin/main", "new": "specs",
     "counts": {"breaking": 1, ...}, "failing": 1, "accepted": 0, "allow_major": false,
     "specs": [{"spec", "old_file", "new_file", "old_version", "new_version"}],
     "changes": [{"fingerprint", "rule", "class", "spec", "pointer", "subject", "message", "operations",
                  "old": {"file", "pointer", "line"} | null, "new": {...} | null, "accepted": null}],
     "stale_accepts": [...], "seconds"}
"""

from __future__ import annotations

import json
from typing import Any

from chatgate.diff.model import CLASSES, Change, DiffResult, Side
from chatgate.diff.sarif import render_sarif

__all__ = ["SCHEMA_VERSION", "headline", "render_markdown", "render_reports", "summary", "terminal_lines"]

SCHEMA_VERSION = 1
_ICON = {"breaking": "❌", "warning": "⚠️", "non-breaking": "✅", "docs-only": "📝"}


def headline(result: DiffResult) -> str:
    counts = ", ".join(f"{result.count(c)} {c}" for c in CLASSES)
    accepted = f" ({len(result.accepted)} accepted)" if result.accepted else ""
    return f"diff: {result.verdict.upper()}: {counts}{accepted}; {result.old} -> {result.new}"


def _side(side: Side | None) -> dict[str, Any] | None:
    return None if side is None else {"file": side.file, "pointer": side.pointer, "line": side.line}


def _change(c: Change) -> dict[str, Any]:
    return {
        "fingerprint": c.fingerprint,
        "rule": c.rule,
        "class": c.cls,
        "spec": c.spec,
        "pointer": c.pointer,
        "subject": c.subject,
        "message": c.message,
        "operations": list(c.operations),
        "old": _side(c.old),
        "new": _side(c.new),
        "accepted": c.accepted,
    }


def summary(result: DiffResult) -> dict[str, Any]:
    """The ``summary.json`` document."""
    return {
        "schema_version": SCHEMA_VERSION,
        "verdict": result.verdict,
        "exit_code": result.exit_code,
        "old": result.old,
        "new": result.new,
        "counts": {c: result.count(c) for c in CLASSES},
        "failing": len(result.failing),
        "accepted": len(result.accepted),
        "allow_major": result.allow_major,
        "accept_file": result.accept_file,
        "specs": [
            {
                "spec": p.spec,
                "old_file": p.old_file,
                "new_file": p.new_file,
                "old_version": p.old_version,
                "new_version": p.new_version,
            }
            for p in result.pairs
        ],
        "changes": [_change(c) for c in result.changes],
        "stale_accepts": [
            {"fingerprint": e.fingerprint, "rule": e.rule, "spec": e.spec, "note": e.note}
            for e in result.stale
        ],
        "seconds": round(result.seconds, 3),
    }


def terminal_lines(result: DiffResult) -> list[str]:
    """One line per change (the NEW side's place, else OLD's), then the verdict."""
    lines = []
    for c in result.changes:
        where = (c.new or c.old).where if (c.new or c.old) else c.spec  # type: ignore[union-attr]
        tag = f"{c.cls}, accepted" if c.accepted else c.cls
        lines.append(f"{where}: {tag}: [{c.rule}] {c.message}")
    for e in result.stale:
        lines.append(f"stale accept-list entry {e.fingerprint} [{e.rule}] {e.spec} {e.pointer}")
    lines.append(headline(result))
    return lines


def _row(c: Change) -> str:
    ops = ", ".join(f"`{o}`" for o in c.operations) or "—"
    old = c.old.where if c.old else "—"
    new = c.new.where if c.new else "—"
    note = f" *(accepted: {c.accepted})*" if c.accepted else ""
    text = c.message.replace("|", "\\|")
    cells = [
        f"{_ICON[c.cls]} {c.cls}",
        f"`{c.rule}`",
        ops,
        text + note,
        f"`{old}`",
        f"`{new}`",
        f"`{c.fingerprint}`",
    ]
    return "| " + " | ".join(cells) + " |"


def render_markdown(result: DiffResult) -> str:
    """``summary.md``: the verdict, then every change, breaking ones first."""
    ok = result.exit_code == 0
    title = {
        "breaking": "breaking changes",
        "accepted": "breaking changes, all accepted",
        "compatible": "compatible",
        "docs-only": "docs-only changes",
        "identical": "no change",
    }[result.verdict]
    lines = [
        f"## {'✅' if ok else '❌'} chatgate diff: {title}",
        "",
        f"`{result.old}` → `{result.new}` · " + " · ".join(f"**{result.count(c)}** {c}" for c in CLASSES),
        "",
    ]
    for p in result.pairs:
        if p.old_version != p.new_version and p.old_version and p.new_version:
            lines.append(f"- `{p.spec}`: version {p.old_version} → {p.new_version}")
    if result.changes:
        lines += [
            "",
            "| class | rule | operation | what it means for clients | OLD | NEW | fingerprint |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            *(_row(c) for c in result.changes),
        ]
    if result.stale:
        lines += [
            "",
            f"{len(result.stale)} accept-list entr{'y' if len(result.stale) == 1 else 'ies'} matched "
            "no change (stale): " + ", ".join(f"`{e.fingerprint}`" for e in result.stale),
        ]
    if result.failing:
        lines += [
            "",
            "To ship a breaking change on purpose: bump `info.version`'s major and pass "
            "`--allow-major`, or list its fingerprint in an accept list (`--accept FILE`).",
        ]
    return "\n".join(lines) + "\n"


def render_reports(result: DiffResult) -> dict[str, str]:
    """Every report file by name."""
    return {
        "summary.md": render_markdown(result),
        "diff.sarif": render_sarif(result),
        "summary.json": json.dumps(summary(result), indent=2, ensure_ascii=False) + "\n",
    }
