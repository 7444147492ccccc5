"""Start the reference server as a child process on a free loopback port.

``contract``, ``load`` and ``run`` test this embedded server when no ``--base-url`` is given, and the
toolkit's own tests use it the same way. It is a separate process on purpose: Locust monkey-patches
the standard library with gevent, and a server sharing that process would share its CPU budget and
event loop with the load generator it is measured by::

    with EmbeddedServer(["--ttft-ms", "200"]) as server:
        print(server.base_url)   # http://127.0.0.1:PORT
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from chatgate.errors import EXIT_USAGE, UsageError
from chatgate.resources import python_command

__all__ = ["EmbeddedServer", "free_port"]

_ERROR = "chatgate: error: "


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


class EmbeddedServer:
    """``chatgate serve`` in a child process; a context manager yielding itself once it answers.

    ``args`` are extra ``chatgate serve`` flags (pacing, faults, ``--seed-messages``...). The log goes
    to ``log_path`` (a temporary file by default) so a failed start can say why.
    """

    def __init__(
        self,
        args: list[str] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        startup_timeout: float = 20.0,
        log_path: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.args = list(args or [])
        self.host = host
        self.port = port or free_port(host)
        self.startup_timeout = startup_timeout
        self._own_log = log_path is None
        if log_path is None:
            fd, name = tempfile.mkstemp(prefix="chatgate-serve-", suffix=".log")
            os.close(fd)  # the server's output is opened by name when it starts
            log_path = Path(name)
        self.log_path = log_path
        self._env = env
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> EmbeddedServer:
        cmd = [*python_command(), "-m", "chatgate", "serve", "--host", self.host, "--port", str(self.port)]
        env = dict(os.environ)
        env.update(self._env or {})
        env.setdefault("PYTHONUNBUFFERED", "1")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [*cmd, *self.args], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        deadline = time.monotonic() + self.startup_timeout
        # One client for the polls: each bare httpx.get() builds a TLS context (reading the CA bundle,
        # ~25 ms of CPU), which every 50 ms poll of a starting server used to pay.
        with httpx.Client(timeout=0.5) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise self._exit_error(self.proc.returncode)
                try:
                    if client.get(f"{self.base_url}/healthz").status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        self.stop()
        raise UsageError(
            f"the embedded reference server did not answer within {self.startup_timeout:.0f}s: "
            f"{self.log_tail() or 'no output'}"
        )

    def _exit_error(self, code: int) -> UsageError:
        """Why the server stopped before answering: its own one error line (a bad ``--server-arg``, an
        unusable spec), else the last lines of its log. Either way a toolkit error (exit 2): the
        embedded server is chatgate's own, not a target that cannot be tested (exit 3)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        said = [line.removeprefix(_ERROR) for line in text.splitlines() if line.startswith(_ERROR)]
        if code == EXIT_USAGE and said:
            return UsageError(f"embedded server: {said[-1]}")
        return UsageError(
            f"the embedded reference server did not start (exit {code}): {self.log_tail() or 'no output'}"
        )

    def log_tail(self, lines: int = 3) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(text[-lines:])

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stop gracefully (SIGINT, as Ctrl-C would), then kill if it hangs. Returns the exit code."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        if self._own_log:
            self.log_path.unlink(missing_ok=True)
