"""``chatgate contract`` end to end: exit codes, reports, baseline, seeds, and keys kept secret."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
import schemathesis.specs.openapi.checks  # noqa: F401  (registers the default checks)
from schemathesis.checks import CHECKS

from chatgate.contract.runner import run_contract
from chatgate.embedded import free_port
from tests.contract.conftest import ROOT, FaultyServer, run_gate, summary

pytestmark = pytest.mark.slow
DEFAULT_CHECKS = {c.__name__ for c in CHECKS.get_all()}
Faulty = Callable[..., FaultyServer]
QUICK = ("--max-examples", "2", "--seed", "1")


def _one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("chatgate: error:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_conforming_is_0_and_reports_everything(faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("none")
    out = tmp_path / "r"
    proc = run_gate("--api", "navigable", "--base-url", server.base_url, *QUICK, "--report-dir", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "contract: PASS" in proc.stdout and "Traceback" not in proc.stderr
    assert "contract: [" in proc.stderr  # the progress display
    data = summary(out)
    assert data["verdict"] == "pass" and data["apis"] == ["navigable"]
    assert {"navigable_read", "auth", "schema_validation", "not_a_server_error"} <= set(data["checks"])
    for op in ("GET /api/v1/chat", "POST /api/v1/chat"):  # every default schemathesis check, on each
        ran = {name for name, c in data["operations"][f"navigable {op}"]["checks"].items() if c["cases"]}
        assert DEFAULT_CHECKS - ran == set(), op
    junit = ET.parse(out / "junit.xml").getroot()
    names = {(c.get("classname"), c.get("name")) for c in junit.iter("testcase")}
    assert ("navigable.GET /api/v1/chat", "navigable_read") in names
    assert not list(junit.iter("failure"))
    assert "conforms" in (out / "summary.md").read_text() and "<html" in (out / "report.html").read_text()


def test_nonconforming_is_1_with_findings_in_every_report(faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("nara-wrong-totals")
    out = tmp_path / "r"
    proc = run_gate("--api", "nara", "--base-url", server.base_url, *QUICK, "--report-dir", str(out))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "[pagination]" in proc.stdout
    data = summary(out)
    finding = next(f for f in data["findings"] if f["check"] == "pagination")
    assert finding["curl"].startswith("curl ") and "Authorization: Bearer ***" in finding["curl"]
    junit = ET.parse(out / "junit.xml").getroot()
    failed = {c.get("name") for c in junit.iter("testcase") if c.find("failure") is not None}
    assert "pagination" in failed
    md = (out / "summary.md").read_text()
    assert "pagination" in md and "Reproduce" in md
    assert finding["fingerprint"] in (out / "report.html").read_text()


def test_unreachable_target_is_3(tmp_path: Path) -> None:
    proc = run_gate("--base-url", f"http://127.0.0.1:{free_port()}", "--report-dir", str(tmp_path))
    assert proc.returncode == 3
    assert "cannot reach" in _one_line_error(proc)


@pytest.mark.parametrize("api", ["nara", "navigable"])
def test_rejected_key_is_3(api: str, faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("none")
    proc = run_gate(
        "--api", api, "--base-url", server.base_url, "--report-dir", str(tmp_path),
        env={f"{api.upper()}_API_KEY": "not-a-key-of-this-server"},
    )  # fmt: skip
    assert proc.returncode == 3
    line = _one_line_error(proc)
    assert "rejected the key" in line and "not-a-key-of-this-server" not in proc.stdout + proc.stderr


def test_invalid_spec_is_2(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "nara.openapi.yaml").write_text("openapi: 3.1.0\ninfo: {title: x}\npaths: []\n")
    proc = run_gate(
        "--api", "nara", "--base-url", "http://127.0.0.1:9", env={"CHATGATE_SPECS_DIR": str(specs)}
    )
    assert proc.returncode == 2
    assert "nara.openapi.yaml" in _one_line_error(proc)
    (specs / "nara.openapi.yaml").write_text("openapi: [unclosed\n")
    proc = run_gate(
        "--api", "nara", "--base-url", "http://127.0.0.1:9", env={"CHATGATE_SPECS_DIR": str(specs)}
    )
    assert proc.returncode == 2
    assert "not valid YAML" in _one_line_error(proc)


@pytest.mark.parametrize(
    "args",
    [
        ["--api", "narra"],
        ["--max-examples", "0"],
        ["--seed", "-1"],
        ["--base-url", "ftp://example.org"],
        ["--update-baseline"],
        ["--baseline", "/nonexistent/baseline.json", "--base-url", "http://127.0.0.1:9"],
        ["--no-such-flag"],
    ],
)
def test_bad_flags_are_2(args: list[str]) -> None:
    proc = run_gate(*args)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr and proc.stderr.strip()


def test_missing_key_for_a_remote_target_is_2(tmp_path: Path) -> None:
    proc = run_gate("--api", "nara", "--base-url", "http://127.0.0.1:9", env={"NARA_API_KEY": ""})
    assert proc.returncode == 2
    assert "NARA_API_KEY" in _one_line_error(proc)


def test_keys_never_appear_in_output_or_reports(faulty: Faulty, tmp_path: Path) -> None:
    nara_key, nav_key = "sekrit-NARA-7f3a91c2e5", "sekrit-NAV-b40d6e19aa"
    server = faulty(
        "nara-wrong-error-envelope",
        env={"CHATGATE_NARA_KEYS": f"{nara_key}=1001", "CHATGATE_NAVIGABLE_KEYS": nav_key},
    )
    out = tmp_path / "r"
    env = {"NARA_API_KEY": nara_key, "NAVIGABLE_API_KEY": nav_key, "NARA_USER_ID": "1001"}
    proc = run_gate("--base-url", server.base_url, *QUICK, "--report-dir", str(out), env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {"summary.json", "summary.md", "report.html", "junit.xml", "pytest.log"} <= {p.name for p in files}
    for text in [proc.stdout, proc.stderr, *(p.read_text(errors="replace") for p in files)]:
        assert nara_key not in text and nav_key not in text
    curls = " ".join(f["curl"] for f in summary(out)["findings"])
    assert "Bearer ***" in curls


def test_baseline_fails_only_on_new_findings(faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("navigable-newest-first")
    baseline = tmp_path / "baseline.json"
    common = ("--api", "navigable", "--base-url", server.base_url, *QUICK)
    first = run_gate(
        *common, "--report-dir", str(tmp_path / "a"), "--baseline", str(baseline), "--update-baseline"
    )
    assert first.returncode == 0, first.stdout + first.stderr
    recorded = json.loads(baseline.read_text())["findings"]
    assert any(f["check"] == "navigable_read" for f in recorded)
    again = run_gate(*common, "--report-dir", str(tmp_path / "b"), "--baseline", str(baseline))
    assert again.returncode == 0, again.stdout + again.stderr
    totals = summary(tmp_path / "b")["totals"]
    assert totals["new_findings"] == 0 and totals["known_findings"] >= 1
    baseline.write_text(json.dumps({"findings": []}))
    assert run_gate(*common, "--report-dir", str(tmp_path / "c"), "--baseline", str(baseline)).returncode == 1
    baseline.write_text("{not json")
    broken = run_gate(*common, "--baseline", str(baseline))
    assert broken.returncode == 2 and "baseline" in _one_line_error(broken)


def test_same_seed_same_cases(faulty: Faulty, tmp_path: Path) -> None:
    runs = []
    for i, seed in enumerate(("7", "7", "8")):
        server = faulty("none")
        out = tmp_path / f"r{i}"
        args = ("--api", "all", "--base-url", server.base_url, "--max-examples", "4", "--seed", seed)
        proc = run_gate(*args, "--report-dir", str(out))
        assert proc.returncode == 0, proc.stdout[-2000:]
        runs.append(summary(out))
    same, again, other = runs
    assert same["totals"]["generated_cases"] > 50
    # every generated case, byte for byte (stateful walks and the gate's own checks follow the data, so
    # their request counts may differ)
    assert same["generated_digest"] == again["generated_digest"]
    assert same["totals"]["generated_cases"] == again["totals"]["generated_cases"]
    assert other["generated_digest"] != same["generated_digest"]


def test_run_contract_python_entry_point(
    faulty: Faulty, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = faulty("navigable-21-messages")
    monkeypatch.setenv("NAVIGABLE_API_KEY", "navigable-dev-key")
    lines: list[str] = []
    result = run_contract(
        ["navigable"],
        base_url=server.base_url,
        max_examples=2,
        seed=1,
        report_dir=tmp_path,
        progress=lines.append,
    )
    assert result.exit_code == 1
    assert set(result.report_paths) == {"junit", "markdown", "html", "summary"}
    assert all(p.exists() for p in result.report_paths.values())
    assert result.per_check["navigable_read"]["failures"] >= 1
    assert result.per_operation["navigable GET /api/v1/chat"]["cases"] > 0
    assert result.totals["new_findings"] == len([f for f in result.findings if f.new]) >= 1
    assert any(line.startswith("contract: [") for line in lines)


def test_suite_runs_directly_with_pytest(faulty: Faulty) -> None:
    server = faulty("navigable-auth-ignored")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NARA_", "NAVIGABLE_", "CHATGATE_"))}
    env.update(
        {"CHATGATE_BASE_URL": server.base_url, "CHATGATE_API": "navigable", "CHATGATE_MAX_EXAMPLES": "2"}
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "contracts", "-q", "-p", "no:cacheprovider", "--assert=plain", "-o",
         "addopts="],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "[auth] GET /api/v1/chat" in proc.stdout


def test_embedded_server_is_the_default_target(tmp_path: Path) -> None:
    pytest.importorskip("chatgate.server.command", reason="the reference server package is not there yet")
    proc = run_gate("--api", "navigable", *QUICK, "--report-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert summary(tmp_path)["embedded"] is True


def _gate_with_suite(faulty: Faulty, tmp_path: Path, *ignore: str, extra: str = "") -> list[str]:
    """Run the gate with a copy of contracts/ (``ignore`` patterns left out, ``extra`` added as a test
    module) against the faithful server; it must exit 1. Returns the findings' titles."""
    suite = tmp_path / "contracts"
    shutil.copytree(ROOT / "contracts", suite, ignore=shutil.ignore_patterns("__pycache__", *ignore))
    if extra:
        (suite / "test_broken.py").write_text(extra, encoding="utf-8")
    server = faulty("none")
    out = tmp_path / "r"
    proc = run_gate(
        "--api", "navigable", "--base-url", server.base_url, *QUICK, "--report-dir", str(out),
        env={"CHATGATE_CONTRACTS_DIR": str(suite)},
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    return [f["title"] for f in summary(out)["findings"]]


def test_a_suite_that_cannot_be_collected_fails_the_gate(faulty: Faulty, tmp_path: Path) -> None:
    titles = _gate_with_suite(faulty, tmp_path, extra="import no_such_module_anywhere\n")
    assert "the suite broke: contracts/test_broken.py (collection)" in titles, titles


def test_a_suite_that_runs_nothing_fails_the_gate(faulty: Faulty, tmp_path: Path) -> None:
    titles = _gate_with_suite(faulty, tmp_path, "test_*.py")
    assert "the suite broke: pytest exited 5 (the suite did not run to the end); see pytest.log" in titles
    assert "the suite broke: no request reached navigable" in titles


def test_a_target_that_stalls_the_suite_is_stopped_with_exit_3(tmp_path: Path) -> None:
    from chatgate.embedded import EmbeddedServer

    with EmbeddedServer(["--db", str(tmp_path / "db.sqlite3"), "--added-latency-ms", "3000"]) as server:
        started = time.monotonic()
        proc = run_gate(
            "--api", "navigable", "--base-url", server.base_url, *QUICK, "--report-dir", str(tmp_path / "r"),
            env={"CHATGATE_SUITE_TIMEOUT": "5"},
        )  # fmt: skip
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert _one_line_error(proc) == "chatgate: error: the suite did not finish within 5s (target hanging?)"
    assert time.monotonic() - started < 30
