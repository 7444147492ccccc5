"""The reference server's traffic served as an evolved API: the proxy half of a spec variant.

    python -m tests.variant_proxy VARIANT MODE --port PORT --db DB [--ttft-ms 50 --itl-ms 5 ...]

serves the reference app (which implements *today's* specs: ``CHATGATE_SPECS_DIR`` is dropped before it
is imported) on 127.0.0.1:PORT inside :class:`VariantMiddleware`, which lets the variant's
:class:`Rewrite` (``tests.spec_variants``) change requests and answers on their way. ``MODE`` is
``conforming`` (the traffic the variant's spec describes) or ``mutant`` (the changed part broken). The
tests start it with :class:`VariantServer` and point chatgate at it with the variant's specs.

Event streams are rewritten one event at a time, as the app sends them: nothing is held back, so the
time to the first content event and the gaps stay the server's (``FaultMiddleware`` buffers whole
answers, which a load run's TTFT cannot survive). JSON answers are rewritten whole. A rewrite that
needs other data (every row of a listing, a session's messages) calls the app again, buffered, with
``tests.contract.faulty_server``'s ``Req`` / ``Resp``. ``GET /_variant/counts`` answers how many
requests, answers and events the rewrite has changed, so a test can tell a run that met the change from
one that never did.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx

from tests.contract.faulty_server import ASGIApp, Call, FaultMiddleware, Req, Resp, none

__all__ = ["Event", "Rewrite", "VariantMiddleware", "VariantServer", "main"]

ROOT = Path(__file__).resolve().parents[1]
MODES = ("conforming", "mutant")
COUNTS_PATH = "/_variant/counts"
Event = tuple[str, dict[str, Any]]  # an event's name and its JSON data
Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]


class Rewrite:
    """What a variant's proxy does to the traffic; every hook passes it on unchanged by default.
    ``mutant``: break the part of the traffic the variant changed."""

    def __init__(self, mutant: bool) -> None:
        self.mutant = mutant

    async def request(self, req: Req, call: Call) -> Req | Resp:
        """The request to send on to the app (changed or not), or the answer to give instead.
        ``call`` sends any request to the app and returns its whole answer."""
        del call
        return req

    def answer(self, req: Req, status: int, doc: Any) -> Any:
        """A JSON answer's document as the client gets it (``doc`` may be changed in place)."""
        del req, status
        return doc

    def events(self, req: Req, stream: dict[str, Any], event: Event) -> list[Event]:
        """The events that go out for one event of a stream (``stream``: this stream's own notes)."""
        del req, stream
        return [event]


def _sse(name: str, data: dict[str, Any]) -> bytes:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {name}\ndata: {payload}\n\n".encode()


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str:
    return next((v.decode("latin-1") for k, v in headers if k.lower() == name), "")


class _Relay:
    """The ``send`` the app is given: streams go on event by event through the rewrite, JSON whole."""

    def __init__(self, proxy: VariantMiddleware, req: Req, send: Send) -> None:
        self.proxy, self.rewrite, self.req, self.send = proxy, proxy.rewrite, req, send
        self.start: dict[str, Any] | None = None
        self.stream: dict[str, Any] | None = None  # the stream's notes, once the answer is a stream
        self.pending = b""
        self.chunks: list[bytes] = []

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if _header(headers, b"content-type").startswith("text/event-stream"):
                self.stream = {}
                await self.send(message)
            else:
                self.start = message
            return
        if message["type"] != "http.response.body":
            await self.send(message)
            return
        body, more = message.get("body", b""), bool(message.get("more_body", False))
        if self.stream is not None:
            await self._stream(body, more)
        else:
            self.chunks.append(body)
            if not more:
                await self._json()

    async def _stream(self, body: bytes, more: bool) -> None:
        *blocks, self.pending = (self.pending + body).split(b"\n\n")
        out = b"".join(self._event(block) for block in blocks)
        if not more:  # what is left of an event the app did not finish goes as it came (a cut stays cut)
            out, self.pending = out + self.pending, b""
        if out or not more:
            await self.send({"type": "http.response.body", "body": out, "more_body": more})

    def _event(self, block: bytes) -> bytes:
        lines = block.decode().split("\n")
        name = next((ln[6:].strip() for ln in lines if ln.startswith("event:")), "")
        raw = "\n".join(ln[5:].strip() for ln in lines if ln.startswith("data:"))
        try:
            data = json.loads(raw) if name else None
        except ValueError:
            data = None
        if not isinstance(data, dict):  # comments (": ping") and data that is not JSON pass as they are
            return block + b"\n\n"
        assert self.stream is not None
        before = json.dumps(data)
        out = self.rewrite.events(self.req, self.stream, (name, data))
        self.proxy.changes += out != [(name, json.loads(before))]
        return b"".join(_sse(n, d) for n, d in out)

    async def _json(self) -> None:
        assert self.start is not None
        status, headers = self.start["status"], list(self.start.get("headers", []))
        resp = Resp(status, headers, b"".join(self.chunks))
        doc = resp.json() if resp.content_type == "application/json" else None
        if doc is not None:
            before = json.dumps(doc)
            after = self.rewrite.answer(self.req, status, doc)
            self.proxy.changes += json.dumps(after) != before
            resp = resp.with_json(after)
        await _send_whole(self.send, resp)


async def _send_whole(send: Send, resp: Resp) -> None:
    await send({"type": "http.response.start", "status": resp.status, "headers": resp.headers})
    await send({"type": "http.response.body", "body": resp.body, "more_body": False})


class VariantMiddleware:
    """The reference app with a variant's :class:`Rewrite` around its API paths. ``changes`` counts
    what the rewrite changed (requests, answers, events), answered as JSON at ``GET /_variant/counts``."""

    def __init__(self, app: ASGIApp, rewrite: Rewrite) -> None:
        self.app = app
        self.rewrite = rewrite
        self.call = FaultMiddleware(app, none)._call  # its buffered call to the app
        self.changes = 0

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == COUNTS_PATH:
            await _send_whole(send, Resp(200, [], b"").with_json({"changes": self.changes}))
            return
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        req = Req(scope["method"], scope["path"], query, list(scope.get("headers", [])), body, scope)
        out = await self.rewrite.request(req, self.call)
        self.changes += out is not req
        if isinstance(out, Resp):
            await _send_whole(send, out)
            return
        headers = [(k, v) for k, v in out.headers if k.lower() != b"content-length"]
        if out.body:
            headers.append((b"content-length", str(len(out.body)).encode()))
        inner = {**scope, "query_string": urlencode(out.query, doseq=True).encode(), "headers": headers}
        told = False

        async def replay() -> dict[str, Any]:  # the body once, then the client's own (its disconnect)
            nonlocal told
            if told:
                return await receive()
            told = True
            return {"type": "http.request", "body": out.body, "more_body": False}

        await self.app(inner, replay, _Relay(self, out, send))


def with_path(req: Req, path: str) -> Req:
    """``req`` sent to another path of the app."""
    return replace(req, path=path, scope={**req.scope, "path": path, "raw_path": path.encode()})


class VariantServer:
    """``python -m tests.variant_proxy`` in a child process, started and stopped by a test::

    with VariantServer("usage-event", "conforming", tmp_path, "--ttft-ms", "50") as server:
        ...server.base_url...
    """

    def __init__(self, variant: str, mode: str, tmp: Path, *flags: str) -> None:
        from chatgate.embedded import free_port

        self.port = free_port()
        self.log = tmp / f"{variant}-{mode}-{self.port}.log"
        self.args = [variant, mode, "--port", str(self.port), "--db", str(tmp / f"{variant}-{mode}.sqlite3")]
        self.args += flags
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def changes(self) -> int:
        """How many requests, answers and events the variant's rewrite has changed so far."""
        found: int = httpx.get(f"{self.base_url}{COUNTS_PATH}", timeout=5).json()["changes"]
        return found

    def start(self, timeout: float = 30.0) -> VariantServer:
        # the server runs today's specs: no spec folder, key or target of the developer's shell leaks in
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CHATGATE_", "NARA_", "NAVIGABLE_"))}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.variant_proxy", *self.args],
                cwd=ROOT,
                env={**env, "PYTHONUNBUFFERED": "1"},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2) as client:
            while True:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"variant proxy did not start: {self.log.read_text()[-2000:]}")
                try:
                    if client.get(f"{self.base_url}/healthz").status_code == 200:
                        return self
                except httpx.TransportError:
                    time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def __enter__(self) -> VariantServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tests.variant_proxy", description=__doc__.split("\n\n")[0])
    p.add_argument("variant")
    p.add_argument("mode", choices=MODES)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--seed-messages", type=int, default=50)
    p.add_argument("--ttft-ms", type=float, default=0.0)
    p.add_argument("--itl-ms", type=float, default=0.0)
    p.add_argument("--reply-tokens", type=int, default=12)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    os.environ.pop("CHATGATE_SPECS_DIR", None)  # before the server is imported: it reads today's specs
    import uvicorn

    from tests.contract.faulty_server import reference_app
    from tests.spec_variants import VARIANTS

    if args.variant not in VARIANTS:
        known = ", ".join(VARIANTS)
        print(f"variant_proxy: unknown variant {args.variant!r} (one of: {known})", file=sys.stderr)
        return 2
    options = {"ttft_ms": args.ttft_ms, "itl_ms": args.itl_ms, "reply_tokens": args.reply_tokens}
    app = reference_app(args.db, args.seed_messages, **options)
    rewrite = VARIANTS[args.variant].rewrite(args.mode == "mutant")
    uvicorn.run(
        VariantMiddleware(app, rewrite), host="127.0.0.1", port=args.port, log_level="warning",
        access_log=False, timeout_graceful_shutdown=2,
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
