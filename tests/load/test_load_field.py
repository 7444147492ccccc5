"""Load runs behind real transports (tests/field_proxy.py in front of the paced reference server):
compressing proxies, CRLF and 1-byte chunks with pings, buffering proxies, and a target that stalls
after two deltas and then only pings. The generator is still its own process (Locust); the proxy runs
in this one."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.field_proxy import FieldProxy, ProxyConfig
from tests.load.conftest import run_judged

# Tiers: gzip and CRLF/1-byte chunks/pings in the default tier; br, the buffering proxy and the
# stalling target (marked e2e) in the e2e tier, which .ci/run runs too.
pytestmark = pytest.mark.slow
PACED = ("--ttft-ms", "100", "--itl-ms", "20", "--reply-tokens", "8")  # 100 ms + 7 x 20 ms


@pytest.mark.timing
@pytest.mark.parametrize("encoding", ["gzip", pytest.param("br", marks=pytest.mark.e2e)])  # tiers
def test_a_compressing_proxy_keeps_streams_timed(serve: Any, tmp_path: Path, encoding: str) -> None:
    server = serve(*PACED)
    with FieldProxy(server.base_url, ProxyConfig(encoding=encoding)) as proxy:
        result, s = run_judged(
            "nara-stream-sends", tmp_path, arrival_rate=10, run_time="4s", base_url=proxy.base_url
        )
        encoded = proxy.counts.encoded[encoding]
    assert encoded >= s["requests"] > 20, (encoded, s["requests"])
    assert s["errors"] == {} and s["streams"]["buffered"] == 0
    assert s["streams"]["events_validated"] == s["streams"]["events"] == 10 * s["requests"]
    # the proxy's own hop (headers) comes on top of the server's 100 ms; the pacing itself survives
    first_delta_after_headers = s["ttft"]["p50"] - s["headers"]["p50"]
    assert abs(first_delta_after_headers - 100) <= 5, (s["ttft"], s["headers"])
    assert abs(s["itl"]["p50"] - 20) <= 2, s["itl"]
    assert result.exit_code == 0, s["invalid_reason"]


def test_crlf_one_byte_chunks_and_pings_are_read_event_by_event(serve: Any, tmp_path: Path) -> None:
    server = serve(*PACED)
    config = ProxyConfig(line_ends="crlf", rechunk=1, ping_every_s=0.01)
    with FieldProxy(server.base_url, config) as proxy:
        _, s = run_judged(
            "nara-stream-sends", tmp_path, arrival_rate=5, run_time="3s", base_url=proxy.base_url
        )
        pings = proxy.counts.pings
    assert s["requests"] > 5 and s["errors"] == {}, s["errors"]
    assert s["streams"]["events_validated"] == s["streams"]["events"] == 10 * s["requests"]
    assert s["streams"]["comments"] == pings > 0


@pytest.mark.e2e
def test_a_buffering_proxy_is_named_in_a_warning(serve: Any, tmp_path: Path) -> None:
    server = serve(*PACED)
    with FieldProxy(server.base_url, ProxyConfig(buffer_streams=True)) as proxy:
        _, s = run_judged(
            "nara-stream-sends", tmp_path, arrival_rate=5, run_time="3s", base_url=proxy.base_url
        )
        buffered = proxy.counts.buffered
    assert s["streams"]["buffered"] == s["requests"] == buffered > 0
    assert any("one burst" in w for w in s["warnings"]) and s["itl"]["p50"] < 1  # gaps of a burst


@pytest.mark.e2e
def test_a_target_that_stalls_and_only_pings_times_out_and_the_run_ends_on_time(
    serve: Any, tmp_path: Path, lenient_slo: Path
) -> None:
    server = serve(*PACED)
    config = ProxyConfig(stall_after_deltas=2, ping_every_s=0.1)
    started = time.monotonic()
    with FieldProxy(server.base_url, config) as proxy:
        result, s = run_judged(
            "nara-stream-sends", tmp_path, arrival_rate=5, run_time="3s", base_url=proxy.base_url,
            stream_idle_timeout_s=1.0, slo_file=lenient_slo,
        )  # fmt: skip
    took = time.monotonic() - started
    assert result.exit_code == 1 and s["requests"] > 5
    assert s["errors"] == {"timeout": s["requests"]}, s["errors"]
    assert s["unfinished"] == 0 and s["streams"]["comments"] > 0
    assert took < 3 + 1 + 12, took  # run time + the idle deadline + Locust's start and stop
