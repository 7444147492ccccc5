"""The CI files users copy (GitHub Actions, GitLab CI) run the commands the tests run, and they parse.

Every ``chatgate`` command line in them is parsed by the real command-line parser (a renamed flag or
scenario fails here, not in a user's pipeline), every file they name exists, the test jobs run the
README's test command, and the gate job's commands are run as written against the embedded server.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from chatgate.cli import cli
from chatgate.load.config import SCENARIOS

# Tiers: the files parse and name what exists in the default tier; the gate job run as written
# (marked e2e) in the e2e tier, which .ci/run runs too.

ROOT = Path(__file__).resolve().parents[1]
GITHUB = ROOT / ".github/workflows/chatgate.yml"
GITLAB = ROOT / "ci/gitlab-ci.yml"


def _scripts(path: Path) -> dict[str, list[str]]:
    """Job name -> its shell lines (loops over scenarios expanded)."""
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    jobs: dict[str, list[str]] = {}
    if path == GITHUB:
        for name, job in doc["jobs"].items():
            jobs[name] = [line for step in job["steps"] if "run" in step for line in step["run"].splitlines()]
    else:
        for name, job in doc.items():
            if isinstance(job, dict) and "script" in job:
                jobs[name] = [line for item in job["script"] for line in str(item).splitlines()]
    for name, lines in jobs.items():
        expanded: list[str] = []
        for line in lines:
            if '"$s"' in line:
                expanded += [line.replace('"$s"', s) for s in SCENARIOS]
            else:
                expanded.append(line)
        jobs[name] = [line.strip() for line in expanded if line.strip()]
    return jobs


def _chatgate_args(line: str) -> list[str] | None:
    words = shlex.split(line.split("||")[0])
    return words[1:] if words and words[0] == ".venv/bin/chatgate" else None


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_test_job_runs_the_readme_test_command(path: Path) -> None:
    assert "./scripts/test" in _scripts(path)["tests"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "./scripts/test" in readme and "exec scripts/test" in (ROOT / ".ci/run").read_text()


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_every_chatgate_command_parses_and_names_existing_files(path: Path) -> None:
    commands = [a for lines in _scripts(path).values() for line in lines if (a := _chatgate_args(line))]
    assert {a[0] for a in commands} >= {"lint", "contract", "load"}
    assert sum(a[0] == "load" for a in commands) == len(SCENARIOS)
    for args in commands:
        command = cli.get_command(click.Context(cli), args[0])
        assert command is not None, args
        command.make_context(args[0], list(args[1:]))  # raises on a bad flag or value
        for flag in ("--baseline", "--slo"):
            if flag in args:
                assert (ROOT / args[args.index(flag) + 1]).is_file(), (flag, args)


@pytest.mark.e2e
@pytest.mark.slow
def test_gate_job_commands_pass_on_the_embedded_server(tmp_path: Path) -> None:
    for line in _scripts(GITHUB)["contract-gate"]:
        args = _chatgate_args(line)
        if args is None:
            continue
        if "--report-dir" in args:  # the same command, reporting into the test's own folder
            args[args.index("--report-dir") + 1] = str(tmp_path / "contract")
        proc = subprocess.run(
            [sys.executable, "-m", "chatgate", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
        )
        assert proc.returncode == 0, (args, proc.stdout[-2000:], proc.stderr[-2000:])
    assert (tmp_path / "contract" / "junit.xml").is_file()
    gitlab = [a for line in _scripts(GITLAB)["contract-gate"] if (a := _chatgate_args(line))]
    github = [a for line in _scripts(GITHUB)["contract-gate"] if (a := _chatgate_args(line))]
    assert gitlab == github and len(github) == 2
