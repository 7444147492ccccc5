"""The gate's reports: JUnit XML, a Markdown summary, an HTML report and ``summary.json``.

Only this module writes ``reports/contract/``. Every text is scrubbed of the keys used in the run.

``summary.json`` fields:

- ``tool`` ("chatgate contract"), ``version``: who wrote it.
- ``verdict``: "pass" (no new finding) or "fail"; ``exit_code``: 0 or 1.
- ``apis``: the APIs tested; ``targets``: base URL per API; ``embedded``: whether the embedded server
  was the target.
- ``seed``, ``max_examples``: what makes the run repeatable; ``generated_digest``: a SHA-256 over
  every property-based case generated (the same seed and specs give the same digest);
  ``started_at`` (UTC, ISO 8601), ``seconds``: wall time of the run (probe, suite, reports).
- ``totals``: ``cases`` (requests sent), ``generated_cases`` (property-based cases generated),
  ``checks`` (operation x check pairs evaluated),
  ``failed_checks``, ``findings``, ``new_findings``, ``known_findings`` (listed in the baseline).
- ``checks``: per check name, ``cases`` evaluated, ``failures`` and a ``description``.
- ``operations``: per "api METHOD /path", ``cases`` (requests) and per check ``cases``/``failures``.
- ``findings``: each with ``fingerprint`` (stable across runs), ``api``, ``operation``, ``check``,
  ``title``, ``message`` (details and JSON paths), ``curl`` (reproducer, keys masked), ``status``,
  ``code`` (schemathesis failure code, if any), ``new`` (false when the baseline knows it).
- ``errors``: tests of the suite that crashed (each also counted as a finding).
- ``baseline``: the baseline file used, or null; ``reports``: file names of the other reports.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from chatgate import __version__
from chatgate.contract.findings import CHECKS, scrub

if TYPE_CHECKING:
    from chatgate.contract.runner import ContractResult

__all__ = ["summary_dict", "write_reports"]

_FILES = {"junit": "junit.xml", "markdown": "summary.md", "html": "report.html", "summary": "summary.json"}


def _description(check: str) -> str:
    return CHECKS.get(check, "schemathesis built-in check")


def summary_dict(result: ContractResult) -> dict[str, Any]:
    return {
        "tool": "chatgate contract",
        "version": __version__,
        "verdict": "pass" if result.exit_code == 0 else "fail",
        "exit_code": result.exit_code,
        "apis": result.apis,
        "targets": result.targets,
        "embedded": result.embedded,
        "seed": result.seed,
        "max_examples": result.max_examples,
        "generated_digest": result.ledger.generated_digest,
        "started_at": result.started_at,
        "seconds": round(result.seconds, 2),
        "totals": result.totals,
        "checks": {
            name: {**tally, "description": _description(name)} for name, tally in result.per_check.items()
        },
        "operations": result.per_operation,
        "findings": [f.to_dict() for f in result.findings],
        "errors": result.ledger.errors,
        "baseline": str(result.baseline) if result.baseline else None,
        "reports": dict(_FILES),
    }


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(text: str) -> str:
    """Characters XML 1.0 cannot hold (NUL, other controls, lone surrogates: generated data has them)
    written as escapes, so the JUnit file always parses."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else "\ufffd", text)


def _junit(result: ContractResult) -> str:
    root = ET.Element("testsuites", name="chatgate contract", time=f"{result.seconds:.2f}")
    by_key: dict[tuple[str, str, str], list[Any]] = {}
    for f in result.findings:
        by_key.setdefault((f.api, f.operation, f.check), []).append(f)
    for api in result.apis:
        keys = sorted({k for k in result.ledger.tallies if k[0] == api} | {k for k in by_key if k[0] == api})
        failures = sum(any(f.new for f in by_key.get(k, [])) for k in keys)
        suite = ET.SubElement(
            root, "testsuite", name=api, tests=str(len(keys)), failures=str(failures), errors="0", skipped="0"
        )
        for _, operation, check in keys:
            tally = result.ledger.tallies.get((api, operation, check))
            case = ET.SubElement(suite, "testcase", classname=f"{api}.{operation}", name=check, time="0")
            found = by_key.get((api, operation, check), [])
            new = [f for f in found if f.new]
            if new:
                text = "\n\n".join(f"{f.title}\n{f.message}\nReproduce: {f.curl}" for f in new)
                message = _xml_safe("; ".join(f.title for f in new)[:500])
                ET.SubElement(case, "failure", message=message).text = _xml_safe(text)
            out = f"{tally.cases if tally else 0} case(s)"
            known = [f for f in found if not f.new]
            if known:
                out += "; known (baseline): " + "; ".join(f.title for f in known)
            ET.SubElement(case, "system-out").text = _xml_safe(out)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _markdown(result: ContractResult) -> str:
    t = result.totals
    icon = "✅" if result.exit_code == 0 else "❌"
    lines = [
        f"## {icon} chatgate contract: {'conforms' if result.exit_code == 0 else 'contract broken'}",
        "",
        f"APIs: {', '.join(f'{a} ({u})' for a, u in result.targets.items())} · seed {result.seed} · "
        f"max examples {result.max_examples} · {result.seconds:.1f}s",
        "",
        f"**{t['cases']}** requests · **{t['checks']}** operation × check pairs · "
        f"**{t['failed_checks']}** failed · **{t['new_findings']}** new finding(s) · "
        f"{t['known_findings']} known",
        "",
        "| API | Operation | Check | Cases | Result |",
        "| --- | --- | --- | ---: | --- |",
    ]
    for (api, op, check), tally in sorted(result.ledger.tallies.items()):
        known_only = tally.failures and all(
            not f.new for f in result.findings if (f.api, f.operation, f.check) == (api, op, check)
        )
        verdict = "✅ pass" if tally.passed else ("⚠️ known" if known_only else f"❌ {tally.failures} failed")
        lines.append(f"| {api} | `{op}` | {check} | {tally.cases} | {verdict} |")
    if result.findings:
        lines += ["", "### Findings", ""]
        for f in result.findings:
            tag = "NEW" if f.new else "known"
            lines += [
                f"#### [{tag}] {f.api} `{f.operation}` · {f.check}: {f.title}",
                "",
                "```text",
                f.message.strip()[:1500],
                "```",
                "",
                "Reproduce:",
                "",
                "```sh",
                f.curl or "(no single request reproduces it; see the message)",
                "```",
                "",
            ]
    return "\n".join(lines) + "\n"


def _html(result: ContractResult, summary: dict[str, Any]) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("chatgate.contract", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    tallies = [
        {"api": a, "operation": o, "check": c, "cases": t.cases, "failures": t.failures}
        for (a, o, c), t in sorted(result.ledger.tallies.items())
    ]
    return env.get_template("contract.html.j2").render(s=summary, tallies=tallies, checks=CHECKS)


def write_reports(result: ContractResult, report_dir: Path, *, secrets: Iterable[str]) -> dict[str, Path]:
    """Write every report into ``report_dir``; returns their paths by kind."""
    keys = [s for s in secrets if s]
    summary = summary_dict(result)
    texts = {
        "junit": _junit(result),
        "markdown": _markdown(result),
        "html": _html(result, summary),
        "summary": json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
    }
    paths: dict[str, Path] = {}
    for kind, text in texts.items():
        path = report_dir / _FILES[kind]
        path.write_text(scrub(text, keys), encoding="utf-8")
        paths[kind] = path
    for extra in ("pytest.log", "server.log"):
        path = report_dir / extra
        if path.exists():
            path.write_text(scrub(path.read_text(encoding="utf-8", errors="replace"), keys), encoding="utf-8")
    return paths
