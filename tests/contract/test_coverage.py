"""Spec coverage in every gate report (issue 23), proven against the reference server: the answers the
gate saw per operation and status are the server's own counts; a 500 and a stream's error event are seen
only when the server fails (its fault flags), and listed as never exercised with why otherwise; the
change since the baseline's record; ``--min-coverage`` exit codes through the real CLI.

Tiers: the incomplete run (floors not judged) is e2e; the rest run in the default tier."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.contract.conftest import Faulty, gate, run_gate, summary

pytestmark = pytest.mark.slow
QUICK = ("--max-examples", "2", "--seed", "1")


def _seen(data: dict[str, Any]) -> Counter[tuple[str, str, str]]:
    """(api, operationId, status) -> answers the gate saw, over every media type."""
    out: Counter[tuple[str, str, str]] = Counter()
    for r in data["coverage"]["responses"]:
        if r["seen"]:
            out[(r["api"], r["operation"], str(r["status"]))] += r["seen"]
    return out


def _never(data: dict[str, Any]) -> dict[tuple[str, str, str], str]:
    return {(i["api"], i["operation"], i["what"]): i["reason"] for i in data["coverage"]["never"]}


def test_seen_is_the_servers_own_count_per_operation_and_status(faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("none")
    run = gate("--base-url", server.base_url, *QUICK, report_dir=tmp_path)
    assert run.exit_code == 0, run.output
    stats, data = server.stats(), run.summary
    theirs = Counter(
        {(api, op, status): n for api, ops in stats["requests"].items() for op, by in ops.items()
         for status, n in by.items()}
    )  # fmt: skip
    assert _seen(data) == theirs and sum(theirs.values()) > 500  # every attempt, probes included
    for r in data["coverage"]["responses"]:
        assert r["judged"] <= r["seen"] and r["retried"] == 0, r
    streams = sum(r["seen"] for r in data["coverage"]["responses"] if r["media_type"] == "text/event-stream")
    events = {e["event"]: e["seen"] for e in data["coverage"]["events"]}
    assert events["message_start"] == events["message_end"] == streams > 0 and events["error"] == 0
    assert stats["streams"]["started"] == streams
    never = _never(data)
    assert never[("nara", "sendChatMessage", "500 application/json")].startswith("a server error")
    assert never[("nara", "sendChatMessage", "event error")].startswith("the stream's error event")
    assert never[("navigable", "sendChatMessage", "429 application/json")].startswith("rate limiting")
    # what the gate provokes itself: a body over the spec's 1 MiB, a body of another media type
    for api in ("nara", "navigable"):
        assert theirs[(api, "sendChatMessage", "413")] == 1 and theirs[(api, "sendChatMessage", "415")] >= 1
    assert "### Coverage" in (tmp_path / "summary.md").read_text()
    assert data["coverage"]["rules"] and all(r["state"] == "covered" for r in data["coverage"]["rules"])


def test_a_500_and_the_error_event_are_seen_when_the_server_fails_them(
    faulty: Faulty, tmp_path: Path
) -> None:
    baseline = tmp_path / "baseline.json"
    scope = ("--api", "nara", *QUICK, "--baseline", str(baseline))
    clean = gate(
        "--base-url", faulty("none").base_url, *scope, "--update-baseline", report_dir=tmp_path / "a"
    )
    assert clean.exit_code == 0, clean.output
    assert json.loads(baseline.read_text())["coverage"]["never"]  # the run's coverage, recorded
    server = faulty("none", fault_500_rate=0.01, fault_stream_error_rate=0.5)
    run = gate("--base-url", server.base_url, *scope, report_dir=tmp_path / "b")
    assert run.exit_code == 1, run.output  # the 500s are findings (not_a_server_error)
    data = run.summary
    seen = _seen(data)
    failed = seen[("nara", "sendChatMessage", "500")] + seen[("nara", "listChatMessages", "500")]
    assert failed == server.stats()["faults"]["500"] > 0
    events = {e["event"]: e["seen"] for e in data["coverage"]["events"]}
    assert events["error"] == server.stats()["streams"]["errored"] > 0
    never = _never(data)
    assert ("nara", "sendChatMessage", "event error") not in never
    for op in ("sendChatMessage", "listChatMessages"):
        assert (("nara", op, "500 application/json") in never) == (not seen[("nara", op, "500")])
    change = data["coverage"]["baseline"]
    assert (
        change["share"]["nara"]["events"]["change"] > 0 and change["share"]["nara"]["responses"]["change"] > 0
    )
    md = (tmp_path / "b" / "summary.md").read_text()
    assert "pts since the baseline" in md and not [f for f in data["findings"] if f["check"] == "coverage"]


def test_min_coverage_exit_codes_through_the_cli(faulty: Faulty, tmp_path: Path) -> None:
    for bad in ("rules=2", "reponses=80%", "events=most"):
        proc = run_gate("--min-coverage", bad, "--report-dir", str(tmp_path / "x"))
        assert proc.returncode == 2 and "chatgate: error: --min-coverage" in proc.stderr, proc.stderr
    server = faulty("none")
    scope = ("--api", "navigable", "--base-url", server.base_url, *QUICK)
    ok = run_gate(
        *scope, "--min-coverage", "rules=100%,parameters=0.9,events=100%", "--report-dir", str(tmp_path / "a")
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert summary(tmp_path / "a")["coverage"]["min_coverage"]["judged"] is True
    low = run_gate(*scope, "--min-coverage", "responses=90%", "--report-dir", str(tmp_path / "b"))
    assert low.returncode == 1, low.stdout + low.stderr
    assert "FAIL (coverage below --min-coverage): 0 new finding(s)" in low.stdout
    assert "navigable responses 67% (8/12) < 90%: never exercised: getChatSessionMessages 429" in low.stdout
    data = summary(tmp_path / "b")
    assert data["findings"] == [] and data["coverage"]["min_coverage"]["shortfalls"]
    sarif = json.loads((tmp_path / "b" / "findings.sarif").read_text())
    assert sarif["runs"][0]["results"] == []  # a shortfall is not a finding


@pytest.mark.e2e
def test_floors_are_not_judged_in_an_incomplete_run(tmp_path: Path) -> None:
    from chatgate.embedded import EmbeddedServer

    with EmbeddedServer(["--db", str(tmp_path / "db.sqlite3"), "--added-latency-ms", "3000"]) as server:
        started = time.monotonic()
        run = gate(
            "--api", "navigable", "--base-url", server.base_url, *QUICK, "--max-time", "8s",
            "--min-coverage", "responses=100%", report_dir=tmp_path / "r",
        )  # fmt: skip
    assert run.exit_code == 3, run.output  # not 1: an incomplete run's coverage is not judged
    assert "--min-coverage not judged: the run did not complete" in run.output
    floors = run.summary["coverage"]["min_coverage"]
    assert floors == {"floors": {"responses": 1.0}, "judged": False, "shortfalls": []}
    assert time.monotonic() - started < 30
