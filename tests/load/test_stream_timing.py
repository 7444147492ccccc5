"""Stream timing against a hand-paced SSE server: every gap is seen, the one before the end included.

The server here is a few lines of the standard library, so the truth is exact: three deltas 20 ms
apart, then a 300 ms stall before ``message_end``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from chatgate.load.http import HostClient
from chatgate.load.outcome import Outcome
from chatgate.load.validators import Validators
from chatgate.options import Deadlines
from tests.load.conftest import run_judged
from tests.load.spec_variants import nara_rules

# Tiers: the gap before the terminal event in the default tier; the stall (marked e2e) in the e2e
# tier, which .ci/run runs too.

STALL_S = 0.3
PAGE = {
    "data": [],
    "pagination": {"current_page": 1, "rows_per_page": 1, "total_rows": 0, "total_pages": 0},
}


class _Paced(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # the load runner's probe
        body = json.dumps(PAGE).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()

        def event(name: str, **data: Any) -> None:
            self.wfile.write(f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n".encode())
            self.wfile.flush()

        event("message_start", message_id=2, user_message_id=1, conversation_id="c")
        for i in range(3):
            time.sleep(0.02)
            event("delta", index=i, content="x")
        time.sleep(STALL_S)
        event("message_end", message_id=2, finish_reason="stop")


@pytest.fixture(scope="module")
def paced() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Paced)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.timing
def test_the_gap_before_the_terminal_event_is_measured(paced: str) -> None:
    client = HostClient(paced, {}, connections=1, deadlines=Deadlines(5, 5, 10))
    out = client.stream(Outcome("nara.stream"), "/api/v1.0/chat", {}, nara_rules(), Validators())
    client.close()
    assert out.error is None, out.detail
    assert out.events == 5 and len(out.gaps) == 2
    # Bounds loose enough for a busy machine, tight enough to tell the stall from the deltas' pace.
    assert max(out.gaps) < 0.15, out.gaps
    assert out.tail_gap_s is not None and STALL_S - 0.08 <= out.tail_gap_s <= STALL_S + 0.25


@pytest.mark.e2e
@pytest.mark.timing
@pytest.mark.slow
def test_a_stall_before_the_end_breaches_max_gap(paced: str, tmp_path: Path) -> None:
    slo = tmp_path / "slo.toml"
    slo.write_text("[scenario.nara-stream-sends]\nmax_gap_ms = 200\np99_itl_ms = 150\n", encoding="utf-8")
    result, s = run_judged(
        "nara-stream-sends", tmp_path, users=2, run_time="3s", base_url=paced, slo_file=slo
    )
    assert s["error_rate"] == 0.0, s["errors"]
    assert s["itl"]["max"] < 150  # the deltas themselves were on time
    assert s["largest_gap"]["max"] >= STALL_S * 1000 - 80
    assert result.exit_code == 1
    assert [c.key for c in result.breaches] == ["max_gap_ms"]
