"""The suite (``contracts/``) in a child ``pytest`` process, and its ledger read back.

A child process because schemathesis and Hypothesis keep global state, and because the suite must stay
runnable on its own as ``pytest contracts/``. Its configuration goes through the environment (see
``contracts/target.py``); its output goes live into ``pytest.log`` of the run's directory (keys
scrubbed), its progress lines (``contract: [n/m] ...``) to ``progress``; its ledger comes back as
``results.json``. The suite stops itself at the run's end (``--max-time``: nothing is sent after it, and
it reports what ran); a watchdog kills a suite still running :data:`GRACE_S` after that.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from chatgate.apis import scheme_variable
from chatgate.artifacts import RunDir, scrub
from chatgate.errors import TargetError, UsageError
from chatgate.gate.ledger import SuiteRecord
from chatgate.gate.scope import Scope
from chatgate.gate.settings import Transport
from chatgate.resources import contracts_dir, python_command
from chatgate.targets import Target

__all__ = ["GRACE_S", "SuiteRun", "run_suite"]

GRACE_S = 60.0  # after the run's end, a suite still running is killed
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class SuiteRun:
    """How to run the suite once."""

    targets: Mapping[str, Target]
    max_examples: int
    seed: int
    scope: Scope
    second: Target | None = None  # a second Nara identity (cross-user checks)
    transport: Transport = field(default_factory=Transport)
    embedded: bool = False
    ends_at: float = 0.0  # Unix time: nothing is sent after it (0: --max-time from now)

    @property
    def secrets(self) -> list[str]:
        keys = [t.key for t in self.targets.values()] + ([self.second.key] if self.second else [])
        return keys + self.scope.secrets


def _environment(run: SuiteRun, results: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NARA_", "NAVIGABLE_", "CHATGATE_", "PYTEST_")) and k != "HYPOTHESIS_PROFILE"
    }
    env.update(
        {
            "CHATGATE_API": next(iter(run.targets)) if len(run.targets) == 1 else "all",
            "CHATGATE_MAX_EXAMPLES": str(run.max_examples),
            "CHATGATE_SEED": str(run.seed),
            "CHATGATE_RESULTS_FILE": str(results),
            "CHATGATE_PROGRESS": "1",
            "PYTHONHASHSEED": "0",
            "PYTHONUNBUFFERED": "1",
            # The suite needs no pytest plugin but its own conftest: none of the environment's is loaded
            # (a user's repository may have pytest-django or strict pytest-asyncio installed; each would
            # also cost ~0.3 s of imports per gate run).
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            **run.scope.to_env(),
            **run.transport.env(run.ends_at or run.transport.ends_at(), run.embedded),
        }
    )
    if os.environ.get("CHATGATE_SPECS_DIR"):
        env["CHATGATE_SPECS_DIR"] = os.environ["CHATGATE_SPECS_DIR"]
    for api, t in run.targets.items():
        env[f"{api.upper()}_BASE_URL"] = t.base_url
        env[f"{api.upper()}_API_KEY"] = t.key
        if t.scheme is not None:
            env[scheme_variable(t.api)] = t.scheme
        if t.user_id is not None:
            env["NARA_USER_ID"] = str(t.user_id)
    if run.second is not None:
        env["NARA_API_KEY_2"] = run.second.key
        env["NARA_USER_ID_2"] = str(run.second.user_id)
    return env


def _command(suite: Path) -> list[str]:
    return [
        *python_command(),
        "-m",
        "pytest",
        str(suite),
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:warnings",
        "-p",
        "no:xdist",
        "-p",
        "no:cov",
        # Its end-of-run gc.collect() x5 costs ~0.5 s per gate run, for warnings -p no:warnings hides.
        "-p",
        "no:unraisableexception",
        "--rootdir",
        str(suite.parent),
        "-o",
        "addopts=",
        "--color=no",
        # The suite records findings itself; rewriting asserts of every imported module would cost
        # seconds per run where bytecode is not cached.
        "--assert=plain",
    ]


def _pump(proc: subprocess.Popen[str], log: IO[bytes], secrets: list[str], say: Progress) -> list[str]:
    """Copy the suite's output into the log (keys scrubbed), progress lines to ``say``; the last lines."""
    assert proc.stdout is not None
    tail: list[str] = []
    for raw in proc.stdout:
        line = scrub(raw.rstrip("\n"), secrets)
        at = line.find("contract: [")
        if at >= 0:
            say(line[at:])
            line = line[:at]
        if line:
            log.write((line + "\n").encode("utf-8"))
            tail = [*tail[-20:], line]
    return tail


def run_suite(run: SuiteRun, run_dir: RunDir, say: Progress) -> tuple[SuiteRecord, int]:
    """Run the suite; its record and pytest's exit code. TargetError when the watchdog fired."""
    suite = contracts_dir()
    limit = max(1.0, (run.ends_at or run.transport.ends_at()) - time.time()) + GRACE_S
    with tempfile.TemporaryDirectory(prefix="chatgate-gate-") as tmp, run_dir.log("pytest.log") as log:
        results = Path(tmp) / "results.json"
        proc = subprocess.Popen(
            _command(suite),
            cwd=suite.parent,
            env=_environment(run, results),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        # A watchdog, not a check between lines: a suite stuck on a silent target prints nothing.
        fired = threading.Event()

        def stop_the_suite() -> None:
            fired.set()
            proc.kill()

        watchdog = threading.Timer(limit, stop_the_suite)
        watchdog.daemon = True
        watchdog.start()
        try:
            tail = _pump(proc, log, run.secrets, say)
            code = proc.wait()
        finally:
            watchdog.cancel()
        if fired.is_set():
            raise TargetError(f"the suite did not stop within {GRACE_S:.0f}s of --max-time (target hanging?)")
        if not results.exists():
            last = next((ln for ln in reversed(tail) if ln.strip()), "no output")
            raise UsageError(f"the contract suite could not run (pytest exit {code}): {last[:300]}")
        return SuiteRecord.from_json(results.read_text(encoding="utf-8")), code
