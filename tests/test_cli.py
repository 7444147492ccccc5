"""The command line end to end: every command answers --help, bad usage is one line and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ["serve", "lint", "contract", "load", "capacity", "compare", "diff", "docs", "run"]


def chatgate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatgate", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_top_level_help_lists_every_command_and_exit_codes() -> None:
    proc = chatgate("--help")
    assert proc.returncode == 0
    for name in COMMANDS:
        assert f"  {name} " in proc.stdout
    assert "4 measurement invalid" in proc.stdout


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name: str) -> None:
    proc = chatgate(name, "--help")
    assert proc.returncode == 0, proc.stderr
    assert f"Usage: chatgate {name}" in proc.stdout


def test_version() -> None:
    proc = chatgate("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("chatgate, version ")


@pytest.mark.parametrize(
    "args",
    [
        ["frobnicate"],
        ["--no-such-flag"],
        ["contract", "--api", "narra"],
        ["contract", "--max-examples", "many"],
        ["load", "--users", "-3"],
        ["load", "--scenario", "no-such-scenario"],
        ["capacity", "--resolution", "fine"],
        ["capacity", "--min-rps", "-1"],
        ["compare", "only-one-dir"],
        ["diff", "only-old"],
        ["diff", "specs", "specs", "--update-accept"],
        ["serve", "--port", "http"],
        ["docs", "--out"],
    ],
)
def test_bad_usage_is_exit_2_without_traceback(args: list[str]) -> None:
    proc = chatgate(*args)
    assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr.strip(), "a usage error says what is wrong"
