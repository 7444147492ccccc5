"""The CI files users copy (GitHub Actions, GitLab CI) run the commands the tests run, and they parse.

Every ``chatgate`` command line in them is parsed by the real command-line parser (a renamed flag or
scenario fails here, not in a user's pipeline), every file they name exists, the test jobs run the
README's test command, the deploy jobs fail loudly at their first line when their URL variables are not
set (never falling back to the embedded reference server), and the GitLab gate job's commands are run as
written against a running reference server named by those variables. The GitHub deploy gate runs the
composite action at the repository's root (tests/test_action.py runs its steps).
"""

from __future__ import annotations

import json
import os
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

# Tiers: the files parse, name what exists and refuse a missing URL in the default tier; the gate job
# run as written (marked e2e) in the e2e tier, which .ci/run runs too.

ROOT = Path(__file__).resolve().parents[1]
GITHUB = ROOT / ".github/workflows/chatgate.yml"
DEPLOY = ROOT / ".github/workflows/deploy-gate.yml"
DIFF = ROOT / ".github/workflows/spec-diff.yml"
GITLAB = ROOT / "ci/gitlab-ci.yml"
GITLAB_DEPLOY = ROOT / "ci/gitlab-deploy-gate.yml"
WORKFLOWS = (GITHUB, DEPLOY, DIFF)


def _scripts(path: Path) -> dict[str, list[str]]:
    """Job name -> its shell lines (loops over scenarios expanded)."""
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    jobs: dict[str, list[str]] = {}
    if path in WORKFLOWS:
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
    words = shlex.split(line.split("||")[0].replace("$CHATGATE_ARGS", ""))
    binaries = (".venv/bin/chatgate", "/tmp/chatgate/bin/chatgate")
    return words[1:] if words and words[0] in binaries else None


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_test_job_runs_the_readme_test_command(path: Path) -> None:
    assert "./scripts/test" in _scripts(path)["tests"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "./scripts/test" in readme and "exec scripts/test" in (ROOT / ".ci/run").read_text()


@pytest.mark.parametrize(
    ("path", "expected"),
    [(DEPLOY, {"load"}), (DIFF, {"diff"}), (GITLAB, {"lint", "contract", "load", "diff"}),
     (GITLAB_DEPLOY, {"contract"})],
    ids=["github-deploy", "github-diff", "gitlab", "gitlab-deploy"],
)  # fmt: skip
def test_every_chatgate_command_parses_and_names_existing_files(path: Path, expected: set[str]) -> None:
    commands = [a for lines in _scripts(path).values() for line in lines if (a := _chatgate_args(line))]
    assert {a[0] for a in commands} == expected
    assert sum(a[0] == "load" for a in commands) == (len(SCENARIOS) if "load" in expected else 0)
    for args in [[w.replace("$CHATGATE_API", "nara") for w in a] for a in commands]:
        command = cli.get_command(click.Context(cli), args[0])
        assert command is not None, args
        command.make_context(args[0], list(args[1:]))  # raises on a bad flag or value
        for flag in ("--baseline", "--slo"):
            if flag in args:
                assert (ROOT / args[args.index(flag) + 1]).is_file(), (flag, args)


def _run_line(line: str, env: dict[str, str], report_dir: Path) -> subprocess.CompletedProcess[str]:
    """One line of a job, as the CI runner would run it (chatgate's reports into the test's folder)."""
    args = _chatgate_args(line)
    if args is None:
        return subprocess.run(
            ["bash", "-c", line], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
        )
    if "--report-dir" in args:
        args[args.index("--report-dir") + 1] = str(report_dir)
    return subprocess.run(
        [sys.executable, "-m", "chatgate", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip


def _without_targets() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("NARA_BASE_URL", "NAVIGABLE_BASE_URL", "CHATGATE_BASE_URL"):
        env.pop(name, None)
    return env


@pytest.mark.parametrize(
    ("path", "job"),
    [(DEPLOY, "contract-gate"), (DEPLOY, "load"), (GITLAB, "contract-gate"), (GITLAB, "load"),
     (GITLAB_DEPLOY, "chatgate-gate")],
)  # fmt: skip
@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_a_deploy_job_without_its_url_variables_fails_loudly_at_its_first_line(
    path: Path, job: str, value: str | None, tmp_path: Path
) -> None:
    """CI expands a variable that is not set to an empty string: the job fails before any chatgate line
    (before the fix it tested the embedded reference server and passed)."""
    env = _without_targets()
    if value is not None:
        env["NARA_BASE_URL"] = env["NAVIGABLE_BASE_URL"] = value
    first = _scripts(path)[job][0]
    assert _chatgate_args(first) is None
    proc = _run_line(first, env, tmp_path)
    assert proc.returncode == 1
    assert "NARA_BASE_URL is not set" in proc.stdout, proc.stdout


def test_chatgate_itself_refuses_the_empty_url_ci_expands_an_unset_variable_to(tmp_path: Path) -> None:
    env = {**_without_targets(), "NARA_BASE_URL": "", "NAVIGABLE_BASE_URL": ""}
    line = next(
        line for line in _scripts(GITLAB)["contract-gate"] if (_chatgate_args(line) or [""])[0] == "contract"
    )
    proc = _run_line(line, env, tmp_path / "contract")
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("chatgate: error:")]
    assert errors == [proc.stderr.splitlines()[-1]] and "NARA_BASE_URL is empty" in errors[0], proc.stderr
    assert not (tmp_path / "contract").exists()


@pytest.mark.e2e
@pytest.mark.slow
def test_gate_job_commands_pass_as_written_against_a_deployment(tmp_path: Path, serve: Any) -> None:
    """The GitLab job's lines in order, its variables naming a running reference server (a deployment);
    the GitHub deploy gate runs the same gate through the action, with the same flags."""
    server = serve("--seed-messages", "50")
    keys = {
        "NARA_API_KEY": "nara-dev-key-1001",
        "NAVIGABLE_API_KEY": "navigable-dev-key",
        "NARA_USER_ID": "1001",
    }
    env = {
        **_without_targets(),
        **keys,
        "NARA_BASE_URL": server.base_url,
        "NAVIGABLE_BASE_URL": server.base_url,
    }
    for line in _scripts(GITLAB)["contract-gate"]:
        proc = _run_line(line, env, tmp_path / "contract")
        assert proc.returncode == 0, (line, proc.stdout[-2000:], proc.stderr[-2000:])
        assert "embedded reference server" not in proc.stdout + proc.stderr
    assert (tmp_path / "contract" / "junit.xml").is_file()
    gitlab = [a for line in _scripts(GITLAB)["contract-gate"] if (a := _chatgate_args(line))]
    gate = next(step for step in yaml.safe_load(DEPLOY.read_text())["jobs"]["contract-gate"]["steps"]
                if step.get("uses") == "./")  # fmt: skip
    assert gitlab[1][:3] == ["contract", "--api", gate["with"]["api"]]
    assert gitlab[1][gitlab[1].index("--baseline") + 1] == gate["with"]["baseline"]


def test_the_github_workflows_and_gitlab_files_are_valid() -> None:
    """Against SchemaStore's GitHub workflow schema (offline, from check-jsonschema); GitLab's parse."""
    import importlib.resources

    import jsonschema

    vendor = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads(vendor.joinpath("github-workflows.json").read_text(encoding="utf-8"))
    for path in WORKFLOWS:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
        errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(doc)]
        assert errors == [], (path.name, errors)
    for path in (GITLAB, GITLAB_DEPLOY):
        assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict)
