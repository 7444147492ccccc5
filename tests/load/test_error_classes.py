"""Every error class the load runs report, each from a server that makes exactly that error.

The reference server's fault flags hit a known share of requests, so the counts are exact; the
pagination faults come from the gate's catalogue of broken servers.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatgate.load.http import HostClient
from chatgate.load.outcome import Outcome
from chatgate.load.validators import Validators
from chatgate.options import Deadlines
from tests.contract.conftest import FaultyServer
from tests.load import sse_servers
from tests.load.conftest import run_judged
from tests.load.spec_variants import nara_rules

pytestmark = pytest.mark.slow
# Tiers: one run per error class in the default tier (contract, broken_stream, a pagination gap); the
# other classes and repeats in the e2e tier (.ci/run runs both).
E2E = pytest.mark.e2e


@pytest.mark.parametrize(
    ("flags", "validate", "expected"),
    [
        pytest.param(("--fault-malformed-event-rate", "1"), 1.0, "contract", id="malformed-validated"),
        # nothing validated against its schema: the data that is not JSON is still seen (the index and
        # link checks read every event)
        pytest.param(
            ("--fault-malformed-event-rate", "1"), 0.0, "contract", id="malformed-not-validated", marks=E2E
        ),
        pytest.param(
            ("--fault-missing-terminal-rate", "1"), 1.0, "broken_stream", id="missing-terminal", marks=E2E
        ),
        pytest.param(("--fault-stream-cut-rate", "1"), 1.0, "broken_stream", id="cut"),
        pytest.param(("--fault-429-rate", "1"), 1.0, "http_429", id="429", marks=E2E),
    ],
)
def test_stream_faults_have_their_class(
    serve: Any, tmp_path: Path, flags: tuple[str, ...], validate: float, expected: str | None
) -> None:
    server = serve(*flags)
    _, s = run_judged(
        "nara-stream-sends",
        tmp_path,
        users=4,
        run_time="2s",
        base_url=server.base_url,
        validate_sample=validate,
    )
    assert s["requests"] > 10
    assert s["errors"] == ({expected: s["requests"]} if expected else {}), s["errors"]


@pytest.mark.e2e
def test_a_slow_answer_is_a_timeout(serve: Any, tmp_path: Path) -> None:
    server = serve("--added-latency-ms", "1500")
    _, s = run_judged(
        "navigable-reads", tmp_path, users=2, run_time="3s", base_url=server.base_url, request_timeout_s=0.5
    )
    assert s["requests"] >= 4 and s["errors"] == {"timeout": s["requests"]}, s["errors"]


@pytest.mark.parametrize(
    ("fault", "contract_errors"),
    [
        pytest.param("none", False, marks=E2E),
        pytest.param("nara-overlapping-pages", True, marks=E2E),
        ("nara-pagination-off-by-one", True),
    ],
)
def test_paginated_reads_count_overlaps_and_gaps_as_contract_errors(
    tmp_path: Path, fault: str, contract_errors: bool
) -> None:
    server = FaultyServer(fault, tmp_path)
    try:
        _, s = run_judged("nara-paginated-reads", tmp_path, users=2, run_time="3s", base_url=server.base_url)
    finally:
        server.stop()
    assert s["walk"]["count"] > 5
    assert (s["errors"].get("contract", 0) > 0) is contract_errors, s["errors"]
    assert set(s["errors"]) <= {"contract"}


def test_a_refused_connection_is_a_connection_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        client = HostClient(f"http://127.0.0.1:{port}", {}, connections=1, deadlines=Deadlines(2, 2, 2))
        out = client.json(Outcome("navigable.read"), "GET", "/api/v1/chat")
        client.close()
    assert out.error == "connection"


@pytest.fixture
def error_end() -> Iterator[str]:
    for base in sse_servers.serve():
        yield f"{base}/error"


def test_a_stream_ending_in_an_error_event_is_a_stream_error(error_end: str) -> None:
    client = HostClient(error_end, {}, connections=1, deadlines=Deadlines(5, 5, 5))
    out = client.stream(Outcome("nara.stream"), "/api/v1.0/chat", {}, nara_rules(), Validators())
    client.close()
    assert out.error == "stream_error" and out.events == 3
