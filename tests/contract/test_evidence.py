"""Evidence that is the failure (issue 21): a flaky 500 is only the server's error, seen in k of n and
intermittent (a replay of the same request passed); a check that sends its own request shows that
request and what it got; a finding without a schema keyword points at the rule it broke."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatgate.contract_model import model_for
from chatgate.specs import find_line, spec_path
from tests.contract.conftest import Faulty, gate
from tests.contract.faulty_server import NARA_GET, NARA_POST, NAV_GET

pytestmark = pytest.mark.slow
QUICK = ("--max-examples", "2", "--seed", "1")


def test_a_flaky_500_is_only_the_servers_error_seen_in_k_of_n_and_intermittent(
    faulty: Faulty, tmp_path: Path
) -> None:
    server = faulty("nara-500-on-first-try")
    run = gate("--api", "nara", "--base-url", server.base_url, *QUICK, "--include-name", NARA_GET,
               report_dir=tmp_path)  # fmt: skip
    assert run.exit_code == 1, run.output
    [finding] = run.summary["findings"]
    assert finding["check"] == "not_a_server_error" and finding["agreeing"] == []
    assert 0 < finding["occurrences"] < finding["judged"]  # seen in k of n
    assert finding["intermittent"] is True  # the same request, sent again, was served
    assert all(e["status"] == 500 for e in finding["examples"])
    assert (
        "seen in" in (tmp_path / "summary.md").read_text()
        and "intermittent" in (tmp_path / "summary.md").read_text()
    )


def test_a_check_that_sends_its_own_request_shows_that_request(faulty: Faulty, tmp_path: Path) -> None:
    """ignored_auth replays a request without valid credentials: its finding shows that request (no key)
    and the answer it got, not the authorised request's."""
    server = faulty("navigable-auth-ignored")
    args = ("--api", "navigable", "--base-url", server.base_url, *QUICK, "--include-name", NAV_GET)
    run = gate(*args, "--checks", "ignored_auth", report_dir=tmp_path)
    assert run.exit_code == 1, run.output
    [finding] = run.summary["findings"]
    example = finding["examples"][0]
    assert finding["check"] == "ignored_auth" and example["status"] == 200
    assert "${NAVIGABLE_API_KEY}" not in example["curl"]  # the credentials the check sent, not the valid key
    assert "${NAVIGABLE_API_KEY}" not in json.dumps(example["request"]["headers"])


def test_a_grammar_finding_points_at_the_grammar(faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("nara-stream-grammar")
    args = ("--api", "nara", "--base-url", server.base_url, *QUICK, "--include-name", NARA_POST)
    run = gate(*args, "--checks", "stream_grammar", report_dir=tmp_path)
    assert run.exit_code == 1, run.output
    [finding] = run.summary["findings"]
    stream = model_for("nara").streamed()[0].stream
    assert stream is not None and finding["spec_pointer"] == stream.grammar_pointer
    parts = [p.replace("~1", "/") for p in stream.grammar_pointer.split("/")[1:]]
    line = find_line(spec_path("nara"), parts)
    assert finding["location"]["schema_line"] == line
    sarif = json.loads((tmp_path / "findings.sarif").read_text())
    [result] = sarif["runs"][0]["results"]
    related = result["relatedLocations"][0]
    assert related["physicalLocation"]["region"]["startLine"] == line
    assert related["message"]["text"].startswith("the violated rule")
