"""GitHub Actions annotations (workflow commands) for the findings, printed under ``GITHUB_ACTIONS=true``.

    ::error file=specs/nara.openapi.yaml,line=142,title=pagination: pages overlap::nara GET ...

New findings are errors, known ones (baseline) warnings. GitHub shows at most 10 error and 10 warning
annotations per step (actions/toolkit, docs/problem-matchers.md, "Limitations"); past that, the first 9
of a kind are shown and the 10th is one summary annotation pointing at the reports.
"""

from __future__ import annotations

from chatgate.annotations import escape_data, escape_property
from chatgate.gate.model import Finding
from chatgate.gate.result import GateResult

__all__ = ["PER_STEP_LIMIT", "render_annotations"]

PER_STEP_LIMIT = 10


def _line(result: GateResult, kind: str, f: Finding) -> str:
    props = [f"title={escape_property(f'{f.check}: {f.title}')}"]
    where = result.locations.get(f.fingerprint)
    text = f"{f.api} {f.operation}: {f.message[:800]}"
    if where is not None and not where.in_tree:  # git:REV:path: named in the text, no file or line
        text = f"{where.file}: {text}"
    elif where is not None:
        props = [f"file={escape_property(where.file)}", f"line={where.schema_line or where.line}", *props]
    return f"::{kind} {','.join(props)}::{escape_data(text)}"


def _kind(result: GateResult, kind: str, findings: tuple[Finding, ...], report: str) -> list[str]:
    if len(findings) <= PER_STEP_LIMIT:
        return [_line(result, kind, f) for f in findings]
    shown = [_line(result, kind, f) for f in findings[: PER_STEP_LIMIT - 1]]
    rest = len(findings) - (PER_STEP_LIMIT - 1)
    what = "new" if kind == "error" else "known"
    title = escape_property(f"chatgate contract: {rest} more {what} finding(s)")
    return [
        *shown,
        f"::{kind} title={title}::"
        + escape_data(f"{rest} more {what} finding(s) not shown here: see {report}"),
    ]


def render_annotations(result: GateResult, report: str = "reports/contract/summary.md") -> list[str]:
    """The workflow-command lines, within GitHub's per-step limits."""
    return _kind(result, "error", result.new_findings, report) + _kind(
        result, "warning", result.known_findings, report
    )
