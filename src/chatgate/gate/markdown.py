"""``summary.md``: the verdict for a CI job summary, readable at a glance.

A headline (verdict, requests and writes per API, findings new / known / stale), then each finding (one
per defect: the checks that agreed on it, seen in k of n, the spec lines, the exact request the check
sent and what came back, up to three reproducing commands), then one row per check with its status
(passed with n cases, failed, not run and why), then the run's spec coverage (shares per API and kind, a
table per operation, never-exercised items first).
"""

from __future__ import annotations

from chatgate.gate.coverage import KINDS
from chatgate.gate.coverage_report import newly_never, share_rows, tables
from chatgate.gate.model import Finding
from chatgate.gate.reproduce import curls
from chatgate.gate.result import GateResult
from chatgate.targets import EMBEDDED_BANNER

__all__ = ["render_markdown", "seen"]

_STATUS = {"passed": "✅ passed", "failed": "❌ failed", "not_run": "⏭️ not run"}


def _specs(result: GateResult) -> str:
    """The specs the run used: each file and its info.version."""
    return ", ".join(f"`{s['file']}` {s['version']}" for s in result.specs) or "not named"


def _verdict(result: GateResult) -> tuple[str, str]:
    """The headline's icon and words; with --update-baseline what it recorded, never "conforms"."""
    if result.baseline_updated:
        return "📝", f"baseline updated, {len(result.findings)} finding(s) recorded as known"
    if result.judged_nothing:
        return "❌", "judged nothing"
    if result.exit_code == 0:
        return "✅", "conforms"
    if result.coverage_shortfalls and not result.new_findings:
        return "❌", "coverage below --min-coverage"
    return "❌", "contract broken" if result.new_findings else "could not be tested in time"


def _headline(result: GateResult) -> list[str]:
    stale = len(result.baseline.stale) if result.baseline else 0
    traffic = " · ".join(
        f"{api}: {t.requests} requests, {t.writes} messages created" for api, t in result.traffic.items()
    )
    icon, verdict = _verdict(result)
    lines = [
        f"## {icon} chatgate contract: {verdict}",
        "",
        f"APIs: {', '.join(f'{a} ({u})' for a, u in result.targets.items())} · specs: {_specs(result)} · "
        f"seed {result.seed} · "
        f"max examples {result.max_examples} · {result.settings.get('concurrency')} in flight · "
        f"{result.seconds:.1f}s",
        "",
        f"**{len(result.new_findings)}** new finding(s) · {len(result.known_findings)} known · "
        f"{stale} stale baseline entr{'y' if stale == 1 else 'ies'} · {traffic}",
        "",
    ]
    if result.embedded:
        lines += [f"> **{EMBEDDED_BANNER}**: this run judged chatgate's own server, not a deployment.", ""]
    if result.judged_nothing:
        lines += [f"> **Judged nothing** (exit 2): {result.judged_nothing}", ""]
    if not result.complete:
        lines += [
            f"> **Incomplete:** --max-time reached; {len(result.record.incomplete)} test(s) did not end.",
            "",
        ]
    tls = result.settings.get("tls")
    if isinstance(tls, dict) and tls.get("verify") is False:
        lines += ["> **Warning:** `--no-tls-verify`: the target's TLS certificate was not verified.", ""]
    notes: dict[str, int] = {}
    for (kind, *_), count in result.record.notes.items():
        notes[kind] = notes.get(kind, 0) + count
    if notes:
        lines += [
            "Transport: " + " · ".join(f"{k.replace('_', ' ')} {n}" for k, n in sorted(notes.items())),
            "",
        ]
    return lines


def _check_rows(result: GateResult) -> list[str]:
    lines = ["| Check | Status | Cases judged | Failed | Why not run |", "| --- | --- | ---: | ---: | --- |"]
    for name, v in result.checks.items():
        status = _STATUS[v.status]
        if v.status == "failed" and not any(result.is_new(f) for f in result.findings if f.check == name):
            status = "⚠️ failed (known)"
        lines.append(f"| {name} | {status} | {v.cases} | {v.failures} | {v.not_run_reason or ''} |")
    return lines


def seen(result: GateResult, f: Finding) -> str:
    """ "seen in k of n responses" (and whether a replay of the same request passed)."""
    n = result.judged(f)
    text = f"seen in {f.occurrences} of {n} judged" if n >= f.occurrences else f"seen {f.occurrences}×"
    return text + (" · **intermittent** (a replay of the same request passed)" if f.intermittent else "")


def _places(result: GateResult, f: Finding) -> str:
    where = result.locations.get(f.fingerprint)
    if where is None:
        return ""
    out = f" · operation `{where.file}:{where.line}`"
    return out + (f" · violated `{where.file}:{where.schema_line}`" if where.schema_line else "")


def _request(f: Finding) -> list[str]:
    if not f.examples:
        return []
    e = f.examples[0]
    lines = ["The request the check sent (first example):", "", "```http", f"{e.method} {e.url}"]
    lines += [f"{k}: {v}" for k, v in e.headers]
    if e.body:
        lines += ["", e.body[:1500]]
    lines += ["```", ""]
    if e.response:
        kind = f" ({e.status} {e.response_type})" if e.status else ""
        lines += [f"What came back{kind}:", "", "```text", e.response.strip()[:1500], "```", ""]
    return lines


def _finding(result: GateResult, f: Finding) -> list[str]:
    tag = "explained" if f.fingerprint in result.explained else "NEW" if result.is_new(f) else "known"
    note = (result.baseline.notes.get(f.fingerprint) if result.baseline else None) or result.explained.get(
        f.fingerprint
    )
    lines = [
        f"#### [{tag}] {f.api} `{f.operation}` · {f.check}: {f.title}",
        "",
        f"fingerprint `{f.fingerprint}` · {seen(result, f)}{_places(result, f)}"
        + (f" · note: {note}" if note else ""),
        "",
    ]
    if f.agreeing:
        lines += [
            "Also seen, as the same defect, by: " + "; ".join(f"{a.check} ({a.title})" for a in f.agreeing),
            "",
        ]
    lines += ["```text", f.message.strip()[:1500], "```", "", *_request(f)]
    commands = curls(f)
    if not commands:
        return [*lines, "(no single request reproduces it; see the message)", ""]
    how = "set the key variables, run from the report directory"
    lines += [f"Reproduce ({len(commands)} example(s); {how}):", "", "```sh"]
    return [*lines, *commands, "```", ""]


_TABLE_HEAD = "| Kind | Item | Seen | Judged | State | Why / judged by |"
_ICON = {
    "never": "⛔ never",
    "undocumented": "⚠️ undocumented",
    "excluded": "⏭️ excluded",
    "covered": "✅ covered",
}


def _coverage(result: GateResult) -> list[str]:
    """Shares per API (and the change since the baseline), what fell below a floor, then a table per
    operation with its never-exercised items first."""
    lines = [
        "### Coverage",
        "",
        "What this run exercised of the specs, and what it never tested (docs/coverage.md).",
        "",
    ]
    lines += ["| API | " + " | ".join(KINDS) + " |", "| --- |" + " --- |" * len(KINDS)]
    lines += [f"| {api} | " + " | ".join(cells) + " |" for api, cells in share_rows(result)]
    lines.append("")
    dropped = newly_never(result)
    if dropped:
        lines += [f"**Never exercised now, not so in the baseline's record** ({len(dropped)}):", ""]
        lines += [f"- {d}" for d in dropped[:20]] + (
            [f"- and {len(dropped) - 20} more"] if len(dropped) > 20 else []
        )
        lines.append("")
    if result.coverage_shortfalls:
        lines += ["**Below --min-coverage** (exit 1; not a finding):", ""]
        lines += [f"- {s}" for s in result.coverage_shortfalls] + [""]
    elif result.coverage_floors and not result.complete:
        lines += ["--min-coverage was not judged: the run did not complete.", ""]
    for t in tables(result.coverage) if result.coverage is not None else []:
        never = f" · {t.never} never exercised" if t.never else ""
        lines += [
            f"#### {t.api} `{t.operation}`{never}",
            "",
            _TABLE_HEAD,
            "| --- | --- | ---: | ---: | --- | --- |",
        ]
        for r in t.rows:
            seen, judged = ("" if n is None else str(n) for n in (r.seen, r.judged))
            what, note = r.what.replace("|", "\\|"), r.note.replace("|", "\\|")
            lines.append(f"| {r.kind} | `{what}` | {seen} | {judged} | {_ICON[r.state]} | {note} |")
        lines.append("")
    return lines


def render_markdown(result: GateResult) -> str:
    lines = _headline(result)
    if result.findings:
        lines += ["### Findings", ""]
        for f in result.findings:
            lines += _finding(result, f)
    lines += ["### Checks", "", *_check_rows(result), "", *_coverage(result)]
    if result.baseline and result.baseline.stale:
        lines += [
            "",
            "### Stale baseline entries (fixed, or no longer seen; --update-baseline drops them)",
            "",
        ]
        lines += [
            f"- `{e.fingerprint}` {e.api} `{e.operation}` · {e.check}: {e.title}"
            for e in result.baseline.stale
        ]
    return "\n".join(lines) + "\n"
