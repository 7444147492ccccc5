"""Fixtures for the load tests: ``load_cli`` runs ``chatgate load`` as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from chatgate.artifacts import RunDir
from chatgate.load.config import load_options
from chatgate.load.model import LoadResult
from chatgate.load.report import write_load_reports
from chatgate.load.runner import run_load

LoadCli = Callable[..., subprocess.CompletedProcess[str]]


def _chatgate_load(*args: str, timeout: float = 240.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatgate", "load", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.fixture
def load_cli() -> LoadCli:
    return _chatgate_load


SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "src/chatgate/schemas/load.summary.schema.json").read_text("utf-8")
)


def read_summary(report_dir: Path, scenario: str) -> dict[str, Any]:
    """A run's ``summary.json``, checked against the shipped JSON Schema (every run of these tests)."""
    data: dict[str, Any] = json.loads((report_dir / scenario / "summary.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(data)
    return data


@pytest.fixture
def summary_of() -> Callable[[Path, str], dict[str, Any]]:
    return read_summary


@pytest.fixture(autouse=True)
def dev_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' servers are reference servers started with the dev keys; a real target needs keys set."""
    monkeypatch.setenv("NARA_API_KEY", "nara-dev-key-1001")
    monkeypatch.setenv("NAVIGABLE_API_KEY", "navigable-dev-key")
    monkeypatch.setenv("NARA_USER_ID", "1001")
    for name in ("NARA_BASE_URL", "NAVIGABLE_BASE_URL", "CHATGATE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def served(base_url: str, api: str, operation: str | None = None) -> int:
    """How many requests of ``api`` (one operation, or all) a reference server answered, by its own count."""
    ops = httpx.get(f"{base_url}/_chatgate/stats", timeout=5).json()["requests"][api]
    return sum(sum(by_status.values()) for op, by_status in ops.items() if operation in (None, op))


def run_judged(scenario: str, report_dir: Path, **given: Any) -> tuple[LoadResult, dict[str, Any]]:
    """``chatgate load`` in-process (Locust still in child processes): the result, its reports written,
    and its ``summary.json`` as read back from disk."""
    if isinstance(given.get("run_time"), str):
        from chatgate.options import parse_duration

        given["run_time_s"] = parse_duration(given.pop("run_time"))
    result = run_load(load_options(scenario, report_dir=report_dir, **given))
    write_load_reports(result, RunDir(result.report_dir))
    return result, read_summary(report_dir, scenario)


# The generator's budgets relaxed: on a busy 2-core machine (two xdist workers) a short run can lose the
# CPU for 100 ms and rightly be judged invalid, which is not what most tests are about.
LENIENT_MONITOR = (
    "[monitor]\nmax_loop_lag_p99_ms = 100\nmax_loop_lag_max_ms = 2000\nmax_late_arrival_rate = 0.5\n"
    "max_schedule_slip_p99_ms = 2000\nmax_cpu_mean_percent = 200\n\n"
)


def write_lenient_slo(path: Path) -> Path:
    """The shipped SLO file with ``LENIENT_MONITOR`` for its budgets, written to ``path``."""
    from chatgate.resources import loadtests_dir

    shipped = (loadtests_dir() / "slo.toml").read_text(encoding="utf-8")
    path.write_text(LENIENT_MONITOR + shipped[shipped.index("\n[scenario.") + 1 :], encoding="utf-8")
    return path


@pytest.fixture
def lenient_slo(tmp_path: Path) -> Path:
    """The shipped SLO file with the generator's budgets relaxed, for tests whose subject is something
    else (raw data, the cap, a stalled target, early stops, goodput, compare). The budgets themselves
    are tested with the shipped values (test_judge, the starved generator)."""
    return write_lenient_slo(tmp_path / "lenient-slo.toml")
