"""Fixtures shared by every test area.

``serve`` starts the real reference server (uvicorn on a free loopback port, in a child process) with
whatever ``chatgate serve`` flags a test needs, and stops it afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chatgate.embedded import EmbeddedServer

ROOT = Path(__file__).resolve().parents[1]

ServeFactory = Callable[..., EmbeddedServer]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[ServeFactory]:
    """Factory: ``serve("--ttft-ms", "200")`` -> a started EmbeddedServer (stopped at teardown)."""
    started: list[EmbeddedServer] = []

    def start(*args: str, db: Path | None = None, env: dict[str, str] | None = None) -> EmbeddedServer:
        flags = list(args)
        if "--db" not in flags:
            flags += ["--db", str(db or tmp_path / f"server-{len(started)}.sqlite3")]
        server = EmbeddedServer(flags, log_path=tmp_path / f"server-{len(started)}.log", env=env)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    """One plain reference server (seeded with 50 messages per user) for read-mostly tests."""
    tmp = tmp_path_factory.mktemp("shared-server")
    server = EmbeddedServer(
        ["--db", str(tmp / "db.sqlite3"), "--seed-messages", "50"], log_path=tmp / "server.log"
    )
    server.start()
    yield server
    server.stop()
