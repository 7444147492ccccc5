"""A fault-injecting reverse proxy: what real deployments do to HTTP, in front of any base URL.

Gate and load tests put it between the toolkit and a target to prove their verdicts hold behind real
transports (compressing proxies, re-chunking, keep-alive pings, buffering, latency, rate limits,
transient gateway errors, other clients writing to the same history)::

    config = ProxyConfig(encoding="gzip", line_ends="crlf", ping_every_s=0.05)
    with FieldProxy("http://127.0.0.1:8080", config) as proxy:
        httpx.get(f"{proxy.base_url}/api/v1/chat?identifier=seed-1", headers=...)
        assert proxy.counts.encoded["gzip"] == 1

or as a process (``GET /_field_proxy/counts`` then answers its counts as JSON)::

    python -m tests.field_proxy --upstream http://127.0.0.1:8080 --port 9000 --encoding br --rechunk 1

With the default ``ProxyConfig()`` it relays requests and responses unchanged, body bytes as they
arrive (no buffering), so timings measured through it stay meaningful. Per request, in this order:

1. ``added_latency_ms`` of sleep (the network distance; before anything else).
2. API requests only (paths under ``/api/v1.0`` or ``/api/v1``), numbered from 1 like the reference
   server's faults (request ``n`` is hit by a share ``p`` iff ``floor(n*p) > floor((n-1)*p)``):
   ``status_429_share`` -> 429 + ``Retry-After: retry_after_s`` in the API's error envelope;
   ``transient_5xx_first`` / ``transient_5xx_share`` -> ``transient_status`` (502/503/504, nginx's
   HTML page) once per *distinct* request (method, path, query, body): the same request sent again
   goes through, as a retry would; ``writer_share`` -> before that share of history reads (Nara's
   listing, Navigable's read) another client sends one message to the same history with the same key.
3. The request is forwarded (``Accept-Encoding: identity`` upstream; the proxy does the encoding).
4. The body of the answer, chunk by chunk as it arrives: event streams are re-framed when a stream
   knob is on (``line_ends``, ``ping_every_s``, ``stall_after_deltas``: whole events are re-emitted
   with the chosen line ends, ``: ping`` comments go between events on a fixed schedule, and after N
   ``delta`` events only pings follow, never a terminal event); JSON and event-stream bodies are
   compressed with ``encoding`` when the client's ``Accept-Encoding`` allows it, and only then (like
   nginx), flushed after every chunk so streams stay streams; ``buffer_streams`` holds a whole stream
   and sends it in one burst at its end; ``rechunk`` splits what goes out into HTTP chunks of that
   size, or of random sizes from 1 to 64 bytes (chunked transfer encoding, no Content-Length).

An upstream that cuts a stream is cut downstream too (no end of the chunked body), so a broken stream
stays broken through the proxy. Decisions: only API paths get injected statuses (``/healthz`` and the
server's private endpoints pass); the proxy answers 502 itself when the upstream cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import logging
import math
import random
import socket
import sys
import threading
import time
import types
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
import brotli
import httpx
import uvicorn
from yarl import URL

from chatgate.apis import ApiName
from chatgate.server.config import api_of_path
from chatgate.server.faults import hits

__all__ = ["FieldProxy", "ProxyConfig", "ProxyCounts", "ThreadedServer", "main"]

Encoding = Literal["gzip", "deflate", "br"]
LineEnds = Literal["lf", "crlf", "cr"]
Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]

_EOL = {"lf": b"\n", "crlf": b"\r\n", "cr": b"\r"}
_HOP_BY_HOP = {
    b"connection",
    b"keep-alive",
    b"proxy-authenticate",
    b"proxy-authorization",
    b"proxy-connection",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
}
_READS = {"/api/v1.0/chat/messages", "/api/v1/chat"}
_REASONS = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}
_CUT_LOG = "ASGI callable returned without completing response."
COUNTS_PATH = "/_field_proxy/counts"


@dataclass(frozen=True)
class ProxyConfig:
    """What the proxy does to the traffic it relays (every knob off by default; see the module doc)."""

    encoding: Encoding | None = None
    line_ends: LineEnds = "lf"
    rechunk: int | Literal["random"] | None = None
    ping_every_s: float | None = None
    buffer_streams: bool = False
    added_latency_ms: float = 0.0
    status_429_share: float = 0.0
    retry_after_s: int = 1
    transient_5xx_first: int = 0
    transient_5xx_share: float = 0.0
    transient_status: int = 503
    stall_after_deltas: int | None = None
    writer_share: float = 0.0
    seed: int = 0  # of the random chunk sizes

    def __post_init__(self) -> None:
        if self.encoding not in (None, "gzip", "deflate", "br"):
            raise ValueError(f"encoding must be gzip, deflate or br, not {self.encoding!r}")
        if self.line_ends not in _EOL:
            raise ValueError(f"line_ends must be lf, crlf or cr, not {self.line_ends!r}")
        bad_size = not isinstance(self.rechunk, int) or self.rechunk < 1
        if self.rechunk is not None and self.rechunk != "random" and bad_size:
            raise ValueError(f"rechunk must be a size >= 1 or 'random', not {self.rechunk!r}")
        for name in ("status_429_share", "transient_5xx_share", "writer_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be within [0, 1]")
        if self.transient_status not in _REASONS:
            raise ValueError("transient_status must be 502, 503 or 504")
        if self.ping_every_s is not None and self.ping_every_s <= 0:
            raise ValueError("ping_every_s must be > 0")
        if self.stall_after_deltas is not None and self.stall_after_deltas < 0:
            raise ValueError("stall_after_deltas must be >= 0")

    @property
    def reframes_streams(self) -> bool:
        """Whether event streams are cut into whole events (and written out again) on their way."""
        return self.line_ends != "lf" or self.ping_every_s is not None or self.stall_after_deltas is not None


@dataclass
class ProxyCounts:
    """What the proxy did, for tests to assert on (live: read it while or after the proxy runs)."""

    requests: int = 0  # requests received from clients (the counts endpoint excluded)
    forwarded: int = 0  # requests sent upstream that got an answer
    upstream_errors: int = 0  # upstream unreachable (answered 502) or an answer cut mid-body
    encoded: Counter[str] = field(default_factory=Counter)  # answers sent per Content-Encoding
    injected: Counter[int] = field(default_factory=Counter)  # statuses the proxy answered itself
    streams: int = 0  # event streams relayed
    pings: int = 0  # ": ping" comments injected
    stalled: int = 0  # streams stalled after stall_after_deltas deltas
    buffered: int = 0  # streams held and sent in one burst
    rechunked: int = 0  # bodies split into rechunk-sized pieces
    writes: int = 0  # messages another client wrote to a history being read (2xx answers)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            out[name] = {str(k): v for k, v in value.items()} if isinstance(value, Counter) else value
        return out


def accepts(header: str, coding: str) -> bool:
    """Whether an ``Accept-Encoding`` value allows ``coding`` (q > 0 for it, or for ``*``)."""
    found: float | None = None
    star: float | None = None
    for part in header.split(","):
        token, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        token = token.lower()
        if token == coding or (coding == "gzip" and token == "x-gzip"):
            found = q
        elif token == "*":
            star = q
    q_final = found if found is not None else star
    return q_final is not None and q_final > 0


class _Encoder:
    """A streaming compressor, flushed after every chunk so each arrives decodable on its own."""

    def __init__(self, coding: Encoding) -> None:
        self.coding = coding
        self._br = brotli.Compressor() if coding == "br" else None
        self._z = None if coding == "br" else zlib.compressobj(wbits=31 if coding == "gzip" else 15)

    def chunk(self, data: bytes) -> bytes:
        if self._br is not None:
            return bytes(self._br.process(data) + self._br.flush())
        assert self._z is not None
        return self._z.compress(data) + self._z.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        if self._br is not None:
            return bytes(self._br.finish())
        assert self._z is not None
        return self._z.flush()


class _Framer:
    """Cuts an event stream into whole events (CR, LF or CRLF line ends in) and writes them out with
    ``line_ends``. ``feed`` returns (bytes to send, event name) per completed event."""

    def __init__(self, line_ends: LineEnds) -> None:
        self.eol = _EOL[line_ends]
        self._buf = b""  # normalised to LF, not yet a whole event
        self._cr = b""  # a CR at the end of the last chunk: half of a CRLF, or a line end of its own

    def feed(self, chunk: bytes) -> list[tuple[bytes, str]]:
        raw = self._cr + chunk
        self._cr = b"\r" if raw.endswith(b"\r") else b""
        if self._cr:
            raw = raw[:-1]
        self._buf += raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        *blocks, self._buf = self._buf.split(b"\n\n")
        return [(self._emit(b) + self.eol * 2, _event_name(b)) for b in blocks if b]

    def tail(self) -> bytes:
        """What is left of an unfinished event (sent as it is when the stream ends or is cut)."""
        rest, self._buf = self._buf + (b"\n" if self._cr else b""), b""
        self._cr = b""
        return self._emit(rest)

    def ping(self) -> bytes:
        return b": ping" + self.eol * 2

    def _emit(self, block: bytes) -> bytes:
        return self.eol.join(block.split(b"\n"))


def _event_name(block: bytes) -> str:
    name = "message"
    for line in block.split(b"\n"):
        if line.startswith(b"event:"):
            value = line[6:]
            name = (value[1:] if value.startswith(b" ") else value).decode("utf-8", "replace")
    return name


class _Output:
    """The downstream body: optionally held back whole (buffering), optionally split (rechunking)."""

    def __init__(self, send: Send, rechunk: int | str | None, rng: random.Random, hold: bool) -> None:
        self._send = send
        self._rechunk = rechunk
        self._rng = rng
        self._hold = hold
        self._held: list[bytes] = []

    async def write(self, data: bytes) -> None:
        if not data:
            return
        if self._hold:
            self._held.append(data)
            return
        for piece in self._pieces(data):
            await self._send({"type": "http.response.body", "body": piece, "more_body": True})

    async def close(self, tail: bytes = b"") -> None:
        await self.release(tail)
        await self._send({"type": "http.response.body", "body": b"", "more_body": False})

    async def release(self, tail: bytes = b"") -> None:
        """Send what was held back (and ``tail``); used before a clean end and before a cut."""
        self._held.append(tail)
        held, self._held, self._hold = b"".join(self._held), [], False
        await self.write(held)

    def _pieces(self, data: bytes) -> list[bytes]:
        if self._rechunk is None:
            return [data]
        out: list[bytes] = []
        i = 0
        while i < len(data):
            size = self._rng.randint(1, 64) if self._rechunk == "random" else int(self._rechunk)
            out.append(data[i : i + size])
            i += size
        return out


# Items of a relay's queue besides upstream chunks.
_END, _GONE, _CLOSING, _BROKEN, _TICK = "end", "gone", "closing", "broken", "tick"


class _Answer:
    """The upstream's answer, whichever client fetched it: status, raw headers, then the raw body (still
    encoded, as it came) chunk by chunk; a body the upstream cut raises ``_Cut``."""

    def __init__(self, response: aiohttp.ClientResponse | httpx.Response) -> None:
        self.response = response

    @property
    def status(self) -> int:
        r = self.response
        return r.status if isinstance(r, aiohttp.ClientResponse) else r.status_code

    @property
    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        r = self.response
        return list(r.raw_headers if isinstance(r, aiohttp.ClientResponse) else r.headers.raw)

    def header(self, name: str) -> str:
        return self.response.headers.get(name, "")

    async def chunks(self) -> Any:
        r = self.response
        try:
            if isinstance(r, aiohttp.ClientResponse):
                async for chunk in r.content.iter_any():
                    yield chunk
            else:
                async for chunk in r.aiter_raw():
                    yield chunk
        except (aiohttp.ClientError, httpx.HTTPError) as exc:
            raise _Cut from exc

    async def close(self) -> None:
        r = self.response
        if isinstance(r, aiohttp.ClientResponse):
            r.close()
        else:
            await r.aclose()


class _Cut(Exception):
    """The upstream ended an answer's body before its end."""


def _utf8_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[str, str]] | None:
    """The headers as text aiohttp sends back as the same bytes (it writes UTF-8); None when a value is
    not UTF-8 (latin-1 bytes from a fuzzer): then httpx, which sends bytes as given, relays it."""
    try:
        return [(k.decode("ascii"), v.decode("utf-8")) for k, v in headers]
    except UnicodeDecodeError:
        return None


class _ProxyApp:
    """The ASGI app of the proxy (lifespan: the upstream clients are made and closed in the server loop).

    Upstream requests go through aiohttp (its connection pool costs ~13x less CPU per request than
    httpx's, which scans every pooled connection on each request); the rare request with header bytes
    that are not UTF-8 goes through httpx, so every request is relayed byte for byte."""

    def __init__(self, upstream: str, config: ProxyConfig, counts: ProxyCounts) -> None:
        self.upstream = httpx.URL(upstream)
        self.config = config
        self.counts = counts
        self.client: httpx.AsyncClient | None = None
        self.session: aiohttp.ClientSession | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.closing = False
        self._queues: set[asyncio.Queue[Any]] = set()
        self._api_requests = 0
        self._distinct: dict[bytes, int] = {}
        self._reads = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    def close_streams(self) -> None:
        """Make every relayed stream end now (cleanly); call it in the proxy's loop."""
        self.closing = True
        for queue in list(self._queues):
            queue.put_nowait(_CLOSING)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.loop = asyncio.get_running_loop()
                self.client = httpx.AsyncClient(
                    timeout=httpx.Timeout(connect=10.0, read=None, write=30.0, pool=None),
                    limits=httpx.Limits(max_connections=None, max_keepalive_connections=200),
                    follow_redirects=False,
                    trust_env=False,
                )
                self.session = aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=0),
                    cookie_jar=aiohttp.DummyCookieJar(),  # a proxy keeps no cookies
                    timeout=aiohttp.ClientTimeout(total=None, sock_connect=10.0, sock_read=None),
                    auto_decompress=False,  # the body as the upstream sent it, encoded or not
                    trust_env=False,
                    # only what the client sent: no default User-Agent, Accept or Content-Type added
                    skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.client is not None:
                    await self.client.aclose()
                if self.session is not None:
                    await self.session.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == COUNTS_PATH:
            body = json.dumps(self.counts.as_dict()).encode()
            await _plain(send, 200, body, b"application/json")
            return
        self.counts.requests += 1
        body = await _read_body(receive)
        if self.config.added_latency_ms > 0:
            await asyncio.sleep(self.config.added_latency_ms / 1000)
        api = api_of_path(scope["path"])
        if api is not None and await self._inject(api, scope, body, send):
            return
        await self._forward(scope, receive, send, body)

    async def _inject(self, api: ApiName, scope: Scope, body: bytes, send: Send) -> bool:
        """Answer a 429 or a transient 5xx instead of the upstream (True), or write as another client."""
        cfg = self.config
        self._api_requests += 1
        if hits(self._api_requests, cfg.status_429_share):
            await self._answer_429(api, scope, send)
            return True
        if self._transient(scope, body):
            status = cfg.transient_status
            self.counts.injected[status] += 1
            await _plain(send, status, _nginx_page(status), b"text/html")
            return True
        if scope["method"] == "GET" and scope["path"] in _READS:
            self._reads += 1
            if hits(self._reads, cfg.writer_share):
                await self._write_as_other_client(api, scope)
        return False

    def _transient(self, scope: Scope, body: bytes) -> bool:
        cfg = self.config
        if not cfg.transient_5xx_first and not cfg.transient_5xx_share:
            return False
        key = hashlib.sha256(
            b"\0".join([scope["method"].encode(), scope["raw_path"], scope["query_string"], body])
        ).digest()
        if key in self._distinct:  # seen before: a retry goes through
            return False
        number = self._distinct[key] = len(self._distinct) + 1
        return number <= cfg.transient_5xx_first or hits(number, cfg.transient_5xx_share)

    async def _answer_429(self, api: ApiName, scope: Scope, send: Send) -> None:
        seconds = self.config.retry_after_s
        message = f"Too many requests; retry after {seconds} second{'s' if seconds != 1 else ''}."
        envelope: dict[str, Any] = (
            {"success": False, "message": "TOO_MANY_REQUESTS"}
            if api == "navigable"
            else {"error": {"code": "rate_limited", "message": message}}
        )
        self.counts.injected[429] += 1
        headers = [(b"content-type", b"application/json"), (b"retry-after", str(seconds).encode())]
        coding = self._coding(scope, "application/json")
        if coding is not None:
            headers += [(b"content-encoding", coding.encode()), (b"vary", b"Accept-Encoding")]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        out = self._output(send, hold=False)
        encoder = _Encoder(coding) if coding else None
        data = json.dumps(envelope).encode()
        await out.write(encoder.chunk(data) if encoder else data)
        await out.close(encoder.finish() if encoder else b"")

    async def _write_as_other_client(self, api: ApiName, scope: Scope) -> None:
        """One message sent to the history being read, with the reader's key (another client)."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        text = f"Written by another client (field proxy) at read {self._reads}."
        if api == "nara" and "authorization" in headers:
            url, auth = "/api/v1.0/chat", {"Authorization": headers["authorization"]}
            payload: dict[str, Any] = {"message": text, "conversation_id": "field-proxy-writer"}
        else:
            query = httpx.QueryParams(scope["query_string"].decode("latin-1"))
            if api != "navigable" or "x-api-key" not in headers or "identifier" not in query:
                return
            url, auth = "/api/v1/chat", {"X-Api-Key": headers["x-api-key"]}
            payload = {"message": text, "identifier": query["identifier"]}
        assert self.session is not None
        try:
            async with self.session.post(
                URL(str(self._url(url.encode())), encoded=True),
                data=json.dumps(payload).encode(),
                headers={**auth, "Content-Type": "application/json"},
            ) as resp:
                await resp.read()
                ok = 200 <= resp.status < 300
        except aiohttp.ClientError:
            return
        if ok:
            self.counts.writes += 1

    def _url(self, raw_path: bytes, query: bytes = b"") -> httpx.URL:
        base = self.upstream.raw_path.split(b"?", 1)[0].rstrip(b"/")
        return self.upstream.copy_with(raw_path=base + raw_path + (b"?" + query if query else b""))

    def _coding(self, scope: Scope, content_type: str) -> Encoding | None:
        """The configured encoding when the client accepts it and the body is JSON or an event stream."""
        coding = self.config.encoding
        media = content_type.split(";", 1)[0].strip().lower()
        if coding is None or not (media == "text/event-stream" or _is_json(media)):
            return None
        accept = b", ".join(v for k, v in scope["headers"] if k.lower() == b"accept-encoding")
        return coding if accepts(accept.decode("latin-1"), coding) else None

    def _output(self, send: Send, *, hold: bool) -> _Output:
        if self.config.rechunk is not None:
            self.counts.rechunked += 1
        return _Output(send, self.config.rechunk, random.Random(self.config.seed), hold)

    async def _forward(self, scope: Scope, receive: Receive, send: Send, body: bytes) -> None:
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _HOP_BY_HOP | {b"host"}]
        headers = [(k, v) for k, v in headers if k.lower() not in (b"accept-encoding", b"content-length")]
        headers.append((b"accept-encoding", b"identity"))
        try:
            answer = await self._send(scope, headers, body)
        except (aiohttp.ClientError, httpx.HTTPError):
            self.counts.upstream_errors += 1
            self.counts.injected[502] += 1
            await _plain(send, 502, _nginx_page(502), b"text/html")
            return
        self.counts.forwarded += 1
        try:
            await self._relay(scope, receive, send, answer)
        finally:
            await answer.close()

    async def _send(self, scope: Scope, headers: list[tuple[bytes, bytes]], body: bytes) -> _Answer:
        url = self._url(scope["raw_path"], scope["query_string"])
        text = _utf8_headers(headers)
        if text is None:
            assert self.client is not None
            request = self.client.build_request(scope["method"], url, headers=headers, content=body)
            return _Answer(await self.client.send(request, stream=True))
        assert self.session is not None
        response = await self.session.request(
            scope["method"],
            URL(str(url), encoded=True),  # the path and query as the client sent them, not re-quoted
            headers=text,
            data=body or None,
            allow_redirects=False,
        )
        return _Answer(response)

    async def _relay(self, scope: Scope, receive: Receive, send: Send, response: _Answer) -> None:
        content_type = response.header("content-type")
        is_stream = content_type.split(";", 1)[0].strip().lower() == "text/event-stream"
        encoded_upstream = response.header("content-encoding") != ""
        coding = None if encoded_upstream else self._coding(scope, content_type)
        framer = _Framer(self.config.line_ends) if is_stream and self.config.reframes_streams else None
        if encoded_upstream:
            framer = None
        # Re-chunked bodies go out with chunked transfer encoding: each piece is an HTTP chunk.
        changed = coding is not None or framer is not None or self.config.rechunk is not None
        headers = [
            (k, v)
            for k, v in response.raw_headers
            if k.lower() not in _HOP_BY_HOP and not (changed and k.lower() == b"content-length")
        ]
        if coding is not None:
            headers += [(b"content-encoding", coding.encode()), (b"vary", b"Accept-Encoding")]
            self.counts.encoded[coding] += 1
        hold = is_stream and self.config.buffer_streams
        self.counts.streams += is_stream
        self.counts.buffered += hold
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        relay = _Relay(self, response, self._output(send, hold=hold), framer, coding, is_stream)
        await relay.run(receive)


class _Relay:
    """One answer's body on its way: upstream chunks, client departure, shutdown and ping ticks arrive
    in one queue; the body is framed, encoded and written as they come."""

    def __init__(
        self,
        app: _ProxyApp,
        response: _Answer,
        out: _Output,
        framer: _Framer | None,
        coding: Encoding | None,
        is_stream: bool,
    ) -> None:
        cfg = app.config
        self.app = app
        self.response = response
        self.out = out
        self.framer = framer
        self.encoder = _Encoder(coding) if coding else None
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.ping_every = cfg.ping_every_s if is_stream else None
        self.stall_after = cfg.stall_after_deltas if is_stream else None
        self.deltas = 0
        self.stalled = False
        self.next_ping = time.monotonic() + self.ping_every if self.ping_every else math.inf

    async def run(self, receive: Receive) -> None:
        reader = asyncio.ensure_future(self._read_upstream())
        listener = asyncio.ensure_future(self._listen(receive))
        self.app._queues.add(self.queue)
        if self.app.closing:
            self.queue.put_nowait(_CLOSING)
        try:
            await self._pump(reader)
        finally:
            self.app._queues.discard(self.queue)
            for task in (reader, listener):
                task.cancel()
            await asyncio.gather(reader, listener, return_exceptions=True)

    async def _read_upstream(self) -> None:
        try:
            async for chunk in self.response.chunks():
                self.queue.put_nowait(chunk)
        except _Cut:
            self.queue.put_nowait(_BROKEN)
            return
        self.queue.put_nowait(_END)

    async def _listen(self, receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.queue.put_nowait(_GONE)
                return

    async def _next(self) -> Any:
        delay = self.next_ping - time.monotonic()
        if delay <= 0:
            return _TICK
        try:
            async with asyncio.timeout(None if math.isinf(delay) else delay):
                return await self.queue.get()
        except TimeoutError:
            return _TICK

    async def _pump(self, reader: asyncio.Future[None]) -> None:
        while True:
            item = await self._next()
            if self.stalled and item not in (_TICK, _GONE, _CLOSING):
                continue  # a stalled stream ignores its upstream (even its end): only pings from now on
            if item == _TICK:
                await self._ping()
            elif item == _GONE:
                return
            elif item in (_END, _CLOSING):
                tail = self.framer.tail() if self.framer and not self.stalled else b""
                await self.out.close(self._encode(tail) + (self.encoder.finish() if self.encoder else b""))
                return
            elif item == _BROKEN:  # the upstream cut the answer: cut it downstream too
                self.app.counts.upstream_errors += 1
                await self.out.release(self._encode(self.framer.tail() if self.framer else b""))
                return
            else:
                await self._chunk(item, reader)

    async def _chunk(self, chunk: bytes, reader: asyncio.Future[None]) -> None:
        if self.framer is None:
            await self.out.write(self._encode(chunk))
            return
        parts: list[bytes] = []
        for data, name in self.framer.feed(chunk):
            parts.append(data)
            if name == "delta":
                self.deltas += 1
                if self.stall_after is not None and self.deltas >= self.stall_after:
                    self._stall(reader)
                    break
        await self.out.write(self._encode(b"".join(parts)))

    def _stall(self, reader: asyncio.Future[None]) -> None:
        """From now on only pings (every ping interval, 1 s when none is set); never a terminal event."""
        self.stalled = True
        self.app.counts.stalled += 1
        reader.cancel()
        if self.ping_every is None:
            self.ping_every = 1.0
            self.next_ping = time.monotonic() + 1.0

    async def _ping(self) -> None:
        assert self.ping_every is not None
        self.next_ping = max(self.next_ping + self.ping_every, time.monotonic())
        ping = self.framer.ping() if self.framer else b": ping\n\n"
        self.app.counts.pings += 1
        await self.out.write(self._encode(ping))

    def _encode(self, data: bytes) -> bytes:
        if not data or self.encoder is None:
            return data
        return self.encoder.chunk(data)


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _nginx_page(status: int) -> bytes:
    title = f"{status} {_REASONS.get(status, 'Error')}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    ).encode()


async def _plain(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


class _QuietCut(logging.Filter):
    """uvicorn complains about the answer the proxy leaves unfinished on purpose (a cut stream)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _CUT_LOG


logging.getLogger("uvicorn.error").addFilter(_QuietCut())


class ThreadedServer:
    """An ASGI app served by uvicorn in a daemon thread, on a free loopback port bound up front.

    ``on_stop`` runs in the server's loop just before it is told to exit (e.g. to end open streams)::

        with ThreadedServer(create_app(ServerConfig(), db=path)) as upstream:
            httpx.get(upstream.base_url + "/healthz")
    """

    def __init__(
        self, app: Any, *, host: str = "127.0.0.1", port: int = 0, on_stop: Callable[[], None] | None = None
    ) -> None:
        self.app = app
        self.host = host
        self._port = port
        self._on_stop = on_stop
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ThreadedServer:
        sock = _listening_socket(self.host, self._port)
        self.port = sock.getsockname()[1]
        config = _uvicorn_config(self.app)
        server = self._server = uvicorn.Server(config)

        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            await server.serve(sockets=[sock])

        def run() -> None:  # the loop uvicorn itself would use (uvloop when installed)
            with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
                runner.run(serve())

        self._thread = threading.Thread(target=run, name=f"uvicorn:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        server, thread, loop = self._server, self._thread, self._loop
        if server is None or thread is None:
            return
        self._server = self._thread = None
        if self._on_stop is not None and loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._on_stop)
        server.should_exit = True
        thread.join(timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout)

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound and listening (connections made before uvicorn runs wait in the backlog).

    ``IPPROTO_TCP`` explicitly: asyncio turns Nagle's algorithm off only on sockets whose ``proto`` says
    TCP, and accepted sockets inherit it; with ``proto=0`` every answer written in two parts waits for
    the client's delayed ACK (~40 ms a request)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _uvicorn_config(app: Any, **kw: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
        server_header=False,  # the upstream's Server and Date headers pass through
        date_header=False,
        **kw,
    )


class FieldProxy:
    """The proxy in this process (uvicorn in a thread); a context manager yielding itself.

    ``base_url`` is where clients go instead of ``upstream``; ``counts`` says what the proxy did.
    """

    def __init__(self, upstream: str, config: ProxyConfig | None = None, *, port: int = 0) -> None:
        self.config = config or ProxyConfig()
        self.counts = ProxyCounts()
        self.app = _ProxyApp(upstream.rstrip("/"), self.config, self.counts)
        self._server = ThreadedServer(self.app, port=port, on_stop=self.app.close_streams)

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def start(self) -> FieldProxy:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> FieldProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _rechunk(value: str) -> int | str:
    if value == "random":
        return value
    size = int(value)
    if size < 1:
        raise argparse.ArgumentTypeError("a size >= 1 or 'random'")
    return size


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tests.field_proxy", description=__doc__.split("\n\n")[0])
    p.add_argument("--upstream", required=True, help="base URL of the target")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0: a free port (printed at start)")
    p.add_argument("--encoding", choices=["gzip", "deflate", "br"])
    p.add_argument("--line-ends", choices=list(_EOL), default="lf")
    p.add_argument("--rechunk", type=_rechunk, help="a size in bytes, or 'random'")
    p.add_argument("--ping-every-s", type=float)
    p.add_argument("--buffer-streams", action="store_true")
    p.add_argument("--added-latency-ms", type=float, default=0.0)
    p.add_argument("--status-429-share", type=float, default=0.0)
    p.add_argument("--retry-after-s", type=int, default=1)
    p.add_argument("--transient-5xx-first", type=int, default=0)
    p.add_argument("--transient-5xx-share", type=float, default=0.0)
    p.add_argument("--transient-status", type=int, choices=sorted(_REASONS), default=503)
    p.add_argument("--stall-after-deltas", type=int)
    p.add_argument("--writer-share", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    return p


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.field_proxy``: serve until SIGINT/SIGTERM (open streams then end cleanly)."""
    args = vars(_parser().parse_args(argv))
    upstream, host, port = args.pop("upstream"), args.pop("host"), args.pop("port")
    try:
        config = ProxyConfig(**args)
    except ValueError as exc:
        print(f"field_proxy: error: {exc}", file=sys.stderr)
        return 2
    app = _ProxyApp(upstream.rstrip("/"), config, ProxyCounts())
    sock = _listening_socket(host, port)

    class _Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: types.FrameType | None) -> None:
            super().handle_exit(sig, frame)
            self._captured_signals.clear()  # a stop by signal is a normal exit
            if app.loop is not None:
                app.loop.call_soon_threadsafe(app.close_streams)

    server = _Server(_uvicorn_config(app))
    print(f"field_proxy: http://{host}:{sock.getsockname()[1]} -> {upstream}", flush=True)
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
