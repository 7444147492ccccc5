"""Issue 21: no silent embedded default. The embedded reference server is the target only when no target
is given at all; a given but empty URL (the flag, or a variable as CI expands one that is not set) and
a target given for one API of the run but not the other are exit 2 naming the source; a run against
the embedded server says so on the console and in its summary.json.

Every command that takes a target, through the real command line. Before the fix each of the empty
cases started the embedded server and passed (exit 0), or with a real key ended in exit 3 "rejected
the key".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chatgate.errors import UsageError
from chatgate.targets import resolve_targets
from tests.load.conftest import write_lenient_slo
from tests.summary_schemas import assert_valid_summary

pytestmark = pytest.mark.slow

URL_VARIABLES = ("NARA_BASE_URL", "NAVIGABLE_BASE_URL", "CHATGATE_BASE_URL")
EMBEDDED_BANNER = "target: the embedded reference server (no --base-url or *_BASE_URL given)"


@pytest.fixture(autouse=True)
def no_target(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*URL_VARIABLES, "NARA_API_KEY", "NAVIGABLE_API_KEY", "NARA_USER_ID"):
        monkeypatch.delenv(name, raising=False)


def chatgate(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatgate", *args], capture_output=True, text=True, timeout=300, check=False,
        stdin=subprocess.DEVNULL, env={**os.environ, **env},
    )  # fmt: skip


def one_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("chatgate: error: ")]
    assert len(errors) == 1, proc.stderr
    return errors[0].removeprefix("chatgate: error: ")


# What each command needs besides its target to stop early (exit 2 is decided before anything runs).
COMMANDS = {
    "contract": ["contract", "--api", "nara", "--max-examples", "1"],
    "load": ["load", "--run-time", "2s"],
    "capacity": ["capacity", "--max-time", "30s"],
}
REAL_KEY = {"NARA_API_KEY": "a-real-key", "NARA_USER_ID": "7"}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("url", ["", "   "], ids=["empty", "blank"])
def test_an_empty_base_url_flag_is_exit_2_naming_it(command: str, url: str, tmp_path: Path) -> None:
    proc = chatgate(*COMMANDS[command], "--base-url", url, "--report-dir", str(tmp_path), **REAL_KEY)
    assert proc.returncode == 2, proc.stdout + proc.stderr  # before: 3 "rejected the key" (0 with dev keys)
    assert one_error(proc).startswith("--base-url is empty")
    assert EMBEDDED_BANNER not in proc.stdout


@pytest.mark.parametrize("command", [*sorted(COMMANDS), "run"])
@pytest.mark.parametrize("variable", ["NARA_BASE_URL", "CHATGATE_BASE_URL"])
def test_an_empty_url_variable_as_ci_expands_an_unset_one_is_exit_2_naming_it(
    command: str, variable: str, tmp_path: Path
) -> None:
    args = COMMANDS.get(command, ["run", "--load-run-time", "2s"])
    proc = chatgate(*args, "--report-dir", str(tmp_path), **{variable: ""}, **REAL_KEY)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert one_error(proc).startswith(f"{variable} is empty")


def test_a_target_given_for_one_api_of_the_run_only_is_exit_2(tmp_path: Path) -> None:
    """``--api all`` with Nara's host set and Navigable's not: Navigable would have been tested on the
    embedded server, and passed."""
    proc = chatgate("contract", "--report-dir", str(tmp_path), NARA_BASE_URL="http://127.0.0.1:9", **REAL_KEY)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    message = one_error(proc)
    assert message.startswith("navigable: no target given") and "NARA_BASE_URL" in message, message
    proc = chatgate("load", "--scenario", "mixed", "--report-dir", str(tmp_path),
                    NAVIGABLE_BASE_URL="http://127.0.0.1:9", NAVIGABLE_API_KEY="k")  # fmt: skip
    assert proc.returncode == 2 and one_error(proc).startswith("nara: no target given"), proc.stderr


def test_a_variable_of_an_api_not_selected_is_not_consulted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAVIGABLE_BASE_URL", "")
    urls, origins = resolve_targets(["nara"], None)
    assert urls == {"nara": None} and origins == {"nara": "embedded"}
    with pytest.raises(UsageError, match="NAVIGABLE_BASE_URL is empty"):
        resolve_targets(["navigable"], None)


def test_the_contract_gate_says_when_the_embedded_server_was_its_target(tmp_path: Path) -> None:
    proc = chatgate("contract", "--api", "nara", "--max-examples", "2", "--checks", "pagination",
                    "--report-dir", str(tmp_path))  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[0] == f"contract: {EMBEDDED_BANNER}"
    summary = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert summary["embedded"] is True
    assert EMBEDDED_BANNER in (tmp_path / "summary.md").read_text("utf-8")
    assert "the embedded reference server" in (tmp_path / "report.html").read_text("utf-8")
    assert '<property name="embedded" value="true"' in (tmp_path / "junit.xml").read_text("utf-8")
    assert json.loads((tmp_path / "findings.sarif").read_text("utf-8"))["runs"][0]["properties"]["embedded"]


@pytest.mark.timing  # a live load run of fixed length
def test_a_load_run_says_when_the_embedded_server_was_its_target(tmp_path: Path) -> None:
    slo = write_lenient_slo(tmp_path / "lenient.toml")
    proc = chatgate("load", "--arrival-rate", "4", "--run-time", "2s", "--slo", str(slo),
                    "--report-dir", str(tmp_path))  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[0] == EMBEDDED_BANNER
    summary = json.loads((tmp_path / "nara-stream-sends" / "summary.json").read_text("utf-8"))
    assert_valid_summary("load", summary)
    assert summary["embedded"] is True
    assert EMBEDDED_BANNER in (tmp_path / "nara-stream-sends" / "summary.md").read_text("utf-8")


@pytest.mark.timing
def test_a_load_run_against_a_given_target_is_not_called_embedded(tmp_path: Path, serve: object) -> None:
    server = serve()  # type: ignore[operator]
    slo = write_lenient_slo(tmp_path / "lenient.toml")
    proc = chatgate("load", "--scenario", "navigable-reads", "--arrival-rate", "4", "--run-time", "2s",
                    "--slo", str(slo), "--report-dir", str(tmp_path), NAVIGABLE_BASE_URL=server.base_url,  # type: ignore[attr-defined]
                    NAVIGABLE_API_KEY="navigable-dev-key")  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert EMBEDDED_BANNER not in proc.stdout
    summary = json.loads((tmp_path / "navigable-reads" / "summary.json").read_text("utf-8"))
    assert summary["embedded"] is False
