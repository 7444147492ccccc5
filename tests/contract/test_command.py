"""``chatgate contract``: exit codes, reports, baseline, seeds, and keys kept secret.

One test goes through the real CLI in a subprocess (``test_conforming_is_0_and_reports_everything``);
the others run the click command in-process (the suite still runs in its child pytest).

Tiers: the exit codes, the reports, the embedded default and the keys kept secret run in the default
tier; the longer runs (baseline, seeds, --max-time, the Python entry point, the suite on its own) in the
e2e tier, which .ci/run runs too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from chatgate.artifacts import RunDir
from chatgate.embedded import free_port
from chatgate.gate.runner import GateConfig, run_gate
from tests.contract.conftest import ROOT, Faulty, GateRun, gate, summary
from tests.contract.conftest import run_gate as run_gate_cli

pytestmark = pytest.mark.slow
QUICK = ("--max-examples", "2", "--seed", "1")
# Checks with nothing to judge on Navigable's two operations at this size (every other one judges).
NAVIGABLE_IDLE = {
    "stream_grammar", "stream_mode", "stream_stalled", "stream_equivalence", "pagination", "ownership",
    "ownership_cross_user",  # Nara's
    "response_headers_conformance", "use_after_free", "ensure_resource_availability",
    "object_level_authorization",
}  # fmt: skip


def _one_line_error(output: str) -> str:
    assert "Traceback" not in output
    lines = [ln for ln in output.splitlines() if ln.startswith("chatgate: error:")]
    assert len(lines) == 1, output
    return lines[0]


def test_conforming_is_0_and_reports_everything(faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("none")
    out = tmp_path / "r"
    proc = run_gate_cli("--api", "navigable", "--base-url", server.base_url, *QUICK, "--report-dir", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "contract: PASS" in proc.stdout and "Traceback" not in proc.stderr
    assert "contract: [" in proc.stderr  # the progress display
    data = summary(out)
    assert data["verdict"] == "pass" and data["apis"] == ["navigable"] and data["schema_version"] == 2
    idle = {name for name, c in data["checks"].items() if c["status"] == "not_run"}
    assert idle == NAVIGABLE_IDLE
    for op in ("GET /api/v1/chat", "POST /api/v1/chat"):
        ran = {name for name, c in data["operations"][f"navigable {op}"]["checks"].items() if c["cases"]}
        assert {"schema_validation", "not_a_server_error", "ignored_auth", "auth", "transport"} <= ran, op
    junit = ET.parse(out / "junit.xml").getroot()
    names = {(c.get("classname"), c.get("name")) for c in junit.iter("testcase")}
    assert ("navigable.GET /api/v1/chat", "navigable_read") in names
    assert ("navigable.(not run)", "use_after_free") in names
    assert not list(junit.iter("failure"))
    assert "conforms" in (out / "summary.md").read_text() and "<html" in (out / "report.html").read_text()
    assert json.loads((out / "findings.sarif").read_text())["runs"][0]["results"] == []


def test_nonconforming_is_1_with_findings_in_every_report(faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("nara-wrong-totals")
    run = gate("--api", "nara", "--base-url", server.base_url, *QUICK, report_dir=tmp_path / "r")
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output and "[pagination]" in run.output
    finding = next(f for f in run.summary["findings"] if f["check"] == "pagination")
    assert 'Authorization: Bearer ${NARA_API_KEY}"' in finding["examples"][0]["curl"]  # runs as printed
    junit = ET.parse(run.report_dir / "junit.xml").getroot()
    failed = {c.get("name") for c in junit.iter("testcase") if c.find("failure") is not None}
    assert failed == {"pagination"}
    md = (run.report_dir / "summary.md").read_text()
    assert "pagination" in md and "Reproduce" in md
    assert finding["fingerprint"] in (run.report_dir / "report.html").read_text()
    sarif = json.loads((run.report_dir / "findings.sarif").read_text())
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"pagination"}


def test_unreachable_target_is_3(tmp_path: Path) -> None:
    run = gate("--base-url", f"http://127.0.0.1:{free_port()}", report_dir=tmp_path)
    assert run.exit_code == 3
    assert "cannot reach" in _one_line_error(run.output)


@pytest.mark.parametrize("api", ["nara", "navigable"])
def test_rejected_key_is_3(api: str, faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("none")
    env = {f"{api.upper()}_API_KEY": "not-a-key-of-this-server"}
    run = gate("--api", api, "--base-url", server.base_url, report_dir=tmp_path, env=env)
    assert run.exit_code == 3
    line = _one_line_error(run.output)
    assert "rejected the key" in line and "not-a-key-of-this-server" not in run.output


def test_invalid_spec_is_2(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "nara.openapi.yaml").write_text("openapi: 3.1.0\ninfo: {title: x}\npaths: []\n")
    env = {"CHATGATE_SPECS_DIR": str(specs)}
    run = gate("--api", "nara", "--base-url", "http://127.0.0.1:9", report_dir=tmp_path / "r", env=env)
    assert run.exit_code == 2
    assert "nara.openapi.yaml" in _one_line_error(run.output)
    (specs / "nara.openapi.yaml").write_text("openapi: [unclosed\n")
    run = gate("--api", "nara", "--base-url", "http://127.0.0.1:9", report_dir=tmp_path / "r", env=env)
    assert run.exit_code == 2
    assert "not valid YAML" in _one_line_error(run.output)


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
        ["--max-time", "5x"],
        ["--rate-limit", "5/x"],
        ["--max-stream-bytes", "abc"],
        ["--concurrency", "0"],
        ["--stream-idle-timeout", "-3"],
        ["--ca-bundle", "/nonexistent/ca.pem", "--base-url", "http://127.0.0.1:9"],
    ],
)
def test_bad_flags_are_2(args: list[str], tmp_path: Path) -> None:
    run = gate(*args, report_dir=tmp_path)
    assert run.exit_code == 2, run.output
    assert "Traceback" not in run.output and run.output.strip()


def test_missing_key_for_a_remote_target_is_2(tmp_path: Path) -> None:
    run = gate(
        "--api", "nara", "--base-url", "http://127.0.0.1:9", report_dir=tmp_path, env={"NARA_API_KEY": ""}
    )
    assert run.exit_code == 2
    assert "NARA_API_KEY" in _one_line_error(run.output)


def test_keys_never_appear_in_output_or_reports(faulty: Faulty, tmp_path: Path) -> None:
    nara_key, nav_key = "sekrit-NARA-7f3a91c2e5", "sekrit-NAV-b40d6e19aa"
    server = faulty(
        "nara-wrong-error-envelope",
        env={"CHATGATE_NARA_KEYS": f"{nara_key}=1001", "CHATGATE_NAVIGABLE_KEYS": nav_key},
    )
    env = {"NARA_API_KEY": nara_key, "NAVIGABLE_API_KEY": nav_key, "NARA_USER_ID": "1001"}
    header = "X-Session-Token: sekrit-HEADER-55aa"
    run = gate("--base-url", server.base_url, *QUICK, "-H", header, report_dir=tmp_path / "r", env=env)
    assert run.exit_code == 1, run.output
    files = [p for p in run.report_dir.rglob("*") if p.is_file()]
    assert {"summary.json", "summary.md", "report.html", "junit.xml", "pytest.log", "findings.sarif"} <= {
        p.name for p in files
    }
    for text in [run.output, *(p.read_text(errors="replace") for p in files)]:
        assert nara_key not in text and nav_key not in text and "sekrit-HEADER-55aa" not in text
    curls = " ".join(e["curl"] for f in run.summary["findings"] for e in f["examples"])
    assert "${NARA_API_KEY}" in curls and "X-Session-Token: ***" in curls  # keys as variables


@pytest.mark.e2e
def test_baseline_fails_only_on_new_findings(faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("navigable-newest-first")
    baseline = tmp_path / "baseline.json"
    common = ("--api", "navigable", "--base-url", server.base_url, *QUICK)
    first = gate(*common, "--baseline", str(baseline), "--update-baseline", report_dir=tmp_path / "a")
    assert first.exit_code == 0, first.output
    recorded = json.loads(baseline.read_text())
    assert recorded["version"] == 2 and any(f["check"] == "navigable_read" for f in recorded["findings"])
    again = gate(*common, "--baseline", str(baseline), report_dir=tmp_path / "b")
    assert again.exit_code == 0, again.output
    totals = again.summary["totals"]
    assert totals["new_findings"] == 0 and totals["known_findings"] >= 1
    assert again.summary["baseline"]["stale"] == 0
    baseline.write_text(json.dumps({"findings": []}))
    assert gate(*common, "--baseline", str(baseline), report_dir=tmp_path / "c").exit_code == 1
    baseline.write_text("{not json")
    broken = gate(*common, "--baseline", str(baseline), report_dir=tmp_path / "d")
    assert broken.exit_code == 2 and "baseline" in _one_line_error(broken.output)


@pytest.mark.e2e
def test_same_seed_same_cases(faulty: Faulty, tmp_path: Path) -> None:
    runs: list[GateRun] = []
    for i, seed in enumerate(("7", "7", "8")):
        server = faulty("none")
        args = ("--api", "all", "--base-url", server.base_url, "--max-examples", "4", "--seed", seed)
        run = gate(*args, report_dir=tmp_path / f"r{i}")
        assert run.exit_code == 0, run.output[-2000:]
        runs.append(run)
    same, again, other = (r.summary for r in runs)
    assert same["totals"]["generated_cases"] > 50
    # every generated case, byte for byte (stateful walks and the gate's own checks follow the data, so
    # their request counts may differ)
    assert same["generated_digest"] == again["generated_digest"]
    assert same["totals"]["generated_cases"] == again["totals"]["generated_cases"]
    assert other["generated_digest"] != same["generated_digest"]


@pytest.mark.e2e
def test_run_gate_python_entry_point(faulty: Faulty, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = faulty("navigable-21-messages")
    monkeypatch.setenv("NAVIGABLE_API_KEY", "navigable-dev-key")
    lines: list[str] = []
    config = GateConfig(apis=("navigable",), base_url=server.base_url, max_examples=2, seed=1)
    result = run_gate(config, RunDir(tmp_path), progress=lines.append)
    assert result.exit_code == 1
    assert not (tmp_path / "summary.json").exists()  # the runner writes no report
    assert (
        result.checks["navigable_read"].status == "failed" and result.checks["navigable_read"].failures >= 1
    )
    assert result.operation_requests()[("navigable", "GET /api/v1/chat")] > 0
    assert len(result.new_findings) == len(result.findings) >= 1
    assert any(line.startswith("contract: [") for line in lines)


@pytest.mark.e2e
def test_suite_runs_directly_with_pytest(faulty: Faulty) -> None:
    server = faulty("navigable-auth-ignored")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NARA_", "NAVIGABLE_", "CHATGATE_"))}
    env.update(
        {"CHATGATE_BASE_URL": server.base_url, "CHATGATE_API": "navigable", "CHATGATE_MAX_EXAMPLES": "2"}
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "contracts", "-q", "-p", "no:cacheprovider", "--assert=plain", "-o",
         "addopts=", "-p", "no:xdist", "-p", "no:cov"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "[auth] GET /api/v1/chat" in proc.stdout


@pytest.mark.e2e
def test_pytest_plugins_installed_beside_chatgate_do_not_reach_the_suite(
    faulty: Faulty, tmp_path: Path
) -> None:
    """A user's repository has its own pytest plugins installed (pytest-django, strict pytest-asyncio):
    the gate's suite loads none of them. Here one that fails as it loads, found through its entry point
    like any installed plugin."""
    site = tmp_path / "site"
    dist = site / "broken_plugin-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: broken-plugin\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text("[pytest11]\nbroken = broken_plugin\n", encoding="utf-8")
    (site / "broken_plugin.py").write_text("raise RuntimeError('a plugin of the user')\n", encoding="utf-8")
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    plugin = subprocess.run(
        [sys.executable, "-m", "pytest", "--co", "-q", str(site)], env={**os.environ, **env},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert plugin.returncode != 0 and "a plugin of the user" in plugin.stdout + plugin.stderr  # it is live
    server = faulty("none")
    run = gate(
        "--api", "navigable", "--base-url", server.base_url, *QUICK, report_dir=tmp_path / "r", env=env
    )
    assert run.exit_code == 0, run.output[-3000:]
    assert run.summary["totals"]["requests"] > 0


def test_embedded_server_is_the_default_target(tmp_path: Path) -> None:
    run = gate("--api", "navigable", *QUICK, report_dir=tmp_path)
    assert run.exit_code == 0, run.output
    assert run.summary["embedded"] is True
    assert (tmp_path / "server.log").exists()


@pytest.mark.e2e
def test_findings_made_before_max_time_still_give_1(faulty: Faulty, tmp_path: Path) -> None:
    """The first answers (the auth test's 401s, every one in the wrong envelope) show the fault long
    before the hundreds of generated cases, 2 s away each, could all be sent: the run is incomplete, and
    the findings it made fail it."""
    from tests.field_proxy import ProxyConfig

    server = faulty("nara-wrong-error-envelope", proxy=ProxyConfig(added_latency_ms=2000))
    run = gate(
        "--api", "nara", "--base-url", server.base_url, "--max-examples", "20", "--seed", "1",
        "--include-name", "GET /api/v1.0/chat/messages", "--max-time", "12s", report_dir=tmp_path,
    )  # fmt: skip
    assert run.exit_code == 1, run.output[-2000:]
    data = run.summary
    assert data["complete"] is False and "auth" in run.fired and data["incomplete_tests"]


def _gate_with_suite(faulty: Faulty, tmp_path: Path, *ignore: str, extra: str = "") -> list[str]:
    """Run the gate with a copy of contracts/ (``ignore`` patterns left out, ``extra`` added as a test
    module) against the faithful server; it must exit 1. Returns the findings' titles."""
    suite = tmp_path / "contracts"
    shutil.copytree(ROOT / "contracts", suite, ignore=shutil.ignore_patterns("__pycache__", *ignore))
    if extra:
        (suite / "test_broken.py").write_text(extra, encoding="utf-8")
    server = faulty("none")
    env = {"CHATGATE_CONTRACTS_DIR": str(suite)}
    run = gate(
        "--api", "navigable", "--base-url", server.base_url, *QUICK, report_dir=tmp_path / "r", env=env
    )
    assert run.exit_code == 1, run.output
    return [f["title"] for f in run.summary["findings"]]


def test_a_suite_that_cannot_be_collected_fails_the_gate(faulty: Faulty, tmp_path: Path) -> None:
    titles = _gate_with_suite(faulty, tmp_path, extra="import no_such_module_anywhere\n")
    assert "the suite broke: contracts/test_broken.py (collection)" in titles, titles


def test_a_suite_that_runs_nothing_fails_the_gate(faulty: Faulty, tmp_path: Path) -> None:
    titles = _gate_with_suite(faulty, tmp_path, "test_*.py")
    assert "the suite broke: pytest exited 5 (the suite did not run to the end); see pytest.log" in titles
    assert "the suite broke: no request reached navigable" in titles


@pytest.mark.e2e
def test_a_target_that_stalls_the_suite_is_stopped_with_exit_3(tmp_path: Path) -> None:
    """--max-time bounds the whole gate: a target too slow for it gives a report of what ran,
    ``complete: false`` and exit 3 (nothing found), well within the time given."""
    from chatgate.embedded import EmbeddedServer

    with EmbeddedServer(["--db", str(tmp_path / "db.sqlite3"), "--added-latency-ms", "3000"]) as server:
        started = time.monotonic()
        run = gate(
            "--api", "navigable", "--base-url", server.base_url, *QUICK, "--max-time", "8s",
            report_dir=tmp_path / "r",
        )  # fmt: skip
        took = time.monotonic() - started
    assert run.exit_code == 3, run.output
    assert "INCOMPLETE: --max-time reached" in run.output and "Traceback" not in run.output
    data = run.summary
    assert data["complete"] is False and data["incomplete_tests"] and data["totals"]["findings"] == 0
    reasons = {c["not_run_reason"] for c in data["checks"].values()}
    assert "--max-time reached before it judged a case" in reasons
    assert took < 8 + 3 + 15  # the time given, a request in flight, and the suite's start and end
