"""The server conforms to its own specs: a plain ``st run`` (schemathesis CLI) over every operation of
both specs, all checks, every phase (examples, coverage, fuzzing with negative data, stateful), 0 failures,
against the server as it starts by default.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chatgate.specs import spec_path
from tests.server.server_helpers import start_in_process

pytestmark = pytest.mark.slow

ST = Path(sys.executable).parent / "st"
AUTH = {"nara": "Authorization: Bearer nara-dev-key-1001", "navigable": "X-Api-Key: navigable-dev-key"}


class _Errors(logging.Handler):
    """Every ERROR the server or uvicorn logs (an unexpected exception in a handler, an ASGI failure)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Any:
    errors = _Errors()
    loggers = [logging.getLogger(name) for name in ("chatgate.server", "uvicorn.error")]
    for logger in loggers:
        logger.addHandler(errors)
    server = start_in_process(tmp_path_factory.mktemp("st-server") / "db.sqlite3", seed_messages=20)
    yield server
    server.stop()
    for logger in loggers:
        logger.removeHandler(errors)
    assert errors.records == []


@pytest.mark.parametrize("api", ["nara", pytest.param("navigable", marks=pytest.mark.e2e)])  # tiers
def test_plain_schemathesis_run_finds_nothing(api: str, target: Any, tmp_path: Path) -> None:
    cmd = [
        str(ST), "run", str(spec_path(api)),
        "--url", target.base_url,
        "-H", AUTH[api],
        "--checks", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--mode", "all",
        "--max-examples", "40",
        "--seed", "7",
        "--workers", "1",
        "--output-truncate", "true",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    tail = "\n".join(proc.stdout.splitlines()[-40:])
    assert proc.returncode == 0, tail
    assert "No issues found" in proc.stdout, tail
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in proc.stdout, tail
    assert "nara-dev-key" not in proc.stdout and "navigable-dev-key" not in proc.stdout
