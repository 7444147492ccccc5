"""``summary.md``: the verdict for a CI job summary, readable at a glance.

A headline (verdict, requests and writes per API, findings new / known / stale), one row per check with
its status (passed with n cases, failed, not run and why), then each finding with up to three
reproducing commands.
"""

from __future__ import annotations

from chatgate.gate.model import Finding
from chatgate.gate.reproduce import curls
from chatgate.gate.result import GateResult
from chatgate.targets import EMBEDDED_BANNER

__all__ = ["render_markdown"]

_STATUS = {"passed": "✅ passed", "failed": "❌ failed", "not_run": "⏭️ not run"}


def _verdict(result: GateResult) -> tuple[str, str]:
    """The headline's icon and words; with --update-baseline what it recorded, never "conforms"."""
    if result.baseline_updated:
        return "📝", f"baseline updated, {len(result.findings)} finding(s) recorded as known"
    if result.judged_nothing:
        return "❌", "judged nothing"
    if result.exit_code == 0:
        return "✅", "conforms"
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
        f"APIs: {', '.join(f'{a} ({u})' for a, u in result.targets.items())} · seed {result.seed} · "
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


def _finding(result: GateResult, f: Finding) -> list[str]:
    tag = "NEW" if result.is_new(f) else "known"
    where = result.locations.get(f.fingerprint)
    place = f" · `{where.file}:{where.schema_line or where.line}`" if where else ""
    note = result.baseline.notes.get(f.fingerprint) if result.baseline else None
    lines = [
        f"#### [{tag}] {f.api} `{f.operation}` · {f.check}: {f.title}",
        "",
        f"fingerprint `{f.fingerprint}` · seen {f.occurrences}×{place}"
        + (f" · note: {note}" if note else ""),
        "",
        "```text",
        f.message.strip()[:1500],
        "```",
        "",
    ]
    answer = next((e.response for e in f.examples if e.response), "")
    if answer:
        lines += ["What came back (first example):", "", "```text", answer.strip()[:1500], "```", ""]
    commands = curls(f)
    if not commands:
        return [*lines, "(no single request reproduces it; see the message)", ""]
    lines += [f"Reproduce ({len(commands)} example(s); run from the report directory):", "", "```sh"]
    return [*lines, *commands, "```", ""]


def render_markdown(result: GateResult) -> str:
    lines = [*_headline(result), *_check_rows(result)]
    if result.findings:
        lines += ["", "### Findings", ""]
        for f in result.findings:
            lines += _finding(result, f)
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
