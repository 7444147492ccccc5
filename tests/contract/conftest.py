"""Fixtures for the gate's tests: fault-injected servers and ``chatgate contract`` as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatgate.embedded import free_port

ROOT = Path(__file__).resolve().parents[2]
DEV_ENV = {
    "NARA_API_KEY": "nara-dev-key-1001",
    "NAVIGABLE_API_KEY": "navigable-dev-key",
    "NARA_USER_ID": "1001",
}


class FaultyServer:
    """``python -m tests.contract.faulty_server FAULT PORT DB`` in a child process."""

    def __init__(self, fault: str, tmp: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.log = tmp / f"faulty-{fault}.log"
        cmd = [
            sys.executable,
            "-m",
            "tests.contract.faulty_server",
            fault,
            str(self.port),
            str(tmp / "db.sqlite3"),
        ]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError(f"faulty server {fault} did not start")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def faulty(tmp_path: Path) -> Iterator[Callable[..., FaultyServer]]:
    started: list[FaultyServer] = []

    def start(fault: str, env: dict[str, str] | None = None) -> FaultyServer:
        server = FaultyServer(fault, tmp_path, env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def run_gate(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``chatgate contract ARGS`` with the dev keys (unless ``env`` says otherwise)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NARA_", "NAVIGABLE_", "CHATGATE_"))}
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
    data: dict[str, Any] = json.loads((report_dir / "summary.json").read_text(encoding="utf-8"))
    return data
