"""Issue 21: an SLO file layers over the shipped thresholds key by key, through the real command line.

Before the fix a user's file replaced the shipped one: a file holding only ``p95_ttft_ms`` passed a run in
which half the requests failed (exit 0), a misspelt scenario table or a file with no table for the
scenario ran with no threshold at all (exit 0), and nothing said which thresholds judged the run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chatgate.errors import UsageError
from chatgate.load.runner import read_slo
from chatgate.load.slo import load_slo
from chatgate.resources import slo_file
from tests.load.conftest import LENIENT_MONITOR, LoadCli

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
HALF_FAIL = ("--server-arg", "--fault-500-rate 0.5")


def write(tmp_path: Path, text: str, name: str = "slo.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def chatgate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatgate", *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.timing  # a live load run of fixed length
@pytest.mark.parametrize(
    "text",
    [
        "[scenario.nara-stream-sends]\np95_ttft_ms = 1500\n",  # the file: one key of the scenario
        # no table for the scenario that runs (the same layering: e2e tier)
        pytest.param("[scenario.mixed]\np95_ttft_ms = 1500\n", marks=pytest.mark.e2e),
    ],
    ids=["one-key", "no-table-for-the-scenario"],
)
def test_a_partial_slo_file_keeps_every_shipped_threshold(
    tmp_path: Path, load_cli: LoadCli, text: str
) -> None:
    """Half the requests fail: the shipped max_error_rate the file left out fails the run."""
    slo = write(tmp_path, LENIENT_MONITOR + text)
    proc = load_cli("--slo", str(slo), "--arrival-rate", "5", "--run-time", "3s", *HALF_FAIL,
                    "--report-dir", str(tmp_path))  # fmt: skip
    assert proc.returncode == 1, (
        proc.stdout + proc.stderr
    )  # before: 0, judged by p95_ttft_ms alone / by nothing
    assert "SLO breached: max_error_rate" in proc.stderr
    assert "| max_error_rate | 0.01 | default |" in proc.stdout, proc.stdout
    summary = json.loads((tmp_path / "nara-stream-sends" / "summary.json").read_text("utf-8"))
    judged = {c["key"]: c["source"] for c in summary["slo"]}
    shipped = load_slo(slo_file()).scenario("nara-stream-sends").thresholds
    assert set(judged) == set(shipped), judged  # every shipped threshold judged the run
    assert judged["p95_ttft_ms"] == ("file" if "nara-stream-sends" in text else "default")
    assert summary["slo_applied"]["defaults"] == str(slo_file())


def test_a_misspelt_scenario_table_is_exit_2_naming_the_closest(tmp_path: Path, load_cli: LoadCli) -> None:
    slo = write(tmp_path, "[scenario.nara-stream-send]\np95_ttft_ms = 500\n")
    proc = load_cli("--slo", str(slo), "--run-time", "2s", "--report-dir", str(tmp_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr  # before: 0, the run judged by nothing
    (line,) = proc.stderr.strip().splitlines()
    assert "[scenario.nara-stream-send]: no scenario is named 'nara-stream-send'" in line
    assert "did you mean 'nara-stream-sends'?" in line
    assert not (tmp_path / "nara-stream-sends").exists()


def test_a_misspelt_request_table_of_another_scenario_is_exit_2_too(
    tmp_path: Path, load_cli: LoadCli
) -> None:
    slo = write(tmp_path, '[scenario.mixed.request."navigable.raed"]\np99_latency_ms = 500\n')
    proc = load_cli("--slo", str(slo), "--run-time", "2s", "--report-dir", str(tmp_path))
    assert proc.returncode == 2, (
        proc.stdout + proc.stderr
    )  # before: 0 (only the running scenario's were checked)
    assert "did you mean 'navigable.read'?" in proc.stderr


def test_a_run_that_would_judge_nothing_is_exit_2_unless_no_slo(tmp_path: Path, load_cli: LoadCli) -> None:
    shipped = load_slo(slo_file()).scenario("navigable-reads").thresholds
    off = "".join(f'{key} = "off"\n' for key in shipped)
    slo = write(tmp_path, "[scenario.navigable-reads]\n" + off)
    proc = load_cli("--scenario", "navigable-reads", "--slo", str(slo), "--run-time", "2s",
                    "--report-dir", str(tmp_path))  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "the navigable-reads run would judge no SLO" in line and "--no-slo" in line, line


@pytest.mark.timing
def test_no_slo_measures_only_and_says_so(tmp_path: Path, load_cli: LoadCli) -> None:
    slo = write(tmp_path, LENIENT_MONITOR)
    proc = load_cli("--scenario", "navigable-reads", "--no-slo", "--slo", str(slo), "--arrival-rate", "5",
                    "--run-time", "2s", *HALF_FAIL, "--report-dir", str(tmp_path))  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr  # asked for: errors measured, not judged
    assert "note: no SLO judged this run (--no-slo): it was measured only" in proc.stdout
    summary = json.loads((tmp_path / "navigable-reads" / "summary.json").read_text("utf-8"))
    assert summary["slo"] == [] and summary["error_rate"] > 0.3
    assert summary["slo_applied"]["goodput"] == {"goodput_latency_ms": 1000}  # bounds still measure


def test_off_drops_a_shipped_threshold_in_scenario_and_request_tables(tmp_path: Path) -> None:
    slo = write(
        tmp_path,
        '[scenario.mixed]\nmax_error_rate = "off"\np95_ttft_ms = 900\ngoodput_mean_gap_ms = "off"\n\n'
        '[scenario.mixed.request."navigable.read"]\np99_latency_ms = "off"\n\n'
        '[scenario.mixed.request."nara.stream"]\nmax_error_rate = 0.5\n',
    )
    table = read_slo(slo, "mixed").scenario("mixed")
    assert "max_error_rate" not in table.thresholds and table.thresholds["p95_ttft_ms"] == 900
    assert table.sources["p95_ttft_ms"] == "file" and table.sources["p99_latency_ms"] == "default"
    assert table.thresholds["min_throughput_rps"] == 0.5 and table.sources["min_throughput_rps"] == "default"
    assert "goodput_mean_gap_ms" not in table.goodput and table.goodput["goodput_ttft_ms"] == 2000
    assert table.dropped == {"max_error_rate", "goodput_mean_gap_ms"}
    read = table.requests["navigable.read"]
    assert read.thresholds == {} and read.goodput == {"goodput_latency_ms": 1000}  # the shipped bound kept
    assert read.dropped == {"p99_latency_ms"}
    assert dict(table.requests["nara.stream"].thresholds) == {"max_error_rate": 0.5}
    other = read_slo(slo, "navigable-reads").scenario("navigable-reads")  # a table the file omits: shipped
    assert other == read_slo(None, "navigable-reads").scenario("navigable-reads")


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '[scenario.mixed]\nmax_error_rate = "of"\n',
            'must be a non-negative number \\(or "off" to drop it\\)',
        ),
        ('[monitor]\nmax_cpu_mean_percent = "off"\n', 'cannot be "off"'),
        ("[scenario.mixed]\nmax_error_rate = false\n", "non-negative number"),
    ],
)
def test_only_the_exact_string_off_drops_and_budgets_cannot(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        read_slo(write(tmp_path, text), "mixed")


def test_the_shipped_file_given_with_slo_is_the_default_itself(tmp_path: Path) -> None:
    slo = read_slo(slo_file(), "nara-stream-sends")
    assert set(slo.scenario("nara-stream-sends").sources.values()) == {"default"}


def test_slo_help_names_the_shipped_file_it_layers_over() -> None:
    for command in ("load", "capacity"):
        text = " ".join(chatgate(command, "--help").stdout.split())
        assert f"layered key by key over the shipped one ({slo_file()})" in text, text
        assert "--no-slo" in text and "docs/slo-reference.md" in text, text


def test_a_capacity_search_that_would_judge_its_steps_by_nothing_is_exit_2(tmp_path: Path) -> None:
    off = '[scenario.navigable-reads]\np99_latency_ms = "off"\nmax_error_rate = "off"\n'
    proc = chatgate("capacity", "--scenario", "navigable-reads", "--slo", str(write(tmp_path, off)),
                    "--report-dir", str(tmp_path))  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "min_throughput_rps, the only threshold" in proc.stderr and "--no-slo" in proc.stderr


def test_the_slo_reference_is_generated_from_the_codes_own_list() -> None:
    """docs/slo-reference.md is what chatgate.load.slo_reference renders from the key lists and the
    shipped file: a key added to the code, or a shipped value changed, without it fails here."""
    from chatgate.load.slo_reference import render

    committed = (ROOT / "docs" / "slo-reference.md").read_text(encoding="utf-8")
    again = ".venv/bin/python -m chatgate.load.slo_reference docs/slo-reference.md"
    assert committed == render(ROOT / "loadtests" / "slo.toml"), f"docs/slo-reference.md is stale: {again}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/slo-reference.md)" in readme
    assert "docs/slo-reference.md" in (ROOT / "loadtests" / "slo.toml").read_text(encoding="utf-8")
