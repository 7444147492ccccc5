"""Run ``chatgate load --master`` and ``--worker`` processes for the multihost tests, on this machine's
loopback or each in its own network namespace (``prefix``: ``ip netns exec NS``), and always stop them.

Each process starts in its own session, so a worker "machine" dies with everything it started
(``kill_node``: SIGKILL to its process group), and the cleanup ends every group it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

KEYS = {"NARA_API_KEY": "nara-dev-key-1001", "NAVIGABLE_API_KEY": "navigable-dev-key", "NARA_USER_ID": "1001"}


@dataclass
class Node:
    """One machine of a test: where its commands run, and its address as the others see it."""

    name: str
    address: str = "127.0.0.1"
    prefix: tuple[str, ...] = ()


@dataclass
class Procs:
    """The processes a test started (each the leader of its own process group)."""

    started: list[subprocess.Popen[str]] = field(default_factory=list)

    def start(self, node: Node, args: Sequence[str], log: Path, **env: str) -> subprocess.Popen[str]:
        out = open(log, "w", encoding="utf-8")  # noqa: SIM115 (closed with the process, in stop_all)
        proc = subprocess.Popen(
            [*node.prefix, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **KEYS, **env},
            start_new_session=True,
        )
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.started:
            kill_node(proc)
            if proc.stdout is not None:
                proc.stdout.close()


def kill_node(proc: subprocess.Popen[str]) -> None:
    """The machine dies: SIGKILL to the process and everything it started."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


@contextmanager
def processes() -> Iterator[Procs]:
    procs = Procs()
    try:
        yield procs
    finally:
        procs.stop_all()


def chatgate(*args: str) -> list[str]:
    return [sys.executable, "-m", "chatgate", "load", *args]


def wait_running(status_dir: Path, timeout: float = 90.0) -> float:
    """Wait until a worker's first process says it is running (its status file); Unix time then."""
    status = status_dir / ".worker-0.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if json.loads(status.read_text("utf-8")).get("state") == "running":
                return time.time()
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"the worker did not start running within {timeout:g}s ({status})")


def finish(proc: subprocess.Popen[str], log: Path, timeout: float) -> tuple[int, str]:
    """The exit code and output of a process that must end within ``timeout``."""
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_node(proc)
        tail = log.read_text(encoding="utf-8")[-3000:]
        raise AssertionError(f"{proc.args!r} did not end within {timeout:g}s:\n{tail}") from None
    return code, log.read_text(encoding="utf-8")


def summary_of(report_dir: Path, scenario: str = "nara-stream-sends") -> dict[str, object]:
    from tests.load.conftest import read_summary

    return read_summary(report_dir, scenario)
