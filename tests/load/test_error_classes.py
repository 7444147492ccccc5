"""Every error class the load runs report, each from a server that makes exactly that error.

The reference server's fault flags hit a known share of requests, so the counts are exact; the
pagination faults come from the gate's catalogue of broken servers.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from chatgate.load.client import Validators, request_json, stream_send
from chatgate.load.runner import run_load
from tests.contract.conftest import FaultyServer

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("flags", "validate", "expected"),
    [
        (("--fault-malformed-event-rate", "1"), 1.0, "contract"),
        (("--fault-malformed-event-rate", "1"), 0.0, None),  # nothing validated: nothing seen
        (("--fault-missing-terminal-rate", "1"), 1.0, "broken_stream"),
        (("--fault-stream-cut-rate", "1"), 1.0, "broken_stream"),
        (("--fault-429-rate", "1"), 1.0, "http_429"),
    ],
    ids=["malformed-validated", "malformed-not-validated", "missing-terminal", "cut", "429"],
)
def test_stream_faults_have_their_class(
    serve: Any, tmp_path: Path, flags: tuple[str, ...], validate: float, expected: str | None
) -> None:
    server = serve(*flags)
    s = run_load(
        "nara-stream-sends",
        users=4,
        run_time="3s",
        base_url=server.base_url,
        report_dir=tmp_path,
        validate_sample=validate,
    ).summary
    assert s["requests"] > 10
    assert s["errors"] == ({expected: s["requests"]} if expected else {}), s["errors"]


def test_a_slow_answer_is_a_timeout(serve: Any, tmp_path: Path) -> None:
    server = serve("--added-latency-ms", "1500")
    s = run_load(
        "navigable-reads",
        users=2,
        run_time="3s",
        base_url=server.base_url,
        report_dir=tmp_path,
        extra_env={"CHATGATE_TIMEOUT": "0.5"},
    ).summary
    assert s["requests"] >= 4 and s["errors"] == {"timeout": s["requests"]}, s["errors"]


@pytest.mark.parametrize(
    ("fault", "contract_errors"),
    [("none", False), ("nara-overlapping-pages", True), ("nara-pagination-off-by-one", True)],
)
def test_paginated_reads_count_overlaps_and_gaps_as_contract_errors(
    tmp_path: Path, fault: str, contract_errors: bool
) -> None:
    server = FaultyServer(fault, tmp_path)
    try:
        s = run_load(
            "nara-paginated-reads", users=2, run_time="3s", base_url=server.base_url, report_dir=tmp_path
        ).summary
    finally:
        server.stop()
    assert s["walk"]["count"] > 5
    assert (s["errors"].get("contract", 0) > 0) is contract_errors, s["errors"]
    assert set(s["errors"]) <= {"contract"}


def test_a_refused_connection_is_a_connection_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        with requests.Session() as session:
            out = request_json(
                session, "GET", f"http://127.0.0.1:{port}/api/v1/chat", headers={}, timeout=2,
                validators=None, api="navigable", pointer="#/components/schemas/SessionMessagesResponse",
                name="navigable.read",
            )  # fmt: skip
    assert out.error == "connection"


class _ErrorEnd(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for name, data in (
            ("message_start", {"message_id": 2, "user_message_id": 1, "conversation_id": "c"}),
            ("delta", {"index": 0, "content": "x"}),
            ("error", {"code": "internal_error", "message": "The reply could not be completed."}),
        ):
            self.wfile.write(f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n".encode())


@pytest.fixture
def error_end() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ErrorEnd)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_stream_ending_in_an_error_event_is_a_stream_error(error_end: str) -> None:
    with requests.Session() as session:
        out = stream_send(session, f"{error_end}/api/v1.0/chat", {}, {}, timeout=5, validators=Validators())
    assert out.error == "stream_error" and out.events == 3
