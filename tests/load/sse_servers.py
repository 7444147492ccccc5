"""Hand-paced SSE targets from the standard library, where the truth is exact (threads, loopback).

One server, several behaviours chosen by the first path segment of the base URL
(``{base}/<behaviour>/api/v1.0/chat``):

- ``paced``: ``message_start``, three deltas 20 ms apart, a 300 ms stall, ``message_end``
- ``gzip`` / ``deflate`` / ``br``: the same events 20 ms apart, compressed per Content-Encoding and
  flushed per event (as a compressing proxy that keeps streaming does)
- ``pings``: ``message_start`` and two deltas, then only ``: ping`` comments every 100 ms, forever
- ``burst``: the whole stream in one write (a buffering proxy)
- ``error``: ends with a terminal ``error`` event
- ``headers``: records the request headers it got (``HEADERS``) and answers a short stream

GET on any path answers an empty Nara page (the load runner's probe).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import brotli

STALL_S = 0.3
GAP_S = 0.02
HEADERS: list[dict[str, str]] = []
PAGE = {"data": [], "pagination": {"current_page": 1, "rows_per_page": 1, "total_rows": 0, "total_pages": 0}}


def event(name: str, **data: Any) -> bytes:
    return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n".encode()


START = event("message_start", message_id=2, user_message_id=1, conversation_id="c")
END = event("message_end", message_id=2, finish_reason="stop")


def delta(i: int) -> bytes:
    return event("delta", index=i, content="x")


def _encoder(kind: str) -> tuple[Callable[[bytes], bytes], Callable[[], bytes]]:
    if kind == "br":
        comp = brotli.Compressor()
        return (lambda b: comp.process(b) + comp.flush()), comp.finish
    z = zlib.compressobj(wbits=31 if kind == "gzip" else 15)
    return (lambda b: z.compress(b) + z.flush(zlib.Z_SYNC_FLUSH)), z.flush


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes

    def setup(self) -> None:
        super().setup()
        # Each write leaves at once (no Nagle): what the client sees apart was sent apart.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = json.dumps(PAGE).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _start(self, encoding: str = "") -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.end_headers()

    def _send(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def do_POST(self) -> None:
        kind = self.path.strip("/").split("/")[0]
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            getattr(self, f"_{kind}")()

    def _paced(self) -> None:
        self._start()
        self._send(START)
        for i in range(3):
            time.sleep(GAP_S)
            self._send(delta(i))
        time.sleep(STALL_S)
        self._send(END)

    def _compressed(self, kind: str) -> None:
        self._start(kind)
        encode, finish = _encoder(kind)
        self._send(encode(START))
        for i in range(3):
            time.sleep(GAP_S)
            self._send(encode(delta(i)))
        time.sleep(GAP_S)
        self._send(encode(END) + finish())

    def _gzip(self) -> None:
        self._compressed("gzip")

    def _deflate(self) -> None:
        self._compressed("deflate")

    def _br(self) -> None:
        self._compressed("br")

    def _pings(self) -> None:
        self._start()
        self._send(START + delta(0))
        time.sleep(GAP_S)
        self._send(delta(1))
        while True:
            time.sleep(0.1)
            self._send(b": ping\n\n")

    def _burst(self) -> None:
        self._start()
        self._send(START + b"".join(delta(i) for i in range(5)) + END)

    def _error(self) -> None:
        self._start()
        self._send(START + delta(0) + event("error", code="internal_error", message="The reply failed."))

    def _headers(self) -> None:
        HEADERS.append(dict(self.headers.items()))
        self._burst()


def serve() -> Iterator[str]:
    """Start the server in a thread; yields its base URL (without a behaviour segment)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
