"""The field proxy (tests/field_proxy.py) does exactly what each knob says, and nothing else.

Upstreams are the reference server in this process (uvicorn in a thread, one per module and pacing),
so every test compares what a client sees through the proxy with what the same server answers directly.
"""

from __future__ import annotations

import gzip
import itertools
import json
import signal
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import httpx
import pytest

from chatgate.server.app import create_app
from chatgate.server.config import ServerConfig
from chatgate.sse import SSEDecoder, SSEEvent
from tests.field_proxy import FieldProxy, ProxyConfig, ThreadedServer, _Framer, accepts
from tests.server.server_helpers import LIST, NARA_1001, NAV, NAVIGABLE, SEND, assert_conforms

ROOT = Path(__file__).resolve().parents[1]
BODY = {"message": "Hello!", "conversation_id": "conv-proxy", "temperature": 0.1}
TOKENS = 8


def _upstream(tmp: Path, name: str, **config: Any) -> ThreadedServer:
    app = create_app(ServerConfig(seed_messages=30, **config), db=tmp / f"{name}.sqlite3")
    return ThreadedServer(app, on_stop=app.state.chatgate.streams.shutdown).start()


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = _upstream(tmp_path_factory.mktemp("plain"), "plain", reply_tokens=TOKENS)
    yield server.base_url
    server.stop()


@pytest.fixture(scope="module")
def paced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """First delta after 150 ms, then one every 40 ms (8 deltas: a 430 ms stream)."""
    server = _upstream(tmp_path_factory.mktemp("paced"), "paced", ttft_ms=150, itl_ms=40, reply_tokens=TOKENS)
    yield server.base_url
    server.stop()


def _raw_stream(
    base: str, headers: dict[str, str] | None = None
) -> tuple[httpx.Headers, list[tuple[float, bytes]]]:
    """POST a streamed send and return the headers and every raw piece with its arrival time."""
    pieces: list[tuple[float, bytes]] = []
    with (
        httpx.Client(base_url=base, timeout=10) as client,
        client.stream(
            "POST", SEND, json={**BODY, "stream": True}, headers={**NARA_1001, **(headers or {})}
        ) as r,
    ):
        assert r.status_code == 200
        start = time.perf_counter()
        for piece in r.iter_raw():
            pieces.append((time.perf_counter() - start, piece))
        return r.headers, pieces


def _events(body: bytes) -> list[SSEEvent]:
    dec = SSEDecoder()
    events = dec.feed(body, 0.0)
    dec.close()
    return events


def _decode(coding: str, raw: bytes) -> bytes:
    if coding == "gzip":
        return gzip.decompress(raw)
    if coding == "deflate":
        return zlib.decompress(raw)
    return bytes(brotli.decompress(raw))


def _shape(events: list[SSEEvent]) -> list[tuple[str, str]]:
    """Events with the parts that differ between two sends of the same input (ids) blanked."""
    out = []
    for ev in events:
        data = json.loads(ev.data)
        for key in ("message_id", "user_message_id"):
            data.pop(key, None)
        out.append((ev.event, json.dumps(data, sort_keys=True)))
    return out


def test_default_config_relays_bytes_and_headers_unchanged(plain: str) -> None:
    with FieldProxy(plain) as proxy:
        url = f"{NAV}?identifier=seed-1"
        direct = httpx.get(plain + url, headers=NAVIGABLE)
        through = httpx.get(proxy.base_url + url, headers=NAVIGABLE)
        assert (through.status_code, through.content) == (direct.status_code, direct.content)
        assert through.headers["content-length"] == direct.headers["content-length"]
        assert "content-encoding" not in through.headers
        _, pieces = _raw_stream(proxy.base_url)
        _, direct_pieces = _raw_stream(plain)
        assert _shape(_events(b"".join(p for _, p in pieces))) == _shape(
            _events(b"".join(p for _, p in direct_pieces))
        )
        assert proxy.counts.forwarded == 2 and proxy.counts.requests == 2
        assert proxy.counts.streams == 1 and not proxy.counts.encoded and not proxy.counts.injected


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_json_and_event_streams_are_encoded_only_when_the_client_accepts(plain: str, coding: str) -> None:
    url = f"{LIST}?user_id=1001&rows_per_page=5"
    direct = httpx.get(plain + url, headers={**NARA_1001, "Accept-Encoding": "identity"})
    with FieldProxy(plain, ProxyConfig(encoding=coding)) as proxy, httpx.Client() as client:  # type: ignore[arg-type]
        for accept, encoded in [(coding, True), (f"{coding};q=0, identity", False), ("identity", False)]:
            headers = {**NARA_1001, "Accept-Encoding": accept}
            with client.stream("GET", proxy.base_url + url, headers=headers) as r:
                raw = b"".join(r.iter_raw())
            assert r.headers.get("content-encoding") == (coding if encoded else None), accept
            assert (_decode(coding, raw) if encoded else raw) == direct.content
        headers, pieces = _raw_stream(proxy.base_url, {"Accept-Encoding": f"br;q=0.5, {coding}, *;q=0"})
        assert headers["content-encoding"] == coding and "content-length" not in headers
        events = _events(_decode(coding, b"".join(p for _, p in pieces)))
        assert [e.event for e in events] == ["message_start", *["delta"] * TOKENS, "message_end"]
        assert proxy.counts.encoded[coding] == 2


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_an_encoded_stream_is_flushed_event_by_event(paced: str, coding: str) -> None:
    """Each delta can be decoded when it arrives: the stream is still a stream behind compression."""
    with FieldProxy(paced, ProxyConfig(encoding=coding)) as proxy:
        _, pieces = _raw_stream(proxy.base_url, {"Accept-Encoding": coding})
    decomp: Any = zlib.decompressobj(wbits=31) if coding == "gzip" else brotli.Decompressor()
    dec = SSEDecoder()
    times: list[float] = []
    for at, piece in pieces:
        text = decomp.decompress(piece) if coding == "gzip" else decomp.process(piece)
        times += [at for e in dec.feed(text, at) if e.event == "delta"]
    assert len(times) == TOKENS
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) > 0.02, gaps  # 40 ms apart on the server: not merged into one burst
    assert 0.12 < times[0] < 0.4, times


def test_relayed_streams_keep_the_servers_timing(paced: str) -> None:
    with FieldProxy(paced, ProxyConfig(line_ends="crlf")) as proxy:
        _, through = _raw_stream(proxy.base_url)
    _, direct = _raw_stream(paced)

    def delta_times(pieces: list[tuple[float, bytes]]) -> list[float]:
        dec = SSEDecoder()
        return [at for at, p in pieces for e in dec.feed(p, at) if e.event == "delta"]

    t, d = delta_times(through), delta_times(direct)
    assert len(t) == len(d) == TOKENS
    assert max(abs(a - b) for a, b in zip(t, d, strict=True)) < 0.05, (t, d)


def test_buffer_streams_sends_the_whole_stream_in_one_burst(paced: str) -> None:
    with FieldProxy(paced, ProxyConfig(buffer_streams=True)) as proxy:
        _, pieces = _raw_stream(proxy.base_url)
        assert proxy.counts.buffered == 1
    times = [at for at, _ in pieces]
    assert times[0] > 0.15 + 0.04 * (TOKENS - 1) - 0.05  # nothing before the stream's end
    assert times[-1] - times[0] < 0.02
    events = _events(b"".join(p for _, p in pieces))
    assert [e.event for e in events][-1] == "message_end" and len(events) == TOKENS + 2


@pytest.mark.parametrize("line_ends", ["crlf", "cr"])
def test_line_ends_are_rewritten_and_events_unchanged(plain: str, line_ends: str) -> None:
    with FieldProxy(plain, ProxyConfig(line_ends=line_ends)) as proxy:  # type: ignore[arg-type]
        _, pieces = _raw_stream(proxy.base_url)
    raw = b"".join(p for _, p in pieces)
    _, direct = _raw_stream(plain)
    if line_ends == "crlf":
        assert raw.count(b"\n") == raw.count(b"\r\n") > 0
    else:
        assert b"\n" not in raw and raw.count(b"\r") > 0
    assert _shape(_events(raw)) == _shape(_events(b"".join(p for _, p in direct)))


def test_rechunk_splits_bodies_into_one_byte_or_random_chunks(plain: str) -> None:
    url = f"{NAV}?identifier=seed-4"  # nobody writes there: the same answer every time
    direct = httpx.get(plain + url, headers=NAVIGABLE).content
    for rechunk, biggest in [(1, 1), ("random", 64)]:
        with FieldProxy(plain, ProxyConfig(rechunk=rechunk, seed=7)) as proxy, httpx.Client() as client:  # type: ignore[arg-type]
            with client.stream("GET", proxy.base_url + url, headers=NAVIGABLE) as r:
                pieces = list(r.iter_raw())
            assert b"".join(pieces) == direct
            assert max(len(p) for p in pieces) <= biggest and len(pieces) >= len(direct) / biggest
            if rechunk == "random":
                assert len({len(p) for p in pieces}) > 5
            _, stream_pieces = _raw_stream(proxy.base_url)
            assert [e.event for e in _events(b"".join(p for _, p in stream_pieces))][-1] == "message_end"
            assert proxy.counts.rechunked == 2


def test_pings_go_between_events_on_a_schedule(paced: str) -> None:
    with FieldProxy(paced, ProxyConfig(ping_every_s=0.03)) as proxy:
        _, pieces = _raw_stream(proxy.base_url)
        pings = proxy.counts.pings
    raw = b"".join(p for _, p in pieces)
    blocks = [b for b in raw.split(b"\n\n") if b]
    assert blocks.count(b": ping") == pings >= 10  # ~0.43 s of stream at one ping per 30 ms
    assert all(b == b": ping" or b.startswith(b"event: ") for b in blocks)  # whole events, whole pings
    assert [e.event for e in _events(raw)] == ["message_start", *["delta"] * TOKENS, "message_end"]


def test_stall_after_deltas_sends_only_pings_until_the_client_leaves(plain: str) -> None:
    with FieldProxy(plain, ProxyConfig(stall_after_deltas=2, ping_every_s=0.05)) as proxy:
        seen: list[bytes] = []
        with (
            httpx.Client(timeout=5) as client,
            client.stream(
                "POST", proxy.base_url + SEND, json={**BODY, "stream": True}, headers=NARA_1001
            ) as r,
        ):
            start = time.monotonic()
            for piece in r.iter_raw():
                seen.append(piece)
                if time.monotonic() - start > 0.6:
                    break
        raw = b"".join(seen)
        assert [e.event for e in _events(raw)] == ["message_start", "delta", "delta"]
        tail = raw.split(b'"index":1')[1]
        assert tail.count(b": ping") >= 8 and b"event:" not in tail
        assert proxy.counts.stalled == 1
        # The client left: the proxy sees it and the next request is served normally.
        assert httpx.get(proxy.base_url + "/healthz").status_code == 200


def test_stopping_the_proxy_ends_a_stalled_stream(plain: str) -> None:
    proxy = FieldProxy(plain, ProxyConfig(stall_after_deltas=1)).start()
    result: dict[str, Any] = {}

    def read() -> None:
        with (
            httpx.Client(timeout=30) as client,
            client.stream(
                "POST", proxy.base_url + SEND, json={**BODY, "stream": True}, headers=NARA_1001
            ) as r,
        ):
            result["body"] = r.read()

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.5)
    started = time.monotonic()
    proxy.stop()
    reader.join(10)
    assert not reader.is_alive() and time.monotonic() - started < 5
    assert [e.event for e in _events(result["body"])] == ["message_start", "delta"]


def test_added_latency_delays_every_request(plain: str) -> None:
    with FieldProxy(plain, ProxyConfig(added_latency_ms=200)) as proxy, httpx.Client() as client:
        client.get(proxy.base_url + "/healthz")  # connection set up
        rounds = []
        for _ in range(3):
            t0 = time.perf_counter()
            client.get(plain + "/healthz")
            t1 = time.perf_counter()
            client.get(proxy.base_url + "/healthz")
            rounds.append((time.perf_counter() - t1) - (t1 - t0))
    assert all(0.195 < extra < 0.35 for extra in rounds), rounds


def test_429_share_is_deterministic_and_in_each_apis_envelope(plain: str) -> None:
    with FieldProxy(plain, ProxyConfig(status_429_share=0.5, retry_after_s=3)) as proxy, httpx.Client() as c:
        nara = [c.get(proxy.base_url + f"{LIST}?user_id=1001", headers=NARA_1001) for _ in range(4)]
        assert [r.status_code for r in nara] == [200, 429, 200, 429]
        assert c.get(proxy.base_url + "/healthz").status_code == 200  # not an API path: never hit
        nav = [c.get(proxy.base_url + f"{NAV}?identifier=seed-2", headers=NAVIGABLE) for _ in range(2)]
        assert [r.status_code for r in nav] == [200, 429]
        for resp, api, path in [(nara[1], "nara", LIST), (nav[1], "navigable", NAV)]:
            assert resp.headers["retry-after"] == "3"
            assert_conforms(api, path, "get", resp, 429)
        assert proxy.counts.injected[429] == 3 and proxy.counts.forwarded == 4


def test_transient_5xx_once_per_distinct_request_then_the_retry_goes_through(plain: str) -> None:
    url = f"{LIST}?user_id=1001"
    with FieldProxy(plain, ProxyConfig(transient_5xx_first=1, transient_status=502)) as proxy:
        first = httpx.get(proxy.base_url + url, headers=NARA_1001)
        assert first.status_code == 502 and b"502 Bad Gateway" in first.content
        assert httpx.get(proxy.base_url + url, headers=NARA_1001).status_code == 200  # the retry
        assert httpx.get(proxy.base_url + url + "&current_page=2", headers=NARA_1001).status_code == 200
    with FieldProxy(plain, ProxyConfig(transient_5xx_share=0.5)) as proxy:
        statuses = [
            httpx.get(proxy.base_url + f"{url}&current_page={i}", headers=NARA_1001).status_code
            for i in (1, 2, 3, 4)
        ]
        assert statuses == [200, 503, 200, 503]
        retries = [
            httpx.get(proxy.base_url + f"{url}&current_page={i}", headers=NARA_1001).status_code
            for i in (2, 4)
        ]
        assert retries == [200, 200] and proxy.counts.injected[503] == 2


def test_another_client_writes_to_the_history_being_read(plain: str) -> None:
    url = f"{LIST}?user_id=1002&rows_per_page=1"
    key = {"Authorization": "Bearer nara-dev-key-1002"}
    with FieldProxy(plain, ProxyConfig(writer_share=1.0)) as proxy, httpx.Client() as client:
        totals = [
            client.get(proxy.base_url + url, headers=key).json()["pagination"]["total_rows"] for _ in range(3)
        ]
        assert totals[1] - totals[0] == totals[2] - totals[1] == 2  # one message and its reply per read
        nav = f"{NAV}?identifier=proxy-writer"
        sizes = [len(client.get(proxy.base_url + nav, headers=NAVIGABLE).json()["data"]) for _ in range(2)]
        assert sizes == [2, 4]
        assert proxy.counts.writes == 5


def test_an_upstream_cut_stays_a_cut_and_an_unreachable_upstream_is_a_502(tmp_path: Path) -> None:
    cutting = _upstream(tmp_path, "cut", fault_stream_cut_rate=1.0)
    try:
        with FieldProxy(cutting.base_url, ProxyConfig(encoding="gzip", line_ends="crlf")) as proxy:
            with pytest.raises(httpx.RemoteProtocolError):
                _raw_stream(proxy.base_url, {"Accept-Encoding": "gzip"})
            assert proxy.counts.upstream_errors == 1
    finally:
        cutting.stop()
    with FieldProxy("http://127.0.0.1:9") as proxy:
        assert httpx.get(proxy.base_url + "/healthz").status_code == 502
        assert proxy.counts.upstream_errors == 1 and proxy.counts.injected[502] == 1


def test_accept_encoding_negotiation() -> None:
    assert accepts("gzip, deflate, br", "br")
    assert accepts("*", "gzip") and accepts("x-gzip", "gzip")
    assert not accepts("", "gzip") and not accepts("identity", "gzip")
    assert not accepts("gzip;q=0", "gzip") and not accepts("br, *;q=0", "gzip")
    assert not accepts("*, gzip;q=0", "gzip") and accepts("GZIP;Q=0.1", "gzip")


def test_framer_handles_any_line_ends_split_anywhere() -> None:
    stream = b"event: delta\r\ndata: {}\r\n\r\nevent: a\rdata: 1\r\revent: b\ndata: 2\n\n: c\r\n\r\ndata: x"
    for size in (1, 2, 3, 7, len(stream)):
        framer = _Framer("lf")
        out = [f for i in range(0, len(stream), size) for f in framer.feed(stream[i : i + size])]
        assert out == [
            (b"event: delta\ndata: {}\n\n", "delta"),
            (b"event: a\ndata: 1\n\n", "a"),
            (b"event: b\ndata: 2\n\n", "b"),
            (b": c\n\n", "message"),
        ]
        assert framer.tail() == b"data: x"


def test_bad_config_values_are_refused() -> None:
    for bad in [
        {"encoding": "zstd"},
        {"line_ends": "crcr"},
        {"rechunk": 0},
        {"status_429_share": 1.5},
        {"transient_status": 500},
        {"ping_every_s": 0},
    ]:
        with pytest.raises(ValueError):
            ProxyConfig(**bad)


def test_as_a_process_it_serves_counts_and_stops_on_sigint(plain: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.field_proxy", "--upstream", plain, "--encoding", "gzip"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        base = line.split()[1]
        assert line.startswith("field_proxy: http://127.0.0.1:"), line
        r = httpx.get(base + f"{NAV}?identifier=seed-3", headers={**NAVIGABLE, "Accept-Encoding": "gzip"})
        assert r.status_code == 200 and r.headers["content-encoding"] == "gzip" and r.json()["success"]
        counts = httpx.get(base + "/_field_proxy/counts").json()
        assert counts["requests"] == 1 and counts["encoded"] == {"gzip": 1}
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    bad = subprocess.run(
        [sys.executable, "-m", "tests.field_proxy", "--upstream", plain, "--status-429-share", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("field_proxy: error:")
