"""``findings.sarif``: the findings in SARIF 2.1.0, so code scanning shows them on the spec's lines.

One rule per check; one result per finding (per defect: its ``ruleId`` is the primary check, the checks
that agreed on it are listed in its message and properties), located at the spec file (relative to the
user's repository, ``%SRCROOT%``) and the operation's line, with the line of the violated schema keyword
or ``x-chatgate-*`` rule (a grammar finding: the grammar) as a related location where known.
``partialFingerprints`` carry the gate's fingerprint, so a finding keeps its identity across runs;
``baselineState`` says whether the baseline knew it (``unchanged``) or not (``new``).
"""

from __future__ import annotations

import json
from typing import Any

from chatgate import __version__
from chatgate.gate.catalogue import describe
from chatgate.gate.model import Finding, SpecLocation
from chatgate.gate.reproduce import curls
from chatgate.gate.result import GateResult

__all__ = ["SARIF_SCHEMA_URI", "render_sarif"]

SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


def _physical(where: SpecLocation, line: int) -> dict[str, Any]:
    if not where.in_tree:  # git:REV:path: no line in a file that is not in the working tree
        return {"physicalLocation": {"artifactLocation": {"uri": where.file}}}
    artifact: dict[str, Any] = {"uri": where.file}
    if where.relative:
        artifact["uriBaseId"] = "%SRCROOT%"
    else:
        artifact["uri"] = "file://" + where.file
    return {"physicalLocation": {"artifactLocation": artifact, "region": {"startLine": line}}}


def _result(result: GateResult, f: Finding, rules: list[str]) -> dict[str, Any]:
    new = result.is_new(f)
    commands = curls(f)
    seen = f"seen in {f.occurrences} of {result.judged(f)} judged"
    text = f"{f.title} ({f.api} {f.operation}; {seen})\n{f.message}"
    if f.agreeing:
        text += "\nAlso seen, as the same defect, by: " + "; ".join(
            f"{a.check} ({a.title})" for a in f.agreeing
        )
    if commands:
        text += f"\nReproduce: {commands[0]}"
    out: dict[str, Any] = {
        "ruleId": f.check,
        "ruleIndex": rules.index(f.check),
        "level": "error" if new else "note",
        "baselineState": "new" if new else "unchanged",
        "message": {"text": text},
        "partialFingerprints": {"chatgateFingerprint/v1": f.fingerprint},
        "properties": {
            "api": f.api,
            "operation": f.operation,
            "occurrences": f.occurrences,
            "judged": result.judged(f),
            "intermittent": f.intermittent,
            "agreeing": [a.check for a in f.agreeing],
        },
    }
    where = result.locations.get(f.fingerprint)
    if where is not None:
        out["locations"] = [_physical(where, where.line)]
        if where.schema_line:
            related = _physical(where, where.schema_line)
            what = "the violated rule" if "/x-chatgate-" in (f.spec_pointer or "") else "the violated schema"
            related.update({"id": 1, "message": {"text": f"{what} ({f.spec_pointer})"}})
            out["relatedLocations"] = [related]
    return out


def render_sarif(result: GateResult) -> str:
    rules = sorted({f.check for f in result.findings})
    doc = {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "chatgate",
                        "version": __version__,
                        "informationUri": "https://github.com/chatgate/chatgate",
                        "rules": [
                            {"id": r, "name": r, "shortDescription": {"text": describe(r)}} for r in rules
                        ],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the repository checked out"}}},
                "results": [_result(result, f, rules) for f in result.findings],
                # the embedded reference server (no target given) is said in every report
                "properties": {"targets": dict(result.targets), "embedded": result.embedded},
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
