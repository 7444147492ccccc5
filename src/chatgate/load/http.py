"""The load generator's HTTP: one keep-alive pool per host on geventhttpclient, timed to the byte.

Streams are read with **one ``recv`` per read** on the response's socket, fed to geventhttpclient's C
parser (chunked framing), then decoded per ``Content-Encoding`` (gzip, deflate, br) incrementally and
split into events by :class:`chatgate.sse.EventSplitter`. Each read is timestamped *before* any of
that, so an event's time is the arrival of the bytes that completed it. (geventhttpclient's
``read(n)`` waits for ``n`` bytes and would merge events that arrived apart.) This reaches into two
private attributes of ``geventhttpclient.response.HTTPSocketResponse`` (``_sock``, ``_body_buffer``);
``tests/load/test_http.py`` pins that behaviour for the version range in pyproject.toml.

Deadlines (:class:`chatgate.options.Deadlines`): ``request_s`` bounds a JSON request with its body and
a stream until its headers; ``stream_idle_s`` bounds the wait for the next *event* (comments such as
``: ping`` keep the socket busy but do not count); ``stream_s`` bounds a whole stream from when it
was sent. A breach is a ``timeout`` and closes the connection, whatever the target does.

Every request carries ``User-Agent: chatgate/<version>`` and its own ``X-Request-Id``.
"""

from __future__ import annotations

import itertools
import os
import time
import zlib
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import brotli
import gevent
import orjson
from geventhttpclient import HTTPClient
from geventhttpclient.response import HTTPParseError, HTTPSocketPoolResponse

from chatgate import __version__
from chatgate.load.outcome import Outcome
from chatgate.load.stream import Events, StreamRules
from chatgate.load.validators import Validators
from chatgate.options import Deadlines
from chatgate.sse import EventSplitter

__all__ = ["USER_AGENT", "HostClient", "body_decoder"]

USER_AGENT = f"chatgate/{__version__}"
ACCEPT_ENCODING = "gzip, deflate, br"
_READ = 16384  # one read; a small buffer is cheaper to allocate per event than 64 KiB
AFTER_TERMINAL_S = 1.0  # how long the body may take to end after the terminal event


class _Deadline(Exception):
    """A deadline of :class:`Deadlines` passed (thrown into the request's greenlet by a hub timer)."""


def _deadline(seconds: float) -> Any:
    """A hub timer that throws ``_Deadline`` into this greenlet after ``seconds`` (``.close()`` it).

    What ``gevent.Timeout`` does, without its bookkeeping: a quarter of the cost, once per request."""
    timer = gevent.get_hub().loop.timer(seconds)
    timer.start(gevent.getcurrent().throw, _Deadline(), update=True)  # from now, not the loop's last tick
    return timer


class _Deflate:
    """``Content-Encoding: deflate`` is zlib-wrapped by the RFC and raw deflate by some servers."""

    def __init__(self) -> None:
        self._d: Any = None

    def __call__(self, data: bytes) -> bytes:
        if self._d is None:
            if not data:
                return b""
            zlib_wrapped = len(data) > 1 and (data[0] & 0x0F) == 8 and (data[0] * 256 + data[1]) % 31 == 0
            self._d = zlib.decompressobj(zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS)
        out: bytes = self._d.decompress(data)
        return out


def body_decoder(encoding: str) -> Callable[[bytes], bytes] | None:
    """An incremental decoder for a ``Content-Encoding`` (None: identity). ValueError when unknown."""
    enc = encoding.strip().lower()
    if enc in ("", "identity"):
        return None
    if enc in ("gzip", "x-gzip"):
        gz: Callable[[bytes], bytes] = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress
        return gz
    if enc == "deflate":
        return _Deflate()
    if enc == "br":
        br: Callable[[bytes], bytes] = brotli.Decompressor().process
        return br
    raise ValueError(f"unsupported Content-Encoding {encoding!r}")


_IDS = itertools.count(1)
_ID_PREFIX = f"cg-{os.getpid():x}-{os.urandom(3).hex()}"


def next_request_id() -> str:
    return f"{_ID_PREFIX}-{next(_IDS)}"


class HostClient:
    """Keep-alive connections to one host, shared by every greenlet of a generator process.

    ``connections`` is the pool's size: it must not be below what is in flight at once (the open
    model's per-process cap), or requests would queue inside the generator for a socket.
    """

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        connections: int,
        deadlines: Deadlines,
        query: Mapping[str, str] | None = None,
    ) -> None:
        self.deadlines = deadlines
        self.prefix = urlsplit(base_url).path.rstrip("/")
        self.query = dict(query or {})  # sent with every request (a key the spec takes in the query)
        self.client = HTTPClient.from_url(
            base_url,
            concurrency=max(1, connections),
            connection_timeout=deadlines.request_s,
            network_timeout=deadlines.request_s,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING, **headers},
        )

    def close(self) -> None:
        self.client.close()

    def _open(self, out: Outcome, method: str, path: str, body: bytes, json_body: bool) -> Any:
        out.request_id = next_request_id()
        headers = {"X-Request-Id": out.request_id}
        if json_body:
            headers["Content-Type"] = "application/json"
        out.sent = time.perf_counter()
        return self.client.request(method, self.prefix + path, body=body, headers=headers)

    def _uri(self, path: str, params: Mapping[str, Any] | None) -> str:
        query = {**self.query, **params} if params and self.query else params or self.query
        return path + ("?" + urlencode(query, doseq=True) if query else "")

    def json(
        self,
        out: Outcome,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        check: tuple[Validators, str, str] | None = None,
    ) -> Outcome:
        """A JSON request; non-2xx is ``http_<status>``, a 2xx body failing ``check`` is ``contract``.

        ``check`` is (validators, api, schema pointer) when this response is to be validated.
        """
        uri = self._uri(path, params)
        data = orjson.dumps(body) if body is not None else b""
        resp = None
        timer = _deadline(self.deadlines.request_s)
        try:
            resp = self._open(out, method, uri, data, body is not None)
            raw = resp.read()
        except (_Deadline, TimeoutError):
            return _ended(out.fail("timeout", f"no complete answer within {self.deadlines.request_s:g}s"))
        except (OSError, ConnectionError, ValueError, HTTPParseError) as exc:
            return _ended(out.fail("connection", type(exc).__name__))
        finally:
            timer.close()
            if resp is not None:
                resp.release()
        _ended(out)
        out.status = resp.status_code
        out.body_bytes = len(raw)
        return _judge_json(out, resp, raw, check)

    def stream(
        self,
        out: Outcome,
        path: str,
        body: Any,
        rules: StreamRules,
        validators: Validators | None,
        *,
        method: str = "POST",
        params: Mapping[str, Any] | None = None,
    ) -> Outcome:
        """A streamed request: time headers, TTFT, every gap and the end; judge the events by ``rules``
        (:mod:`chatgate.load.stream`), each validated against the spec on a sampled stream."""
        resp: HTTPSocketPoolResponse | None = None
        timer = _deadline(self.deadlines.request_s)
        data = orjson.dumps(body) if body is not None else b""
        try:
            resp = self._open(out, method, self._uri(path, params), data, body is not None)
        except (_Deadline, TimeoutError):
            return _ended(out.fail("timeout", f"no headers within {self.deadlines.request_s:g}s"))
        except (OSError, ConnectionError, ValueError, HTTPParseError) as exc:
            return _ended(out.fail("connection", type(exc).__name__))
        finally:
            timer.close()
        assert resp is not None
        out.headers_s = time.perf_counter() - out.sent
        out.status = resp.status_code
        try:
            if not 200 <= out.status < 300:
                timer = _deadline(self.deadlines.request_s)
                try:
                    raw = resp.read()
                finally:
                    timer.close()
                out.body_bytes = len(raw)
                return out.fail(f"http_{out.status}", raw[:120].decode("utf-8", "replace"))
            sampled = validators if validators is not None and validators.sampled() else None
            _read_stream(out, resp, self.deadlines, Events(out, rules, sampled))
        except _Deadline:
            out.fail("timeout", f"no complete error body within {self.deadlines.request_s:g}s")
        except (OSError, ConnectionError, ValueError, HTTPParseError) as exc:
            out.fail("broken_stream", type(exc).__name__)
        finally:
            resp.release()
            _ended(out)
        return out


def _ended(out: Outcome) -> Outcome:
    out.total_s = time.perf_counter() - out.sent
    return out


def _judge_json(out: Outcome, resp: Any, raw: bytes, check: tuple[Validators, str, str] | None) -> Outcome:
    if not 200 <= out.status < 300:
        return out.fail(f"http_{out.status}", raw[:120].decode("utf-8", "replace"))
    try:
        decode = body_decoder(str(resp.get("content-encoding") or ""))
        out.payload = orjson.loads(decode(raw) if decode else raw)
    except (ValueError, zlib.error, brotli.error) as exc:
        return out.fail("contract", f"body is not JSON ({type(exc).__name__})")
    if check is not None:
        validators, api, pointer = check
        if validators.sampled():
            problem = validators.check(api, pointer, out.payload)
            if problem:
                out.fail("contract", problem)
    return out


class _Quiet(Exception):
    """The terminal event came and the body did not end within AFTER_TERMINAL_S: stop reading."""


class _Watchdog:
    """One hub timer per stream for its two deadlines (instead of a timer per read: reads wait with no
    socket timeout). It fires at the earliest deadline; if an event moved the idle deadline meanwhile,
    it re-arms, so a stream costs a timer re-arm every ``stream_idle_s`` at most, not one per event."""

    def __init__(self, sent: float, stream_s: float, idle_s: float) -> None:
        self.glet = gevent.getcurrent()
        self.stream_s = stream_s
        self.loop = gevent.get_hub().loop
        self.stream_end = sent + stream_s
        self.idle_s = idle_s
        self.idle_end = time.perf_counter() + idle_s
        self.quiet_end: float | None = None
        self.timer: Any = None

    def arm(self) -> None:
        if self.timer is not None:
            self.timer.close()
        end = self.quiet_end if self.quiet_end is not None else min(self.idle_end, self.stream_end)
        self.timer = self.loop.timer(max(0.0, end - time.perf_counter()))
        self.timer.start(self._fire, update=True)

    def _fire(self) -> None:
        now = time.perf_counter()
        if self.quiet_end is not None and now >= self.quiet_end:
            self.glet.throw(_Quiet())
        elif now >= self.stream_end:
            self.glet.throw(_Deadline(f"stream-timeout {self.stream_s:g}s passed before the terminal event"))
        elif self.quiet_end is None and now >= self.idle_end:
            self.glet.throw(_Deadline(f"stream-idle-timeout {self.idle_s:g}s passed with no event"))
        else:
            self.arm()

    def close(self) -> None:
        if self.timer is not None:
            self.timer.close()
            self.timer = None


def _read_stream(out: Outcome, resp: Any, dl: Deadlines, events: Events) -> None:
    """Read a 2xx event stream to its end or a deadline, one ``recv`` per read."""
    try:
        decode = body_decoder(str(resp.get("content-encoding") or ""))
    except ValueError as exc:
        out.fail("contract", str(exc))
        return
    splitter = EventSplitter()
    split, on, body, sock = splitter.feed, events.on, resp._body_buffer, resp._sock
    stops = events.rules.stops  # grammar states after which the body must end
    idle_s, perf = dl.stream_idle_s, time.perf_counter
    watch = _Watchdog(out.sent, dl.stream_s, idle_s)
    at = perf()
    chunk = bytes(body)  # body bytes that came with the headers
    body.clear()
    try:
        if sock is not None:
            sock.settimeout(None)
            watch.arm()
        while True:
            if chunk:
                out.body_bytes += len(chunk)
                got = split(decode(chunk) if decode else chunk, at)
                if got:
                    for name, data, t in got:
                        on(name, data, t)
                    watch.idle_end = at + idle_s
            if resp.message_complete:
                break
            if events.state in stops and watch.quiet_end is None:
                watch.quiet_end = at + AFTER_TERMINAL_S
                watch.arm()
            data = sock.recv(_READ)
            at = perf()
            if not data:
                break
            resp.feed(data)
            chunk = bytes(body)
            body.clear()
    except _Deadline as exc:
        out.fail("timeout", str(exc))
    except _Quiet:
        pass
    finally:
        watch.close()
        if sock is not None:
            sock.settimeout(dl.request_s)  # the socket may go back to the pool
        out.comments = splitter.comments
    events.finish(splitter.close(), resp.message_complete)
