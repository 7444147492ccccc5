"""The generator's HTTP hot path against hand-paced targets: encodings, deadlines, pings, bursts, and the
headers every request carries. In-process (gevent sockets, no monkey-patching), loopback only."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from chatgate.load.http import USER_AGENT, HostClient
from chatgate.load.outcome import Outcome
from chatgate.load.validators import Validators
from chatgate.options import Deadlines
from tests.load import sse_servers
from tests.load.spec_variants import nara_rules

CHAT = "/api/v1.0/chat"
pytestmark = pytest.mark.timing  # gaps and deadlines measured to the millisecond


@pytest.fixture(scope="module")
def target() -> Iterator[str]:
    yield from sse_servers.serve()


ROOMY = Deadlines(5, 5, 10)
VALIDATORS = Validators()
VALIDATORS.warm()  # as a generator does before its first request: compiling a schema takes ms
RULES = nara_rules()  # the shipped spec's: what these servers speak


def stream(base: str, kind: str, deadlines: Deadlines = ROOMY) -> Outcome:
    client = HostClient(f"{base}/{kind}", {}, connections=4, deadlines=deadlines)
    try:
        return client.stream(Outcome("nara.stream"), CHAT, {"stream": True}, RULES, VALIDATORS)
    finally:
        client.close()


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compressed_streams_are_decoded_and_timed_event_by_event(target: str, encoding: str) -> None:
    out = stream(target, encoding)
    assert out.error is None, out.detail
    assert (out.events, out.validated, out.deltas) == (5, 5, 3)
    assert len(out.gaps) == 2 and out.tail_gap_s is not None
    # each event compressed and flushed on its own, 20 ms apart: the gaps survive the decoding
    for gap in [*out.gaps, out.tail_gap_s]:
        assert 0.015 <= gap <= 0.1, (out.gaps, out.tail_gap_s)
    assert not out.buffered


def test_a_stream_of_pings_only_ends_at_the_idle_deadline_as_a_timeout(target: str) -> None:
    started = time.perf_counter()
    out = stream(target, "pings", Deadlines(request_s=5, stream_idle_s=0.5, stream_s=30))
    took = time.perf_counter() - started
    assert out.error == "timeout" and "stream-idle-timeout" in out.detail, out.detail
    assert out.comments >= 3 and out.deltas == 2  # the pings kept coming; they do not count as events
    assert 0.45 <= took <= 1.5, took


def test_the_whole_stream_deadline_holds_even_while_events_would_keep_it_idle_free(target: str) -> None:
    out = stream(target, "paced", Deadlines(request_s=5, stream_idle_s=5, stream_s=0.2))
    assert out.error == "timeout" and "stream-timeout" in out.detail, out.detail
    assert out.total_s < 0.5


def test_a_stream_delivered_in_one_burst_is_counted_as_buffered(target: str) -> None:
    out = stream(target, "burst")
    assert out.error is None and out.events == 7 and out.buffered


def test_every_event_is_timed_and_validated(target: str) -> None:
    out = stream(target, "paced")
    assert out.error is None
    assert out.validated == out.events == 5
    assert out.ttft_s is not None and len(out.gaps) + 1 == out.deltas == 3


def test_every_request_says_what_it_is(target: str) -> None:
    sse_servers.HEADERS.clear()
    outs = [stream(target, "headers") for _ in range(3)]
    got = {k.lower(): v for k, v in sse_servers.HEADERS[0].items()}
    assert got["user-agent"] == USER_AGENT and USER_AGENT.startswith("chatgate/")
    ids = [h["X-Request-Id"] for h in sse_servers.HEADERS]
    assert ids == [o.request_id for o in outs] and len(set(ids)) == 3
    assert "gzip" in got["accept-encoding"]
