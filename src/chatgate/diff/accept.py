"""Breaking changes accepted on purpose: an accept-list file, like the gate's baseline.

Version 1 lists changes by fingerprint (as reports print it; stable for the same two specs), each with
the rule, spec and pointer it was written for, and a free-text ``note`` kept on update::

    {"version": 1, "accept": [{"fingerprint": "3f2a...", "rule": "request.parameter.required-added",
      "spec": "nara.openapi.yaml", "pointer": "/paths/...", "note": "agreed with integrators, JIRA-12"}]}

An entry that matches no change of a run is stale (listed in the reports, never failing).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from chatgate.diff.model import AcceptEntry, Change
from chatgate.errors import UsageError

__all__ = ["apply_accept", "load_accept", "render_accept"]

VERSION = 1


def load_accept(path: Path) -> list[AcceptEntry]:
    """The entries of an accept-list file; UsageError (exit 2) naming the file when it is unreadable."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the accept list: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not an accept list (JSON): {exc}") from None
    if not isinstance(doc, dict) or doc.get("version") != VERSION or not isinstance(doc.get("accept"), list):
        raise UsageError(f'{path}: not an accept list: expected {{"version": 1, "accept": [...]}}')
    out = []
    for i, raw in enumerate(doc["accept"]):
        if not isinstance(raw, dict) or not isinstance(raw.get("fingerprint"), str):
            raise UsageError(f"{path}: accept[{i}] needs a fingerprint (as summary.md prints it)")
        out.append(
            AcceptEntry(
                raw["fingerprint"],
                str(raw.get("rule", "")),
                str(raw.get("spec", "")),
                str(raw.get("pointer", "")),
                str(raw.get("note", "")),
            )
        )
    return out


def apply_accept(
    changes: Iterable[Change], entries: list[AcceptEntry]
) -> tuple[list[Change], list[AcceptEntry]]:
    """The changes with the breaking ones the list names accepted, and the entries that matched none."""
    by_print = {e.fingerprint: e for e in entries}
    used: set[str] = set()
    out = []
    for c in changes:
        e = by_print.get(c.fingerprint)
        if e is not None and c.accepted is None and c.cls == "breaking":
            used.add(e.fingerprint)
            c = dataclasses.replace(c, accepted=f"accept list: {e.note}" if e.note else "accept list")
        elif e is not None:
            used.add(e.fingerprint)
        out.append(c)
    return out, [e for e in entries if e.fingerprint not in used]


def render_accept(changes: Iterable[Change], previous: list[AcceptEntry]) -> str:
    """An accept list of every breaking change of this run (notes of known entries kept)."""
    notes = {e.fingerprint: e.note for e in previous}
    accept: list[dict[str, Any]] = [
        {
            "fingerprint": c.fingerprint,
            "rule": c.rule,
            "spec": c.spec,
            "pointer": c.pointer,
            "note": notes.get(c.fingerprint, ""),
        }
        for c in changes
        if c.cls == "breaking"
    ]
    return json.dumps({"version": VERSION, "accept": accept}, indent=2) + "\n"
