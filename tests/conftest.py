"""Fixtures shared by every test area.

``serve`` starts the real reference server (uvicorn on a free loopback port, in a child process) with
whatever ``chatgate serve`` flags a test needs, and stops it afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHATGATE_CHROMIUM", "/usr/bin/chromium")  # Debian's, by scripts/install
# As the machine's notes advise: without the background-networking flags Chromium itself reaches out.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class PageVisit:
    """What a page did while it was open: every request it made and every console error."""

    page: Any
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def left_the_machine(self) -> list[str]:
        return [u for u in self.requests if urlsplit(u).scheme not in ("file", "data", "blob", "about")]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's chromium, headless, driven by Playwright (no browser download).

    Module-scoped on purpose: Playwright's sync API keeps an asyncio loop running in this thread while
    it is open, and tests elsewhere call ``asyncio.run``.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/install installs Debian's chromium (as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _local_only(route: Any) -> None:
    """Let the page's own files load; abort anything else (it is also recorded and fails the test)."""
    if urlsplit(route.request.url).scheme in ("file", "data", "blob"):
        route.continue_()
    else:
        route.abort()


@pytest.fixture
def open_page(chromium: Any) -> Iterator[Callable[..., PageVisit]]:
    """``open_page(url, offline=True)``: a fresh context (offline unless told), recording requests and
    console errors; non-file requests are aborted as well as recorded when offline."""
    contexts: list[Any] = []

    def open_(url: str, *, offline: bool = True, ready: str | None = None) -> PageVisit:
        context = chromium.new_context(offline=offline, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        visit = PageVisit(page)
        if offline:
            context.route("**/*", _local_only)
        page.on("request", lambda r: visit.requests.append(r.url))
        page.on("console", lambda m: visit.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: visit.errors.append(f"uncaught: {e}"))
        page.goto(url)
        if ready:
            page.wait_for_selector(ready, timeout=30_000)
        return visit

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot() -> Callable[[PageVisit, str], Path]:
    """``screenshot(visit, name)``: a full-page PNG in test-artifacts/ (CI keeps it with the run)."""

    def take(visit: PageVisit, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        visit.page.screenshot(path=str(path), full_page=True)
        return path

    return take


# Tests marked ``untraced`` repeat code paths other tests trace (the faithful server and the field
# variants on seeds 1-4, every fault behind field transports): they run without coverage tracing,
# which doubles a gate run's CPU, in this process (pytest-cov's ``no_cover``) and in every process
# they start (coverage starts in a subprocess only when COVERAGE_PROCESS_CONFIG is in its environment).
# The tests listed in tests/untraced_processes.txt are traced themselves, but the processes they start
# are not: every arc those processes reach, other tests' processes or the test processes reach too
# (scripts/untraced_processes.py measured it and wrote the list; a test not in it is traced).
_SUBPROCESS_COVERAGE = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START")


def listed_untraced_processes() -> list[str]:
    """The test ids tests/untraced_processes.txt lists, in its order."""
    lines = (ROOT / "tests" / "untraced_processes.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


_UNTRACED_PROCESSES = frozenset(listed_untraced_processes())
# scripts/untraced_processes.py: the processes each test starts write coverage under a folder of its own.
_PROCESS_COVERAGE_DIR = os.environ.get("CHATGATE_TESTS_PROCESS_COVERAGE_DIR")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("untraced"):
            item.add_marker(pytest.mark.no_cover)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    if not item.get_closest_marker("untraced") and item.nodeid not in _UNTRACED_PROCESSES:
        return (yield)
    saved = {name: os.environ.pop(name) for name in _SUBPROCESS_COVERAGE if name in os.environ}
    try:
        return (yield)
    finally:
        os.environ.update(saved)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    if _PROCESS_COVERAGE_DIR is None:
        return (yield)
    folder = Path(_PROCESS_COVERAGE_DIR) / hashlib.sha1(item.nodeid.encode()).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nodeid").write_text(item.nodeid, encoding="utf-8")
    # Processes take their configuration from COVERAGE_PROCESS_CONFIG (serialized; COVERAGE_FILE is not
    # read for it): the same, with this test's data file.
    saved = os.environ.get("COVERAGE_PROCESS_CONFIG")
    if saved is None:
        return (yield)
    config = json.loads(base64.b64decode(saved))
    config["data_file"] = str(folder / ".c")
    os.environ["COVERAGE_PROCESS_CONFIG"] = base64.b64encode(json.dumps(config).encode()).decode()
    try:
        return (yield)
    finally:
        os.environ["COVERAGE_PROCESS_CONFIG"] = saved
