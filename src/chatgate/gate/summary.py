"""``summary.json``: the gate's machine-readable result (``schema_version`` 1).

It validates against ``chatgate/schemas/contract.summary.schema.json`` (shipped in the package). Every
number is a JSON number. Fields (README, "What each summary.json holds"):

- ``schema_version`` (1), ``tool``, ``version``, ``verdict`` ("pass" / "fail"), ``exit_code``,
  ``complete`` (the run went to its end).
- ``apis``, ``targets`` (base URL per API), ``embedded``, ``specs`` (per API the spec ``file`` the run
  used, ``git:REV:path`` for ``--specs git:REV``, its ``title`` and ``version``: ``info.version``), ``seed``,
  ``max_examples``, ``generated_digest``
  (SHA-256 over every generated case: the same seed and specs give the same digest), ``started_at``,
  ``seconds``, ``scope`` (the scoping flags; secret header values masked).
- ``totals``: ``requests`` (every request sent, probes and schemathesis' own probes included),
  ``writes`` (messages created), ``generated_cases``, ``checks`` (operation x check pairs judged),
  ``failed_checks`` (pairs with a failure), ``findings``, ``new_findings``, ``known_findings``.
- ``per_api``: per API ``requests`` and ``writes`` (the quota cost of the run).
- ``checks``: per check ``status`` (passed, failed, not_run), ``cases`` (cases it judged), ``failures``
  (cases that failed), ``not_run_reason`` (null unless not_run), ``seconds``, ``description``.
- ``operations``: per "api METHOD /path", ``requests`` and per check ``cases``, ``failures``, ``seconds``.
- ``findings``: ``fingerprint``, ``api``, ``operation``, ``check``, ``title``, ``signature``, ``message``,
  ``status``, ``code`` (schemathesis' ST code), ``new``, ``note`` (the baseline's), ``occurrences``,
  ``location`` (spec ``file``, ``line``, ``schema_line``) and ``examples`` (up to 3: ``curl``,
  ``status``, ``detail``).
- ``baseline``: null, or ``file``, ``version``, ``new``, ``known``, ``stale`` (counts) and
  ``stale_entries``.
- ``errors``: tests of the suite that crashed (each also a finding); ``reports``: the other files.
- ``settings``: how the run sent (``concurrency``, ``rate_limit``, ``request_timeout_s``,
  ``stream_idle_timeout_s``, ``stream_timeout_s``, ``max_stream_bytes``, ``max_time_s``,
  ``deterministic_replies``, ``tls``: ``verify``, ``ca_bundle``, ``client_cert``).
- ``transport``: what the transport did that is not a finding, each ``{count, entries}`` (entries:
  ``api``, ``operation``, ``detail``, ``count``): ``rate_limited`` (429s waited out and sent again),
  ``transient`` (502/503/504 sent again), ``flaky`` (of those, the ones the second answer was fine for),
  ``capped`` (bodies cut at ``--max-stream-bytes``).
- ``incomplete_tests``: tests ``--max-time`` stopped before their end (``complete`` is false then).
- ``coverage`` (docs/coverage.md): ``version``, ``share`` (per API and kind: ``covered``, ``total``,
  ``fraction``), ``responses``, ``events``, ``parameters``, ``rules``, ``checks``, ``never`` and
  ``excluded`` (each item's ``kind``, ``api``, ``operation``, ``what``, ``reason``), ``baseline`` (the change
  since the baseline file's record, or null) and ``min_coverage`` (``floors``, whether they were
  ``judged``: not in an incomplete run, and the ``shortfalls``).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from chatgate import __version__
from chatgate.gate.coverage import Coverage
from chatgate.gate.model import Finding
from chatgate.gate.reproduce import curls
from chatgate.gate.result import GateResult

__all__ = ["REPORT_FILES", "SCHEMA_VERSION", "load_schema", "render_summary", "summary_dict"]

SCHEMA_VERSION = 2  # 2: one finding per defect (agreeing checks, k of n, intermittent, the exact request)
REPORT_FILES = {
    "junit": "junit.xml",
    "markdown": "summary.md",
    "html": "report.html",
    "summary": "summary.json",
    "sarif": "findings.sarif",
}


def load_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) summary.json validates against."""
    text = resources.files("chatgate").joinpath("schemas/contract.summary.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _finding(result: GateResult, f: Finding) -> dict[str, Any]:
    where = result.locations.get(f.fingerprint)
    notes = result.baseline.notes if result.baseline else {}
    return {
        "fingerprint": f.fingerprint,
        "api": f.api,
        "operation": f.operation,
        "check": f.check,
        "title": f.title,
        "signature": f.signature,
        "message": f.message,
        "status": f.status,
        "code": f.code,
        "new": result.is_new(f),
        "note": notes.get(f.fingerprint) or result.explained.get(f.fingerprint),
        "occurrences": f.occurrences,
        "judged": result.judged(f),
        "intermittent": f.intermittent,
        "spec_pointer": f.spec_pointer,
        "agreeing": [a.to_dict() for a in f.agreeing],
        "location": {"file": where.file, "line": where.line, "schema_line": where.schema_line}
        if where
        else None,
        "examples": [
            {
                "curl": c,
                "request": {
                    "method": e.method,
                    "url": e.url,
                    "headers": [list(h) for h in e.headers],
                    "body": e.body,
                },
                "status": e.status,
                "detail": e.detail,
                "response": e.response,
                "response_type": e.response_type,
            }
            for c, e in zip(curls(f), f.examples, strict=True)
        ],
    }


def _operations(result: GateResult) -> dict[str, Any]:
    out: dict[str, Any] = {}
    requests = result.operation_requests()
    for (api, op), n in sorted(requests.items()):
        out[f"{api} {op}"] = {"api": api, "operation": op, "requests": n, "checks": {}}
    for (api, op, check), t in sorted(result.tallies.items()):
        entry = out.setdefault(f"{api} {op}", {"api": api, "operation": op, "requests": 0, "checks": {}})
        entry["checks"][check] = {"cases": t.cases, "failures": t.failures, "seconds": round(t.seconds, 3)}
    return out


def _baseline(result: GateResult) -> dict[str, Any] | None:
    b = result.baseline
    if b is None:
        return None
    return {
        "file": str(b.path),
        "version": b.version,
        "new": len(result.new_findings),
        "known": len(result.known_findings),
        "stale": len(b.stale),
        "stale_entries": [e.to_dict() for e in b.stale],
    }


def _transport(result: GateResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        k: {"count": 0, "entries": []} for k in ("rate_limited", "transient", "flaky", "capped")
    }
    for (kind, api, operation, detail), count in sorted(result.record.notes.items()):
        if kind in out:
            out[kind]["count"] += count
            out[kind]["entries"].append(
                {"api": api, "operation": operation, "detail": detail, "count": count}
            )
    return out


def _coverage(result: GateResult) -> dict[str, Any]:
    coverage = result.coverage if result.coverage is not None else Coverage(result.apis)
    return {
        **coverage.to_dict(result.coverage_before),
        "min_coverage": {
            "floors": dict(result.coverage_floors),
            "judged": bool(result.coverage_floors) and result.complete,
            "shortfalls": list(result.coverage_shortfalls),
        },
    }


def summary_dict(result: GateResult) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": "chatgate contract",
        "version": __version__,
        "verdict": result.verdict,
        "exit_code": result.exit_code,
        "complete": result.complete,
        "apis": list(result.apis),
        "targets": dict(result.targets),
        "embedded": result.embedded,
        "specs": [dict(s) for s in result.specs],
        "seed": result.seed,
        "max_examples": result.max_examples,
        "generated_digest": result.record.generated_digest,
        "started_at": result.started_at,
        "seconds": round(result.seconds, 2),
        "scope": result.scope.describe(),
        "totals": {
            "requests": result.requests,
            "writes": result.writes,
            "generated_cases": result.record.generated,
            "checks": sum(1 for t in result.tallies.values() if t.cases),
            "failed_checks": sum(1 for t in result.tallies.values() if t.failures),
            "findings": len(result.findings),
            "new_findings": len(result.new_findings),
            "known_findings": len(result.known_findings),
        },
        "per_api": {api: {"requests": t.requests, "writes": t.writes} for api, t in result.traffic.items()},
        "checks": {
            name: {
                "status": v.status,
                "cases": v.cases,
                "failures": v.failures,
                "not_run_reason": v.not_run_reason,
                "seconds": round(v.seconds, 3),
                "description": v.description,
            }
            for name, v in result.checks.items()
        },
        "operations": _operations(result),
        "findings": [_finding(result, f) for f in result.findings],
        "baseline": _baseline(result),
        "errors": list(result.errors),
        "reports": dict(REPORT_FILES),
        "settings": dict(result.settings),
        "transport": _transport(result),
        "incomplete_tests": list(result.record.incomplete),
        "coverage": _coverage(result),
    }


def render_summary(result: GateResult) -> str:
    return json.dumps(summary_dict(result), indent=2, ensure_ascii=False) + "\n"
