"""Spec coverage without a gate run (issue 23): what the transport's observer counts from a request, how
documented items are matched and judged covered, never or excluded, the floors, the baseline's record, and
the reports. The gate runs that prove the counts against the server's own are in test_coverage.py."""

from __future__ import annotations

import json
import socket
import struct
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests

from chatgate.contract_model import model_for
from chatgate.errors import UsageError
from chatgate.gate.baseline import load_baseline, render_baseline
from chatgate.gate.coverage import Coverage, against, parse_floors
from chatgate.gate.coverage_build import build_coverage
from chatgate.gate.coverage_record import CoverageLedger, CoverageRecord
from chatgate.gate.ledger import SuiteRecord
from chatgate.gate.markdown import render_markdown
from chatgate.gate.model import Tally
from chatgate.gate.reports import render_reports
from chatgate.gate.result import GateResult, check_verdicts
from chatgate.gate.scope import Scope
from chatgate.gate.summary import load_schema
from contracts.coverage import Coverage as Observer
from contracts.wire import Wire

SEND, LIST = "POST /api/v1.0/chat", "GET /api/v1.0/chat/messages"
NAV_SEND, NAV_URL = "POST /api/v1/chat", "http://target/api/v1/chat"
RATE = "rate limiting: the gate does not flood the target to provoke it"
FAILED = "a server error: the gate does not cause one on purpose"
JSON = "application/json"


def _request(method: str, url: str, **kwargs: Any) -> requests.PreparedRequest:
    return requests.Request(method, url, **kwargs).prepare()


def _observed(*sent: tuple[str, str, requests.PreparedRequest, Wire | None]) -> CoverageRecord:
    ledger = CoverageLedger()
    observer = Observer(ledger)
    for api, label, request, wire in sent:
        observer.sent(api, label, request, wire)
    return ledger.snapshot()


def test_the_observer_counts_answers_events_and_each_value_against_its_schema() -> None:
    base = "http://target/api/v1.0"
    stream = Wire(200, {"Content-Type": "text/event-stream; charset=utf-8"}, stream=True,
                  names={"message_start": 1, "delta": 3, "message_end": 1})  # fmt: skip
    record = _observed(
        ("nara", LIST, _request("GET", f"{base}/chat/messages", params={"user_id": "7", "sort_by": "id:asc"}),
         Wire(200, {"content-type": JSON})),
        ("nara", LIST, _request("GET", f"{base}/chat/messages", params={"user_id": "x", "rows_per_page": 0}),
         Wire(400, {"content-type": JSON})),
        ("nara", LIST, _request("GET", f"{base}/chat/messages", params={"sort_by": "name:up"}), None),
        ("nara", SEND, _request("POST", f"{base}/chat", json={"message": "hi", "conversation_id": "c",
                                                              "stream": True}), stream),
        ("nara", SEND, _request("POST", f"{base}/chat", json={"message": "", "temperature": 2}),
         Wire(400, {"content-type": JSON})),
        ("navigable", NAV_SEND, _request("POST", NAV_URL, data={"message": "hi", "new": "true"}),
         Wire(200, {"content-type": JSON})),
        ("nara", "PUT /api/v1.0/chat", _request("PUT", f"{base}/chat"), Wire(405, {"content-type": JSON})),
    )  # fmt: skip
    p = {(k[1], k[2], k[3]): c for k, c in record.parameters.items()}
    user = p[(LIST, "query", "user_id")]
    assert (user.valid, user.invalid, user.absent) == (1, 1, 1)  # "7" read as 7; "x" is not an integer
    assert p[(LIST, "query", "rows_per_page")].invalid == 1  # below its minimum
    sort = p[(LIST, "query", "sort_by")]
    assert (sort.valid, sort.invalid, dict(sort.values)) == (1, 1, {'"id:asc"': 1})
    message, temperature = p[(SEND, "body", "message")], p[(SEND, "body", "temperature")]
    assert (message.valid, message.invalid) == (1, 1) and (temperature.valid, temperature.invalid) == (0, 1)
    assert p[(SEND, "body", "conversation_id")].absent == 1
    assert dict(p[(SEND, "body", "stream")].values) == {"true": 1}
    assert p[(NAV_SEND, "body", "new")].valid == 1  # a form's text held to the form's own schema
    assert record.seen == {
        ("nara", LIST, 200, JSON): 1,
        ("nara", LIST, 400, JSON): 1,
        ("nara", SEND, 200, "text/event-stream"): 1,
        ("nara", SEND, 400, JSON): 1,
        ("navigable", NAV_SEND, 200, JSON): 1,
    }  # fmt: skip  (no answer: not seen; an undocumented method: no operation)
    assert record.events[("nara", SEND, 200, "text/event-stream", "delta")] == 3
    assert CoverageRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record


def _record(**more: Any) -> CoverageRecord:
    """Every Nara answer the faithful server gives, one of each, and the rules judged once."""
    seen = {("nara", SEND, s, m): 1 for s, m in ((200, JSON), (200, "text/event-stream"), (400, JSON),
                                                  (401, JSON), (413, JSON), (415, JSON))}  # fmt: skip
    seen |= {("nara", LIST, s, JSON): 1 for s in (200, 400, 401, 403)}
    events = {
        ("nara", SEND, 200, "text/event-stream", e): 1 for e in ("message_start", "delta", "message_end")
    }
    model = model_for("nara")
    rules = {("nara", p, "x"): 1 for op in model.operations for k in ("stream", "read-back", "pagination",
             "ownership", "window") for p in model.rule_pointers(k, op)}  # fmt: skip
    return CoverageRecord(**{"seen": seen, "events": events, "rules": rules, **more})


def test_what_was_never_exercised_is_listed_with_why_and_scope_leaves_items_out() -> None:
    c = build_coverage(["nara"], _record(), Scope(), {}, {})
    never = {(i.operation, i.what): i.reason for i in c.never() if i.kind != "parameters"}
    assert never == {
        ("sendChatMessage", "429 application/json"): RATE,
        ("sendChatMessage", "500 application/json"): FAILED,
        ("listChatMessages", "429 application/json"): RATE,
        ("listChatMessages", "500 application/json"): FAILED,
        (
            "sendChatMessage",
            "event error",
        ): "the stream's error event (x-chatgate-stream error_event): only a "
        "target that fails a stream sends it; the gate cannot cause that",
    }
    share = c.share()["nara"]
    assert (share["responses"].covered, share["responses"].total) == (10, 14)
    assert (share["events"].covered, share["events"].total) == (3, 4) and share["rules"].fraction == 1.0
    # --read-only: the send is out of scope (excluded, not never), and so is every rule a writing check judges
    ro = build_coverage(["nara"], CoverageRecord(), Scope(read_only=True), {}, {})
    excluded = {(i.operation, i.what): i.reason for i in ro.items() if i.state == "excluded"}
    assert excluded[("sendChatMessage", "413 application/json")] == "--read-only: GET operations only"
    assert not any(i.operation == "sendChatMessage" for i in ro.never())
    # --checks pagination: no generated case is sent, so what only they reach is excluded; the rule is not
    narrow = build_coverage(["nara"], CoverageRecord(), Scope(checks=("pagination",)), {}, {})
    states = {(i.operation, i.what): i.state for i in narrow.items()}
    assert states[("listChatMessages", "400 application/json")] == "excluded"
    assert states[("listChatMessages", "pagination rule")] == "never"
    assert states[("listChatMessages", "ownership rule")] == "excluded"
    # --mode positive: invalid values are out of scope; an enum value never sent stays never
    pos = build_coverage(["nara"], CoverageRecord(), Scope(mode="positive"), {}, {})
    states = {
        i.what: i.state for i in pos.items() if i.operation == "listChatMessages" and i.kind == "parameters"
    }
    assert (
        states["query sort_by: invalid value"] == "excluded"
        and states['query sort_by: value "id:asc"'] == "never"
    )


def test_a_provoked_answer_that_did_not_come_says_what_was_sent_and_what_came_back() -> None:
    got = (
        "a valid application/json body of 1048577 bytes (the spec's limit: 1048576); got 400 application/json"
    )
    record = _record(seen={}, provoked={("nara", SEND, "413"): got})
    c = build_coverage(["nara"], record, Scope(), {}, {})
    reasons = {(i.operation, i.what): i.reason for i in c.never()}
    assert reasons[("sendChatMessage", "413 application/json")] == f"provoked with {got}"
    assert reasons[("sendChatMessage", "415 application/json")].startswith("not provoked in this run")


def test_undocumented_answers_and_retries_are_listed_outside_the_shares() -> None:
    key = ("nara", LIST, 200, JSON)
    record = _record(retried={("nara", LIST, 429, JSON): 2} | {key: 0},
                     judged={key: 1}, judged_by={(key, "pagination"): 3})  # fmt: skip
    record = record.with_seen(
        [("nara", LIST, 429, JSON), ("nara", LIST, 429, JSON), ("nara", LIST, 418, "text/plain")]
    )
    c = build_coverage(["nara"], record, Scope(), {}, {})
    rows = {(r.operation, r.status, r.media_type): r for r in c.responses}
    assert (
        rows[("listChatMessages", 429, JSON)].retried == 2 and rows[("listChatMessages", 429, JSON)].seen == 2
    )
    teapot = rows[("listChatMessages", 418, "text/plain")]
    assert not teapot.documented and teapot.item is None and teapot.to_dict()["state"] == "undocumented"
    assert rows[("listChatMessages", 200, JSON)].judged == 1  # bounded by what was seen
    assert c.share()["nara"]["responses"].total == 14


def test_floors_are_per_api_and_a_malformed_one_is_a_usage_error() -> None:
    assert parse_floors("responses=80%, events=1,parameters=0.9") == {
        "responses": 0.8, "events": 1.0, "parameters": 0.9
    }  # fmt: skip
    for bad in ("reponses=80%", "responses", "responses=80%%", "rules=1.5", "events=-1", ""):
        with pytest.raises(UsageError, match="--min-coverage"):
            parse_floors(bad)
    c = build_coverage(["nara", "navigable"], _record(), Scope(), {}, {})
    short = c.shortfalls({"responses": 0.8, "events": 1.0, "rules": 1.0})
    assert short[0].startswith("nara responses 71% (10/14) < 80%: never exercised: sendChatMessage 429")
    assert any(s.startswith("navigable responses 0% (0/12) < 80%") for s in short)
    assert not any(" rules " in s for s in short[:1]) and not any("navigable events" in s for s in short)


def test_the_baseline_keeps_the_runs_coverage_and_older_files_still_load(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"version": 2, "findings": []}))
    assert load_baseline(old).coverage is None
    then = build_coverage(["nara"], _record(), Scope(), {}, {})
    text = render_baseline([], load_baseline(old), lambda e: True, then.record())
    old.write_text(text)
    kept = load_baseline(old)
    assert kept.coverage == json.loads(text)["coverage"] and kept.coverage["version"] == 1
    assert (
        json.loads(render_baseline([], kept, lambda e: True))["coverage"] == kept.coverage
    )  # kept as it was
    now = build_coverage(["nara"], _record(seen={}), Scope(), {}, {})
    change = against(now, kept.coverage)
    assert change["share"]["nara"]["responses"] == {"before": 0.7143, "now": 0.0, "change": -0.7143}
    dropped = {"kind": "responses", "api": "nara", "operation": "listChatMessages"}
    assert {**dropped, "what": "200 application/json", "reason": "no request of the run got this answer"} in (
        change["newly_never"]
    )
    old.write_text(json.dumps({"version": 2, "findings": [], "coverage": "high"}))
    with pytest.raises(UsageError, match="coverage record"):
        load_baseline(old)


def test_reports_show_the_coverage_never_exercised_first(tmp_path: Path) -> None:
    coverage = build_coverage(["nara"], _record(), Scope(), {("nara", LIST, "pagination"): Tally(3)}, {})
    before = build_coverage(["nara"], _record(events={}), Scope(), {}, {}).record()
    tallies = {("nara", LIST, "pagination"): Tally(3)}
    result = GateResult(
        exit_code=1, apis=("nara",), targets={"nara": "http://t"}, embedded=False, seed=0, max_examples=1,
        scope=Scope(), started_at="2026-01-01T00:00:00+00:00", seconds=1.0,
        record=SuiteRecord(tallies=tallies),
        findings=(), checks=check_verdicts(tallies, Scope(), {}), traffic={}, coverage=coverage,
        coverage_floors={"events": 1.0}, coverage_shortfalls=tuple(coverage.shortfalls({"events": 1.0})),
        coverage_before=before,
    )  # fmt: skip
    md = render_markdown(result)
    assert "## ❌ chatgate contract: coverage below --min-coverage" in md
    section = md[md.index("### Coverage") :]
    assert (
        "| nara | 71% (10/14) · +0 pts since the baseline | 75% (3/4) · +75 pts since the baseline |"
        in section
    )
    assert "- nara events 75% (3/4) < 100%: never exercised: sendChatMessage event error" in section
    assert "**Never exercised now, not so in the baseline's record** (" not in section  # events grew
    dropped = render_markdown(replace(result, coverage_before={"share": {}, "never": []}))
    assert "**Never exercised now, not so in the baseline's record** (" in dropped
    assert "- nara sendChatMessage event error: the stream's error event" in dropped
    page = render_reports(replace(result, coverage_before={"share": {}, "never": []}))["report.html"]
    assert "Never exercised now, not so in the baseline" in page
    table = section.split("#### ")[1]
    assert table.startswith("nara `listChatMessages` · 14 never exercised")  # the most never first
    assert table.index("⛔ never") < table.index("✅ covered")
    files = render_reports(result)
    summary = json.loads(files["summary.json"])
    jsonschema.Draft202012Validator(load_schema()).validate(summary)
    assert summary["coverage"]["min_coverage"] == {
        "floors": {"events": 1.0}, "judged": True, "shortfalls": list(result.coverage_shortfalls)
    }  # fmt: skip
    assert summary["coverage"]["checks"] == [{"api": "nara", "check": "pagination", "judged": 3}]
    assert summary["findings"] == [] and "never exercised" in files["report.html"]
    empty = Coverage(("nara",)).to_dict()
    assert empty["share"]["nara"]["rules"] == {"covered": 0, "total": 0, "fraction": None}


def _closing_server() -> tuple[socket.socket, threading.Thread]:
    """A target that reads a request's headers and closes the connection (as a server may refuse a body
    over its size limit before reading it)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        for _ in range(2):
            conn, _ = listener.accept()
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # a reset

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


def test_a_target_that_closes_on_a_provoked_body_is_no_transport_finding() -> None:
    from chatgate.gate.ledger import Ledger
    from chatgate.targets import Target
    from contracts.client import Client
    from contracts.gate import Gate

    listener, thread = _closing_server()
    ledger = Ledger()
    client = Client(
        Gate(ledger, {}, Scope()), Target("nara", f"http://127.0.0.1:{listener.getsockname()[1]}", "k")
    )
    op = model_for("nara").streamed()[0]
    big = "{}" + " " * (4 << 20)
    tolerated = client.request(op, content=big, headers={"Content-Type": JSON}, closed_early_ok=True)
    assert tolerated.error is not None and ledger.snapshot().tallies == {}
    judged = client.request(op, content=big, headers={"Content-Type": JSON})
    assert judged.error is not None
    assert [f.check for f in ledger.snapshot().findings] == ["transport"]  # any other request: a finding
    thread.join(5)
    listener.close()
    client.close()
