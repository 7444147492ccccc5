"""``diff.sarif``: the breaking changes and warnings in SARIF 2.1.0, on the NEW spec's lines.

One rule per rule id of the catalogue that fired; one result per breaking change (``error``, or ``note``
once accepted) and per warning (``warning``). A change located in a file of the working tree points at
its line (relative to ``%SRCROOT%``, the repository checked out); a change in a spec read from a git
revision names ``git:REV:path`` and no line (that file is not in the working tree). A removed item
points at its parent in NEW. ``partialFingerprints`` carry the change's fingerprint.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from chatgate import __version__
from chatgate.diff.catalogue import rule
from chatgate.diff.model import BREAKING, WARNING, Change, DiffResult, Side

__all__ = ["SARIF_SCHEMA_URI", "render_sarif"]

SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


def _location(side: Side) -> dict[str, Any]:
    if not side.in_tree:
        return {"physicalLocation": {"artifactLocation": {"uri": side.file}}}
    artifact: dict[str, Any] = {"uri": side.file}
    if PurePosixPath(side.file).is_absolute():
        artifact["uri"] = "file://" + side.file
    else:
        artifact["uriBaseId"] = "%SRCROOT%"
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if side.line:
        physical["region"] = {"startLine": side.line}
    return {"physicalLocation": physical}


def _level(c: Change) -> str:
    if c.cls == BREAKING:
        return "note" if c.accepted else "error"
    return "warning"


def _result(c: Change, ids: list[str]) -> dict[str, Any]:
    text = c.message + (f" (accepted: {c.accepted})" if c.accepted else "")
    if c.operations:
        text += f" [{', '.join(c.operations)}]"
    out: dict[str, Any] = {
        "ruleId": c.rule,
        "ruleIndex": ids.index(c.rule),
        "level": _level(c),
        "message": {"text": text},
        "partialFingerprints": {"chatgateDiff/v1": c.fingerprint},
        "properties": {"class": c.cls, "pointer": c.pointer, "spec": c.spec},
    }
    side = c.new or c.old
    if side is not None:
        out["locations"] = [_location(side)]
    if c.old is not None and c.new is not None:
        related = _location(c.old)
        related.update({"id": 1, "message": {"text": f"in OLD ({c.old.pointer})"}})
        out["relatedLocations"] = [related]
    return out


def render_sarif(result: DiffResult) -> str:
    shown = [c for c in result.changes if c.cls in (BREAKING, WARNING)]
    ids = sorted({c.rule for c in shown})
    doc = {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "chatgate diff",
                        "version": __version__,
                        "informationUri": "https://github.com/chatgate/chatgate",
                        "rules": [
                            {
                                "id": r,
                                "name": r,
                                "shortDescription": {"text": rule(r).what},
                                "properties": {"class": rule(r).cls},
                            }
                            for r in ids
                        ],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the repository checked out"}}},
                "results": [_result(c, ids) for c in shown],
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
