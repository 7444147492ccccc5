"""Known findings, so CI fails only on new ones, and a baseline that ratchets.

A baseline (version 2) lists findings by fingerprint (API, operation, check and the violation's
signature; never generated values), each with a free-text ``note`` (e.g. a ticket) kept on update::

    {"version": 2, "findings": [{"fingerprint": "3f2a...", "api": "nara", "operation": "GET ...",
      "check": "pagination", "title": "pages overlap", "signature": "pages overlap", "note": "JIRA-12"}]}

Against a run, every finding is **new** or **known**, and every entry the run could have seen (its API,
operation and check were in scope) but did not is **stale**. ``--update-baseline`` rewrites the file:
this run's findings (notes kept), stale entries dropped, entries outside the run's scope kept.

A finding several checks agreed on (one defect) matches an entry written for any of them, so a baseline
written before findings were grouped does not go stale by the grouping alone.

Version 1 files (written before signatures) still load: their entries are matched on the old key (API,
operation, check, title) and rewritten in version 2 on ``--update-baseline``.

``--update-baseline`` also records the run's spec coverage (``coverage``: per API and kind the items
covered of those in scope, and the items never exercised; :meth:`chatgate.gate.coverage.Coverage.record`),
so a later run shows the change. A file without it (older, or hand-written) loads as before; so does one
from a run that was not complete (then the previous record, if any, is kept).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatgate.errors import UsageError
from chatgate.gate.model import Finding, legacy_fingerprint_of

__all__ = ["Baseline", "BaselineComparison", "BaselineEntry", "compare", "load_baseline", "render_baseline"]

VERSION = 2


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    fingerprint: str
    api: str
    operation: str
    check: str
    title: str
    signature: str | None = None  # None: a version 1 entry, matched on its old key (title)
    note: str = ""

    def matches(self, finding: Finding) -> bool:
        """Whether this entry names ``finding``: its primary check's fingerprint, or an agreeing check's
        (an entry written before findings were grouped still matches the defect it named)."""
        if self.signature is None:
            legacy = {
                legacy_fingerprint_of(finding.api, finding.operation, a.check, a.title)
                for a in finding.agreeing
            }
            return self.fingerprint in {finding.legacy_fingerprint, *legacy}
        return self.fingerprint in finding.fingerprints

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "fingerprint": self.fingerprint,
            "api": self.api,
            "operation": self.operation,
            "check": self.check,
            "title": self.title,
        }
        if self.signature is not None:
            out["signature"] = self.signature
        else:
            out["key"] = "title"  # a version 1 entry outside this run's scope, kept as it was
        out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True)
class Baseline:
    path: Path
    version: int
    entries: tuple[BaselineEntry, ...]
    coverage: Mapping[str, Any] | None = None  # the recorded run's coverage (None: the file has none)


@dataclass(frozen=True, slots=True)
class BaselineComparison:
    """A run against a baseline: which findings it knows, and which of its entries went stale."""

    path: Path
    version: int
    known: frozenset[str]  # fingerprints of this run's findings the baseline lists
    stale: tuple[BaselineEntry, ...]
    notes: Mapping[str, str]  # finding fingerprint -> the entry's note


def _entry(raw: Mapping[str, Any], version: int) -> BaselineEntry:
    signature = raw.get("signature") if version >= 2 and raw.get("key") != "title" else None
    return BaselineEntry(
        fingerprint=str(raw["fingerprint"]),
        api=str(raw.get("api", "")),
        operation=str(raw.get("operation", "")),
        check=str(raw.get("check", "")),
        title=str(raw.get("title", "")),
        signature=str(signature) if signature is not None else None,
        note=str(raw.get("note", "")),
    )


def load_baseline(path: Path) -> Baseline:
    """Read a baseline file of version 1 or 2 (UsageError when it is missing or malformed)."""
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
    version = data.get("version", 1)
    if version not in (1, 2):
        raise UsageError(f"{path}: baseline version {version!r} is not supported (1 or 2)")
    coverage = data.get("coverage")
    if coverage is not None and not (isinstance(coverage, dict) and isinstance(coverage.get("share"), dict)):
        raise UsageError(
            f"{path}: its coverage record is not one chatgate writes (expected {{'share': ...}})"
        )
    return Baseline(path, int(version), tuple(_entry(f, int(version)) for f in findings), coverage)


def compare(
    baseline: Baseline, findings: Iterable[Finding], in_scope: Callable[[BaselineEntry], bool]
) -> BaselineComparison:
    """Known findings, and stale entries: entries in scope that no finding of this run matches."""
    known: set[str] = set()
    notes: dict[str, str] = {}
    seen: set[int] = set()
    for finding in findings:
        for i, entry in enumerate(baseline.entries):
            if entry.matches(finding):
                known.add(finding.fingerprint)
                seen.add(i)
                if entry.note:
                    notes[finding.fingerprint] = entry.note
    stale = tuple(e for i, e in enumerate(baseline.entries) if i not in seen and in_scope(e))
    return BaselineComparison(baseline.path, baseline.version, frozenset(known), stale, notes)


def render_baseline(
    findings: Iterable[Finding],
    previous: Baseline | None,
    in_scope: Callable[[BaselineEntry], bool],
    coverage: Mapping[str, Any] | None = None,
) -> str:
    """The updated baseline (version 2): this run's findings with their notes, stale entries dropped,
    entries outside this run's scope kept; ``coverage``: the run's coverage record (else the previous
    one is kept)."""
    findings = list(findings)
    entries: list[BaselineEntry] = []
    for f in sorted(findings, key=lambda f: (f.api, f.operation, f.check, f.signature)):
        note = next((e.note for e in previous.entries if e.matches(f)), "") if previous else ""
        entries.append(BaselineEntry(f.fingerprint, f.api, f.operation, f.check, f.title, f.signature, note))
    if previous is not None:
        entries += [
            e for e in previous.entries if not in_scope(e) and not any(e.matches(f) for f in findings)
        ]
    out: dict[str, Any] = {"version": VERSION, "findings": [e.to_dict() for e in entries]}
    kept = coverage if coverage is not None else previous.coverage if previous is not None else None
    if kept is not None:
        out["coverage"] = dict(kept)
    return json.dumps(out, indent=2) + "\n"
