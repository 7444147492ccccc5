"""The gate's own proof: it fails every fault-injected variant of the reference server, naming the right
check, and passes the faithful server whatever the seed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.contract.conftest import FaultyServer, run_gate, summary
from tests.contract.faulty_server import EXPECTED, FAULTS

pytestmark = pytest.mark.slow


def test_catalogue_is_large_and_consistent() -> None:
    faults = set(FAULTS) - {"none"}
    assert faults == set(EXPECTED)
    assert len(faults) >= 20
    assert {f.split("-")[0] for f in faults} == {"nara", "navigable"}


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_gate_fails_each_fault(fault: str, faulty: Callable[..., FaultyServer], tmp_path: Path) -> None:
    server = faulty(fault)
    api = fault.split("-")[0]
    out = tmp_path / "reports"
    args = ("--api", api, "--base-url", server.base_url, "--max-examples", "2", "--seed", "1")
    proc = run_gate(*args, "--report-dir", str(out))
    assert proc.returncode == 1, (proc.stdout, proc.stderr[-2000:])
    assert "Traceback" not in proc.stdout + proc.stderr
    data = summary(out)
    named = {f["check"] for f in data["findings"]}
    assert named & EXPECTED[fault], f"{fault}: expected one of {EXPECTED[fault]}, got {sorted(named)}"
    for finding in data["findings"]:  # each one reproducible, with the key masked
        curl = finding["curl"]
        assert curl.startswith("curl ") and "http://127.0.0.1:" in curl, (finding["title"], curl)
        assert "dev-key" not in curl
        for header in re.findall(r"-H '((?:Authorization|X-Api-Key): [^']*)'", curl, re.I):
            assert header.endswith("***"), curl  # credentials sent are shown masked
    junit = ET.parse(out / "junit.xml").getroot()
    cases = [(c.get("classname"), c.get("name")) for c in junit.iter("testcase")]
    assert len(cases) == len(set(cases)) == data["totals"]["checks"]  # one per operation and check
    failed = sum(c.find("failure") is not None for c in junit.iter("testcase"))
    assert failed == data["totals"]["failed_checks"] > 0


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_gate_passes_the_faithful_server(
    seed: int, faulty: Callable[..., FaultyServer], tmp_path: Path
) -> None:
    server = faulty("none")
    out = tmp_path / "reports"
    proc = run_gate(
        "--base-url", server.base_url, "--max-examples", "3", "--seed", str(seed), "--report-dir", str(out)
    )
    data = summary(out)
    assert proc.returncode == 0, [
        f"{f['check']}: {f['title']}: {f['message'][:200]}" for f in data["findings"]
    ]
    assert data["verdict"] == "pass" and data["totals"]["findings"] == 0
    assert data["totals"]["cases"] > 100


def test_gate_passes_the_faithful_server_at_the_default_profile(
    faulty: Callable[..., FaultyServer], tmp_path: Path
) -> None:
    server = faulty("none")
    out = tmp_path / "reports"
    proc = run_gate("--base-url", server.base_url, "--seed", "11", "--report-dir", str(out))
    data = summary(out)
    assert proc.returncode == 0, [f"{f['check']}: {f['title']}" for f in data["findings"]]
    assert data["max_examples"] == 50 and data["totals"]["generated_cases"] > 500
