"""Reading one answer off the wire: the whole body, decoded, within the run's deadlines.

:func:`read_body` reads an urllib3 response (sent with ``stream=True``) to its end and returns a
:class:`Wire`: the bytes as they arrived (``raw``, still ``Content-Encoding``-encoded) and decoded
(``body``: gzip, deflate and br, also stacked, e.g. ``gzip, br``), whether it broke off (``cut``), and
why the transport stopped reading early, if it did:

- ``stalled``: a deadline passed. A JSON answer (or any non-stream) must be whole within
  ``request_s`` of the request's start; an event stream may go ``stream_idle_s`` without an *event*
  (comments such as ``: ping`` do not count: a stream that only pings has stalled) and must end within
  ``stream_s`` of its headers. The socket's timeout is set to what is left before each read, so a
  silent target is caught as surely as one that trickles.
- ``capped``: the body reached ``max_body_bytes`` (a stream that never ends, or a huge answer); what was
  read is kept, and the cap is reported, never silently taken for the end.
- ``out_of_time``: the run's own ``--max-time`` passed while reading.

Comments and the idle clock follow the WHATWG rules of :mod:`chatgate.sse`, so CR, LF and CRLF line
ends and chunks split anywhere are read alike.
"""

from __future__ import annotations

import socket
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Protocol

import brotli
import urllib3.exceptions

from chatgate.options import Deadlines
from chatgate.sse import SSEDecoder

__all__ = ["DEFAULT_MAX_BODY_BYTES", "Decoder", "Limits", "Wire", "is_stream", "read_body"]

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
CHUNK = 65536


@dataclass(frozen=True, slots=True)
class Limits:
    """What one read may take: the deadlines, the size cap, and the run's end (monotonic, or None)."""

    deadlines: Deadlines = field(default_factory=Deadlines)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    run_ends_at: float | None = None


@dataclass(slots=True)
class Wire:
    """One answer as it came over the wire (attached to its request; see ``contracts.transport``)."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""
    body: bytes = b""
    encoding: str = ""
    stream: bool = False
    events: int = 0
    names: dict[str, int] = field(default_factory=dict)  # a stream's events by name (its coverage)
    cut: bool = False
    stalled: str | None = None
    capped: bool = False
    out_of_time: bool = False
    decode_error: str | None = None
    seconds: float = 0.0
    retried: list[int] = field(default_factory=list)  # statuses of earlier attempts (429, 502-504)

    @property
    def complete(self) -> bool:
        """The body was read to its real end (nothing cut, stalled, capped or stopped)."""
        return not (self.cut or self.stalled or self.capped or self.out_of_time)


def is_stream(headers: dict[str, str]) -> bool:
    media = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return media.split(";", 1)[0].strip().lower() == "text/event-stream"


class _Step(Protocol):
    def decompress(self, data: bytes) -> bytes: ...


class _Inflate:
    """deflate as servers send it: zlib-wrapped, or raw (some do), told apart by the first bytes."""

    def __init__(self) -> None:
        self._z: Any = None
        self._head = b""

    def decompress(self, data: bytes) -> bytes:
        if self._z is None:
            self._head += data
            if len(self._head) < 2:
                return b""
            wrapped = (self._head[0] & 0x0F) == 8 and (self._head[0] << 8 | self._head[1]) % 31 == 0
            self._z = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            data, self._head = self._head, b""
        return bytes(self._z.decompress(data))


class _Brotli:
    def __init__(self) -> None:
        self._d = brotli.Decompressor()

    def decompress(self, data: bytes) -> bytes:
        return bytes(self._d.process(data)) if data else b""


class Decoder:
    """Undo a ``Content-Encoding`` (``identity``, ``gzip``/``x-gzip``, ``deflate``, ``br``, or a list of
    them, applied in order, so decoded in reverse), chunk by chunk."""

    def __init__(self, content_encoding: str) -> None:
        names = [n.strip().lower() for n in content_encoding.split(",") if n.strip()]
        self.steps: list[_Step] = []
        for name in reversed(names):
            if name in ("gzip", "x-gzip"):
                self.steps.append(zlib.decompressobj(16 + zlib.MAX_WBITS))
            elif name == "deflate":
                self.steps.append(_Inflate())
            elif name == "br":
                self.steps.append(_Brotli())
            elif name != "identity":
                raise ValueError(f"unsupported Content-Encoding {name!r}")

    def feed(self, data: bytes) -> bytes:
        for step in self.steps:
            data = step.decompress(data)
        return data


def _set_timeout(response: Any, seconds: float) -> None:
    """Make the next socket read wait at most ``seconds`` (urllib3 keeps the connection's socket)."""
    conn = getattr(response, "connection", None)
    sock = getattr(conn, "sock", None)
    if isinstance(sock, socket.socket):
        sock.settimeout(max(0.001, seconds))


class _Reader:
    """The state of one read: the clocks, the SSE event counter, the decoder and what came so far."""

    def __init__(self, wire: Wire, limits: Limits, started: float, now: float) -> None:
        self.wire = wire
        self.limits = limits
        d = limits.deadlines
        # a stream's clocks start with its headers; any other answer's with the request
        self.ends = now + d.stream_s if wire.stream else started + d.request_s
        self.last_event = now
        self.sse = SSEDecoder() if wire.stream else None
        self.raw: list[bytes] = []
        self.body: list[bytes] = []
        self.size = 0
        try:
            self.decoder: Decoder | None = Decoder(wire.encoding)
        except ValueError as exc:
            self.decoder, wire.decode_error = None, str(exc)

    def remaining(self, now: float) -> tuple[float, str]:
        """Seconds left before the nearest deadline, and the name of that deadline."""
        d = self.limits.deadlines
        options = [(self.ends - now, "stream" if self.wire.stream else "request")]
        if self.sse is not None:
            options.append((self.last_event + d.stream_idle_s - now, "idle"))
        if self.limits.run_ends_at is not None:
            options.append((self.limits.run_ends_at - now, "max-time"))
        return min(options)

    def take(self, chunk: bytes, now: float) -> None:
        self.raw.append(chunk)
        data = chunk
        if self.decoder is not None:
            try:
                data = self.decoder.feed(chunk)
            except (zlib.error, brotli.error) as exc:
                self.decoder, self.wire.decode_error = None, f"{self.wire.encoding}: {exc}"
                data = b""
        if data:
            self.body.append(data)
            self.size += len(data)
            if self.sse is not None:
                events = self.sse.feed(data, now)
                if events:
                    self.wire.events += len(events)
                    self.last_event = now
                    names = self.wire.names
                    for ev in events:
                        names[ev.event] = names.get(ev.event, 0) + 1

    def stop(self, why: str, now: float) -> None:
        d = self.limits.deadlines
        if why == "max-time":
            self.wire.out_of_time = True
        elif why == "idle":
            self.wire.stalled = (
                f"no event for {d.stream_idle_s:g}s (--stream-idle-timeout) after "
                f"{self.wire.events} event(s); only comments or silence since"
            )
        elif why == "stream":
            self.wire.stalled = f"the stream did not end within {d.stream_s:g}s (--stream-timeout)"
        else:
            self.wire.stalled = f"the answer was not whole within {d.request_s:g}s (--request-timeout)"


def read_body(response: Any, limits: Limits, started: float, status: int, headers: dict[str, str]) -> Wire:
    """Read ``response`` (an urllib3 ``HTTPResponse`` not yet read) to its end or to a limit."""
    lower = {k.lower(): v for k, v in headers.items()}
    wire = Wire(status, dict(headers), encoding=lower.get("content-encoding", ""), stream=is_stream(headers))
    reader = _Reader(wire, limits, started, time.monotonic())
    while True:
        now = time.monotonic()
        left, which = reader.remaining(now)
        if left <= 0:
            reader.stop(which, now)
            break
        if reader.size >= limits.max_body_bytes:
            wire.capped = True
            break
        _set_timeout(response, left)
        try:
            chunk = response.read1(CHUNK, decode_content=False)
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
            continue  # the loop's clock says which deadline passed
        except (urllib3.exceptions.HTTPError, OSError):
            wire.cut = True
            break
        if not chunk:
            break
        reader.take(chunk, time.monotonic())
    if wire.complete:
        response.release_conn()
        if reader.sse is not None and reader.sse.close():
            wire.cut = True  # the body ended inside an event
    else:
        _drop(response)
    wire.raw, wire.body = b"".join(reader.raw), b"".join(reader.body)
    wire.seconds = time.monotonic() - started
    return wire


def _drop(response: Any) -> None:
    """Close a connection whose answer was not read to its end (it cannot be reused)."""
    try:
        conn = getattr(response, "connection", None)
        response.close()
        if conn is not None:
            conn.close()
    except Exception:  # closing a broken connection may fail in many ways; it is gone either way
        pass
