"""Fixtures of the server's tests: the reference server in this process (uvicorn in a thread).

Most server tests drive the app in-process (``in_process``: a real socket, so streams, timing and
disconnects behave as over the network, without starting a Python process per test). The tests whose
subject is the process itself (signals, exit codes, persistence across restarts, the CLI) use the
``serve`` fixture of tests/conftest.py, which starts ``chatgate serve`` as a child process.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatgate.server.app import create_app
from chatgate.server.config import ServerConfig
from tests.field_proxy import ThreadedServer
from tests.server.server_helpers import InProcess


def start_in_process(db: Path, **config: Any) -> ThreadedServer:
    """``create_app(ServerConfig(**config))`` on a free loopback port; its streams end at stop."""
    app = create_app(ServerConfig(**config), db=db)
    return ThreadedServer(app, on_stop=app.state.chatgate.streams.shutdown).start()


@pytest.fixture
def in_process(tmp_path: Path) -> Iterator[InProcess]:
    """Factory: ``in_process(ttft_ms=100, sampled=True)`` -> a started server (stopped at teardown)."""
    started: list[ThreadedServer] = []

    def start(**config: Any) -> ThreadedServer:
        server = start_in_process(tmp_path / f"server-{len(started)}.sqlite3", **config)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
