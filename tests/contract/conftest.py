"""Fixtures for the gate's tests: fault-injected servers in-process, and the gate run three ways.

- :func:`faulty` starts a fault-injected reference server (``tests.contract.faulty_server``) on uvicorn in
  a thread of the test process, on a socket bound to a free loopback port: no subprocess, a fresh
  database per server, nothing shared between tests (pytest-xdist friendly). With ``proxy=`` it sits
  behind a field proxy (``tests.field_proxy``: compression, line ends, pings, latency, 429s, transient
  5xx, another client writing), and ``base_url`` is the proxy's.
- :func:`gate` runs ``chatgate contract`` in-process through the real click command (the suite still
  runs in its child pytest, as always) and returns the exit code, output and summary.
- :func:`run_gate` runs ``python -m chatgate contract`` in a subprocess: the end-to-end tests.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import uvicorn
from click.testing import CliRunner

from chatgate.cli import run_cli
from chatgate.gate.summary import load_schema
from tests.field_proxy import FieldProxy, ProxyConfig

ROOT = Path(__file__).resolve().parents[2]
DEV_ENV = {
    "NARA_API_KEY": "nara-dev-key-1001",
    "NAVIGABLE_API_KEY": "navigable-dev-key",
    "NARA_USER_ID": "1001",
}
# Variables of the developer's shell that would change what the gate does.
_CLEARED = {k: None for k in os.environ if k.startswith(("NARA_", "NAVIGABLE_", "CHATGATE_", "GITHUB_"))}


class FaultyServer:
    """A fault-injected reference server on uvicorn in a thread; ``stop()`` ends it."""

    def __init__(
        self,
        fault: str,
        tmp: Path,
        env: dict[str, str] | None = None,
        seed_messages: int = 50,
        proxy: ProxyConfig | None = None,
        pace_s: float = 0.0,
        tls: dict[str, Any] | None = None,
        **options: Any,
    ) -> None:
        from tests.contract.faulty_server import FAULTS, FaultMiddleware, reference_app

        self.fault = fault
        self.proxy: FieldProxy | None = None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        saved = {k: os.environ.get(k) for k in env or {}}
        os.environ.update(env or {})
        try:
            db = tmp / f"{fault}-{self.port}.sqlite3"
            app = FaultMiddleware(reference_app(db, seed_messages, **options), FAULTS[fault], pace_s)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        config = uvicorn.Config(app, log_level="critical", access_log=False, lifespan="on", **(tls or {}))
        self.scheme = "https" if tls else "http"
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._serve, name=f"faulty-{fault}", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, (
                f"faulty server {fault} did not start"
            )
            time.sleep(0.01)
        if proxy is not None:
            self.proxy = FieldProxy(self.server_url, proxy).start()

    def _serve(self) -> None:
        # uvloop (uvicorn[standard]'s loop, as `chatgate serve` runs it): twice as fast as asyncio's here
        try:
            import uvloop

            factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
        except ImportError:
            factory = None
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(self.server.serve(sockets=[self.sock]))

    @property
    def server_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """Where clients go: the proxy when there is one, else the server."""
        return self.proxy.base_url if self.proxy is not None else self.server_url

    def stats(self) -> dict[str, Any]:
        """The server's own request counts (``GET /_chatgate/stats``)."""
        data: dict[str, Any] = httpx.get(f"{self.server_url}/_chatgate/stats", timeout=5, verify=False).json()
        return data

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.sock.close()
        assert not self.thread.is_alive(), f"faulty server {self.fault} did not stop"


Faulty = Callable[..., FaultyServer]


@pytest.fixture
def faulty(tmp_path: Path) -> Iterator[Faulty]:
    """Factory: ``faulty("nara-wrong-totals")`` -> a started server (stopped at teardown); keyword
    arguments: ``seed_messages``, ``proxy`` (a ProxyConfig), and ServerConfig options (``sampled=True``)."""
    started: list[FaultyServer] = []

    def start(fault: str, env: dict[str, str] | None = None, **kwargs: Any) -> FaultyServer:
        server = FaultyServer(fault, tmp_path, env, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@dataclass
class GateRun:
    """What one in-process ``chatgate contract`` gave back."""

    exit_code: int
    output: str  # stdout and stderr together
    report_dir: Path

    @property
    def summary(self) -> dict[str, Any]:
        return summary(self.report_dir)

    @property
    def fired(self) -> set[str]:
        """Every check that saw a defect: each finding's primary check and the checks that agreed."""
        findings = self.summary["findings"]
        return {f["check"] for f in findings} | {a["check"] for f in findings for a in f["agreeing"]}

    def status(self, check: str) -> str:
        return str(self.summary["checks"][check]["status"])


def gate(*args: str, report_dir: Path, env: dict[str, str] | None = None) -> GateRun:
    """``chatgate contract ARGS --report-dir DIR`` in-process, with the dev keys unless ``env`` says
    otherwise (``env`` values of None unset a variable)."""
    full_env: dict[str, str | None] = {**_CLEARED, **DEV_ENV, **(env or {})}
    # Through run_cli, as the console script runs: its error handling (one line, exit code) included.
    with CliRunner().isolation(env=full_env) as (_out, _err, output):
        code = run_cli(["contract", *args, "--report-dir", str(report_dir)])
    return GateRun(code, output.getvalue().decode("utf-8", "replace"), report_dir)


def run_gate(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``python -m chatgate contract ARGS`` in a subprocess, with the dev keys (unless ``env`` says
    otherwise)."""
    base = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    return subprocess.run(
        [sys.executable, "-m", "chatgate", "contract", *args],
        cwd=ROOT,
        env={**base, **DEV_ENV, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def summary(report_dir: Path) -> dict[str, Any]:
    """The run's summary.json, validated against the schema shipped in the package (every test reads it
    through here, so every summary any test sees validates)."""
    data: dict[str, Any] = json.loads((report_dir / "summary.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(load_schema(), format_checker=jsonschema.FormatChecker())
    validator.validate(data)
    return data
