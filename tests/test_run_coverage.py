"""``chatgate run`` and the gate's spec coverage (issue 23): --min-coverage passed through to the gate (a
malformed one is exit 2 before anything runs), and the index page and its summary.json showing the
coverage of the contract part. The whole main job runs in tests/test_run.py (e2e)."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from click.testing import CliRunner

from chatgate.cli import run_cli
from chatgate.run import runner
from chatgate.run.model import PartResult, RunResult
from chatgate.run.report import index_html, summary, terminal_table
from tests.summary_schemas import assert_valid_summary


def _contract_summary() -> dict[str, Any]:
    share = {"responses": {"covered": 10, "total": 14, "fraction": 10 / 14},
             "events": {"covered": 3, "total": 4, "fraction": 0.75},
             "parameters": {"covered": 0, "total": 0, "fraction": None},
             "rules": {"covered": 5, "total": 5, "fraction": 1.0}}  # fmt: skip
    never = [
        {"kind": "responses", "api": "nara", "operation": "sendChatMessage", "what": "500", "reason": "-"}
    ]
    shortfall = "nara events 75% (3/4) < 100%: never exercised: sendChatMessage event error"
    floors = {"floors": {"events": 1.0}, "judged": True, "shortfalls": [shortfall]}
    coverage = {"share": {"nara": share}, "never": never, "min_coverage": floors}
    return {"totals": {"generated_cases": 354, "failed_checks": 0, "new_findings": 0}, "coverage": coverage}


def test_the_index_shows_the_gates_coverage() -> None:
    part = PartResult(
        "contract", "contract", 1, 3.0, MappingProxyType(_contract_summary()), ("contract/summary.md",)
    )
    result = RunResult((part,))
    page = index_html(result, "2026-01-01 00:00:00 UTC")
    assert "Spec coverage" in page and "<td>nara</td>" in page
    assert '<td class="num">71% (10/14)</td><td class="num">75% (3/4)</td><td class="num">n/a</td>' in page
    data = summary(result, "2026-01-01 00:00:00 UTC")
    assert_valid_summary("run", data)
    figures = data["parts"][0]["headline"]
    assert figures["coverage_responses"] == pytest.approx(10 / 14) and figures["coverage_parameters"] is None
    assert figures["coverage_never"] == 1 and figures["coverage_below_floor"].startswith("nara events 75%")
    assert figures["cases"] == 354  # the contract summary's generated_cases (it has no "cases")
    assert "never exercised 1" in terminal_table(result)


def test_min_coverage_is_passed_to_the_gate_and_checked_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sent: list[list[str]] = []

    def part(name: str, kind: str, args: list[str], *_: Any) -> PartResult:
        sent.append(args)
        return PartResult(name, kind, 0, 0.0, MappingProxyType({}))

    monkeypatch.setattr(runner, "_run_part", part)
    runner.run_all(tmp_path, load_run_time="1s", load_rate=1.0, min_coverage="rules=100%")
    contract = next(a for a in sent if a[0] == "contract")
    assert contract[-2:] == ["--min-coverage", "rules=100%"]
    sent.clear()
    runner.run_all(tmp_path, load_run_time="1s", load_rate=1.0)
    assert "--min-coverage" not in next(a for a in sent if a[0] == "contract")
    with CliRunner().isolation() as (_out, err, _):
        code = run_cli(["run", "--report-dir", str(tmp_path / "r"), "--min-coverage", "rules=lots"])
    assert code == 2 and "--min-coverage" in err.getvalue().decode()
    assert not (tmp_path / "r").exists()  # refused before anything ran
