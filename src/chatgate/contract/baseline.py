"""Known findings, so CI fails only on new ones.

A baseline is a JSON file listing findings by their stable fingerprint (API, operation, check and
title; never generated values)::

    {"version": 1, "findings": [{"fingerprint": "3f2a...", "api": "nara", "operation": "GET ...",
                                 "check": "pagination", "title": "pages overlap"}]}

``chatgate contract --baseline FILE`` marks the findings it lists as known (reported, not failing);
``--update-baseline`` rewrites FILE with the findings of this run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from chatgate.contract.findings import Finding
from chatgate.errors import UsageError

__all__ = ["load_baseline", "write_baseline"]


def load_baseline(path: Path) -> set[str]:
    """The fingerprints a baseline file lists (UsageError when it is missing or malformed)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: baseline file not found (create it with --update-baseline)") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: baseline is not valid JSON: {exc.msg}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: baseline is not valid JSON: not UTF-8 text") from None
    findings = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(findings, list) or not all(
        isinstance(f, dict) and isinstance(f.get("fingerprint"), str) for f in findings
    ):
        raise UsageError(
            f"{path}: not a chatgate baseline (expected {{'findings': [{{'fingerprint': ...}}]}})"
        )
    return {f["fingerprint"] for f in findings}


def write_baseline(path: Path, findings: Iterable[Finding]) -> None:
    entries = [
        {
            "fingerprint": f.fingerprint,
            "api": f.api,
            "operation": f.operation,
            "check": f.check,
            "title": f.title,
        }
        for f in sorted(findings, key=lambda f: (f.api, f.operation, f.check, f.title))
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "findings": entries}, indent=2) + "\n", encoding="utf-8")
