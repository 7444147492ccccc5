"""The suite's one transport (``contracts/transport.py``, ``contracts/wire.py``) against a hand-paced
server in this process: decoding, every deadline (pings do not keep a stream alive), the size cap,
429 + Retry-After, one retry of a transient 5xx, the rate limit and the bound on requests in flight.

``install`` wraps ``requests`` for the whole (xdist worker) process, as it does in the suite's child
pytest; requests to anything but the server of these tests pass through it untouched.
"""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import brotli
import pytest
import requests

from chatgate.options import Deadlines, Rate
from contracts.transport import DeadlineExceeded, Meter, OutOfTime, Settings, Transport, install, wire_of
from contracts.wire import Decoder, Limits, Wire
from tests.field_proxy import ThreadedServer

Scope = dict[str, Any]
EVENT = b'event: delta\ndata: {"type":"delta","index":0,"content":"x"}\n\n'


class PacedApp:
    """``GET /api/v1.0/<case>``: each case answers the way its name says; ``hits`` counts requests."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        case = scope["path"].rsplit("/", 1)[-1]
        self.hits[case] += 1
        await getattr(self, case.replace("-", "_"))(send, self.hits[case])

    async def _start(
        self, send: Any, status: int = 200, media: bytes = b"text/event-stream", **more: bytes
    ) -> None:
        headers = [(b"content-type", media), *((k.replace("_", "-").encode(), v) for k, v in more.items())]
        await send({"type": "http.response.start", "status": status, "headers": headers})

    async def _body(self, send: Any, data: bytes, more: bool = True) -> None:
        await send({"type": "http.response.body", "body": data, "more_body": more})

    async def gzip_json(self, send: Any, n: int) -> None:
        await self._start(send, media=b"application/json", content_encoding=b"gzip")
        await self._body(send, gzip.compress(b'{"ok": true}'), more=False)

    async def br_stream(self, send: Any, n: int) -> None:
        await self._start(send, content_encoding=b"br")
        await self._body(send, brotli.compress(EVENT * 3), more=False)

    async def pings_only(self, send: Any, n: int) -> None:
        await self._start(send)
        await self._body(send, EVENT)
        for _ in range(200):  # 10 s of pings, no event
            await asyncio.sleep(0.05)
            await self._body(send, b": ping\r\n\r\n")
        await self._body(send, b"", more=False)

    async def endless(self, send: Any, n: int) -> None:
        await self._start(send)
        for _ in range(200):
            await self._body(send, EVENT)
            await asyncio.sleep(0.05)
        await self._body(send, b"", more=False)

    async def trickle_json(self, send: Any, n: int) -> None:
        await self._start(send, media=b"application/json")
        for _ in range(100):
            await self._body(send, b" ")
            await asyncio.sleep(0.05)
        await self._body(send, b"{}", more=False)

    async def big_stream(self, send: Any, n: int) -> None:
        await self._start(send)
        for _ in range(100):
            await self._body(send, EVENT * 20)
        await self._body(send, b"", more=False)

    async def rate_limited(self, send: Any, n: int) -> None:
        if n == 1:
            await self._start(send, 429, b"application/json", retry_after=b"1")
            await self._body(send, b"{}", more=False)
        else:
            await self._start(send, media=b"application/json")
            await self._body(send, b"{}", more=False)

    async def transient(self, send: Any, n: int) -> None:
        await self._start(send, 503 if n == 1 else 200, b"application/json")
        await self._body(send, b"{}", more=False)

    async def broken(self, send: Any, n: int) -> None:
        await self._start(send, 502, b"text/html")
        await self._body(send, b"<html>bad gateway</html>", more=False)

    async def slow(self, send: Any, n: int) -> None:
        await asyncio.sleep(0.3)
        await self._start(send, media=b"application/json")
        await self._body(send, b"{}", more=False)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[ThreadedServer, PacedApp]]:
    app = PacedApp()
    with ThreadedServer(app) as running:
        yield running, app


class Recorder:
    def __init__(self) -> None:
        self.answers: list[tuple[str, int | None]] = []
        self.retries: list[tuple[str, int]] = []
        self.counted: list[tuple[str, str, bool]] = []
        self.notices: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def count(self, api: str, operation: str, write: bool) -> None:
        with self.lock:
            self.counted.append((api, operation, write))

    def notice(self, kind: str, api: str, operation: str, detail: str) -> None:
        with self.lock:
            self.notices.append((kind, detail))

    # the transport's Observer (contracts.coverage counts the run's coverage through it)
    def sent(self, api: str, operation: str, request: Any, wire: Wire | None) -> None:
        with self.lock:
            self.answers.append((operation, wire.status if wire is not None else None))

    def retried(self, api: str, operation: str, wire: Wire) -> None:
        with self.lock:
            self.retries.append((operation, wire.status))


def _transport(base_url: str, **settings: Any) -> Recorder:
    recorder = Recorder()
    meter = Meter({"nara": base_url}, recorder.count)
    install(Transport(Settings(**settings), meter, recorder.notice, recorder))
    return recorder


def _limits(request: float = 5, idle: float = 5, stream: float = 5, cap: int = 10 * 1024 * 1024) -> Limits:
    return Limits(Deadlines(request, idle, stream), cap)


def test_bodies_are_decoded_and_the_raw_bytes_kept(server: tuple[ThreadedServer, PacedApp]) -> None:
    srv, _ = server
    _transport(srv.base_url, limits=_limits())
    response = requests.get(
        f"{srv.base_url}/api/v1.0/gzip-json", headers={"Accept-Encoding": "gzip"}, timeout=10
    )
    assert response.json() == {"ok": True} and "content-encoding" not in response.headers
    wire = wire_of(response.request)
    assert wire is not None and wire.raw == gzip.compress(b'{"ok": true}') and wire.encoding == "gzip"
    stream = requests.get(f"{srv.base_url}/api/v1.0/br-stream", timeout=10)
    assert stream.content == EVENT * 3
    assert (wire := wire_of(stream.request)) is not None and wire.events == 3 and wire.complete
    assert wire.names == {"delta": 3}  # by name, as the coverage counts a stream's events


def test_a_stream_of_pings_only_stalls_within_the_idle_timeout(
    server: tuple[ThreadedServer, PacedApp],
) -> None:
    srv, _ = server
    _transport(srv.base_url, limits=_limits(idle=0.6))
    started = time.monotonic()
    response = requests.get(f"{srv.base_url}/api/v1.0/pings-only", timeout=10)
    took = time.monotonic() - started
    wire = wire_of(response.request)
    assert wire is not None and wire.stalled is not None and "--stream-idle-timeout" in wire.stalled
    assert wire.events == 1 and response.content.startswith(EVENT) and b": ping" in response.content
    assert 0.6 <= took < 2.0  # the pings did not restart the clock


def test_a_stream_that_never_ends_stalls_within_the_stream_timeout(
    server: tuple[ThreadedServer, PacedApp],
) -> None:
    srv, _ = server
    _transport(srv.base_url, limits=_limits(stream=0.7))
    started = time.monotonic()
    response = requests.get(f"{srv.base_url}/api/v1.0/endless", timeout=10)
    wire = wire_of(response.request)
    assert wire is not None and wire.stalled is not None and "--stream-timeout" in wire.stalled
    assert wire.events >= 5 and time.monotonic() - started < 2.0


def test_a_json_answer_must_be_whole_within_the_request_timeout(
    server: tuple[ThreadedServer, PacedApp],
) -> None:
    srv, _ = server
    _transport(srv.base_url, limits=_limits(request=0.6))
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="--request-timeout"):
        requests.get(f"{srv.base_url}/api/v1.0/trickle-json", timeout=10)  # each read is quick: whole counts
    assert time.monotonic() - started < 2.0


def test_reaching_the_size_cap_is_reported(server: tuple[ThreadedServer, PacedApp]) -> None:
    srv, _ = server
    recorder = _transport(srv.base_url, limits=_limits(cap=4096))
    response = requests.get(f"{srv.base_url}/api/v1.0/big-stream", timeout=10)
    wire = wire_of(response.request)
    assert wire is not None and wire.capped and not wire.complete and len(wire.body) >= 4096
    assert [k for k, _ in recorder.notices] == ["capped"]


def test_429_is_waited_out_and_a_transient_5xx_sent_once_more(
    server: tuple[ThreadedServer, PacedApp],
) -> None:
    srv, app = server
    recorder = _transport(srv.base_url, limits=_limits())
    started = time.monotonic()
    assert requests.get(f"{srv.base_url}/api/v1.0/rate-limited", timeout=10).status_code == 200
    assert time.monotonic() - started >= 1.0 and app.hits["rate-limited"] == 2
    assert requests.get(f"{srv.base_url}/api/v1.0/transient", timeout=10).status_code == 200
    final = requests.get(f"{srv.base_url}/api/v1.0/broken", timeout=10)
    assert final.status_code == 502 and app.hits["broken"] == 2  # repeated: the answer the checks judge
    assert wire_of(final.request) is not None and wire_of(final.request).retried == [502]  # type: ignore[union-attr]
    kinds = [k for k, _ in recorder.notices]
    assert kinds == ["rate_limited", "transient", "flaky", "transient"]
    assert len(recorder.counted) == 6  # every attempt is a request
    # every attempt is an answer the coverage sees; those waited out or sent again are also retried
    assert [status for _, status in recorder.answers] == [429, 200, 503, 200, 502, 502]
    assert [status for _, status in recorder.retries] == [429, 503, 502]


def test_rate_limit_and_requests_in_flight(server: tuple[ThreadedServer, PacedApp]) -> None:
    srv, _ = server
    _transport(srv.base_url, limits=_limits(), rate=Rate(5, 1.0))
    started = time.monotonic()
    for _ in range(6):
        requests.get(f"{srv.base_url}/api/v1.0/gzip-json", timeout=10)
    assert time.monotonic() - started >= 0.95  # 6 requests at 5/s: the last one a second after the first
    _transport(srv.base_url, limits=_limits(), concurrency=2)
    started = time.monotonic()
    threads = [
        threading.Thread(target=requests.get, args=(f"{srv.base_url}/api/v1.0/slow",)) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.monotonic() - started >= 0.6  # four 0.3 s answers, two at a time


def test_nothing_is_sent_past_the_runs_end(server: tuple[ThreadedServer, PacedApp]) -> None:
    srv, app = server
    before = app.hits["slow"]
    _transport(srv.base_url, limits=Limits(Deadlines(5, 5, 5), 1024, run_ends_at=time.monotonic() - 1))
    with pytest.raises(OutOfTime):
        requests.get(f"{srv.base_url}/api/v1.0/slow", timeout=10)
    assert app.hits["slow"] == before


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "gzip, br", "identity"])
def test_the_decoder_undoes_each_coding_chunk_by_chunk(coding: str) -> None:
    import zlib

    data = b'{"message": "' + b"x" * 5000 + b'"}'
    encoded = data
    for name in [c.strip() for c in coding.split(",")]:
        encoded = {"gzip": gzip.compress, "br": brotli.compress, "identity": bytes,
                   "deflate": zlib.compress}[name](encoded)  # fmt: skip
    decoder = Decoder(coding)
    out = b"".join(decoder.feed(encoded[i : i + 7]) for i in range(0, len(encoded), 7))
    assert out == data
    with pytest.raises(ValueError, match="unsupported"):
        Decoder("compress")


def test_a_freed_slot_goes_to_the_gates_own_requests_before_bulk_cases() -> None:
    from contracts.transport import Slots

    slots, order = Slots(1), []
    slots.acquire(0)  # the one slot is taken

    def wait(priority: int, tag: str) -> None:
        slots.acquire(priority)
        order.append(tag)
        slots.release()

    waiters = [threading.Thread(target=wait, args=a) for a in ((1, "bulk-1"), (1, "bulk-2"), (0, "own"))]
    for w in waiters:
        w.start()
        time.sleep(0.05)  # in this order of arrival
    slots.release()
    for w in waiters:
        w.join(5)
    assert order == ["own", "bulk-1", "bulk-2"]
