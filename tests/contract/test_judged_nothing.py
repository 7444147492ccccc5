"""Issue 21: the gate never judges nothing and passes, and ``--update-baseline`` says what it recorded.

Through the real command line (a subprocess, as CI runs it). Before the fix ``contract --api navigable
--checks stream_grammar`` reported "0 of 25 checks ran", PASS, exit 0, and ``--update-baseline`` printed
"PASS: 4 new finding(s)".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.contract.conftest import Faulty, run_gate

pytestmark = pytest.mark.slow
QUICK = ("--max-examples", "2", "--seed", "1")


def _error(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = [ln for ln in stderr.splitlines() if ln.startswith("chatgate: error: ")]
    assert len(lines) == 1, stderr
    return lines[0].removeprefix("chatgate: error: ")


def test_checks_that_do_not_apply_to_the_selected_api_are_exit_2_naming_why(tmp_path: Path) -> None:
    proc = run_gate("--api", "navigable", "--checks", "stream_grammar", *QUICK, "--report-dir", str(tmp_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr  # before: 0, "0 of 25 checks ran", PASS
    message = _error(proc.stderr)
    assert message.startswith(  # which API a check applies to is the spec's to say
        "the gate would judge nothing on navigable: stream_grammar judges x-chatgate-stream, which the "
        "navigable spec does not state"
    )
    assert "--allow-empty" in message
    assert not (tmp_path / "summary.json").exists()  # decided before anything ran


def test_allow_empty_accepts_a_run_that_judged_nothing(tmp_path: Path) -> None:
    proc = run_gate("--api", "navigable", "--checks", "stream_grammar", "--allow-empty", *QUICK,
                    "--report-dir", str(tmp_path))  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "contract: PASS" in proc.stdout and "0 of 25 checks ran" in proc.stdout
    status = json.loads((tmp_path / "summary.json").read_text("utf-8"))["checks"]["stream_grammar"]
    assert status["status"] == "not_run"


def test_a_run_in_which_no_check_judged_anything_is_exit_2_naming_each_reason(tmp_path: Path) -> None:
    """The selected check applies to the API, but nothing in these specs gives it a case (no DELETE):
    only the run can tell. It sent requests; none was judged."""
    proc = run_gate("--api", "nara", "--checks", "use_after_free", *QUICK, "--report-dir", str(tmp_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr  # before: 0, "0 of 25 checks ran", PASS
    message = _error(proc.stderr)
    assert message.startswith("the gate judged nothing: no check judged a single response (use_after_free: ")
    assert "neither spec has a DELETE operation" in message and "--allow-empty" in message
    assert "contract: JUDGED NOTHING" in proc.stdout and "0 of 25 checks ran" in proc.stdout
    summary = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert summary["exit_code"] == 2 and summary["verdict"] == "fail"  # the reports agree with the exit
    assert summary["totals"]["requests"] > 0
    assert "judged nothing" in (tmp_path / "summary.md").read_text("utf-8")


def test_update_baseline_says_what_it_recorded_not_pass(faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("navigable-newest-first")
    baseline = tmp_path / "baseline.json"
    proc = run_gate("--api", "navigable", "--base-url", server.base_url, *QUICK, "--baseline", str(baseline),
                    "--update-baseline", "--report-dir", str(tmp_path / "r"))  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    recorded = json.loads(baseline.read_text("utf-8"))["findings"]
    assert recorded
    first = next(ln for ln in proc.stdout.splitlines() if ln.startswith("contract: "))
    assert first.startswith(
        f"contract: BASELINE UPDATED: {len(recorded)} finding(s) recorded as known in {baseline} "
        f"({len(recorded)} new, 0 already known"
    ), first  # before: "contract: PASS: 4 new finding(s), ..."
    assert "PASS" not in proc.stdout
    headline = (tmp_path / "r" / "summary.md").read_text("utf-8").splitlines()[0]
    assert (
        headline == f"## 📝 chatgate contract: baseline updated, {len(recorded)} finding(s) recorded as known"
    )
