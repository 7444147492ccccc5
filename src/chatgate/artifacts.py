"""Files a run leaves behind: report files written atomically, and one sink per run directory for what
must be written while a run is going (server and Locust logs, raw measurement files).

Reporters are pure functions of a result; they hand their texts to :func:`write_atomic` (or
:meth:`RunDir.publish`), which writes a temporary file beside the target and renames it over the target,
so a run that fails half-way never leaves a half-written report over a good one::

    run = RunDir(Path("reports/load/nara-stream-sends"))
    with run.log("locust.log") as log:          # a live file: a child process writes into it
        subprocess.run([...], stdout=log)
    run.publish({"summary.json": text, "summary.md": md}, secrets=[key])

Every text that goes through :meth:`RunDir.publish` or :meth:`RunDir.scrub_logs` has the run's secrets
(API keys) replaced by ``***``: keys never reach a file under ``reports/``. Files are created
``0666 & ~umask`` and folders ``0777 & ~umask``, as by any ordinary tool, so a web server running as
another user can serve the reports and docs (a temporary file alone would be ``0600``).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO

from chatgate.errors import UsageError

__all__ = ["RunDir", "scrub", "write_atomic"]


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (of 4+ characters) replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def _umask() -> int:
    """The process's umask, read without changing it (``os.umask`` sets it, racing other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename.

    Readers see the old file or the new one, never a part of either. Raises UsageError (exit 2) when the
    directory cannot be created or written, naming the path.
    """
    raw = data.encode(encoding) if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"{path.parent}: cannot write reports here: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return path


class RunDir:
    """The one place a run writes files: live files while it runs, reports (atomically) at the end."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def ensure(self) -> RunDir:
        """Create the directory (UsageError naming it when that is impossible)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"{self.root}: cannot create report directory: {exc.strerror or exc}") from None
        if not os.access(self.root, os.W_OK):
            raise UsageError(f"{self.root}: report directory is not writable")
        return self

    def path(self, name: str) -> Path:
        return self.root / name

    @contextlib.contextmanager
    def log(self, name: str, mode: str = "wb") -> Iterator[IO[bytes]]:
        """A live file (a log, a raw measurement file) opened for a child process or a writer."""
        self.ensure()
        with open(self.root / name, mode) as fh:
            yield fh

    def publish(self, files: Mapping[str, str | bytes], *, secrets: Iterable[str] = ()) -> dict[str, Path]:
        """Write every file atomically (texts scrubbed of ``secrets``); returns their paths by name."""
        keys = [s for s in secrets if s]
        out: dict[str, Path] = {}
        for name, data in files.items():
            if isinstance(data, str):
                data = scrub(data, keys)
            out[name] = write_atomic(self.root / name, data)
        return out

    def scrub_logs(self, names: Iterable[str], secrets: Iterable[str]) -> None:
        """Rewrite live files that exist (atomically) with ``secrets`` masked."""
        keys = [s for s in secrets if s]
        for name in names:
            path = self.root / name
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
                write_atomic(path, scrub(text, keys))
