"""Old clients' view: the gate run with the previous release's specs (``--specs git:v1.0.0``) against
the new deployment. A finding that a compatible change explains (``chatgate diff`` classes it a warning
or non-breaking: a field added to a schema that refuses unknown fields) is listed as explained, not
failing; a behaviour change no spec change shows still fails. Reports name ``git:REV:path``, no line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.contract.conftest import Faulty, gate
from tests.diff.edits import ROOT, apply

pytestmark = pytest.mark.slow

FIELD = (
    "        conversation_id:\n          type: string\n"
    "          description: The conversation the message belongs to.\n"
)
REQUIRED = ("required: [id, conversation_id, user_id, role, content, created_at]",
            "required: [id, user_id, role, content, created_at]")  # fmt: skip


def _git(repo: Path, *args: str) -> None:
    who = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid"}  # fmt: skip
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env={**os.environ, **who})


@pytest.fixture(autouse=True)
def _restore_specs_variables() -> Iterator[None]:
    """``--specs`` sets these for the process (the CLI runs in-process here): put them back after."""
    names = ("CHATGATE_SPECS_DIR", "CHATGATE_SPECS_ORIGIN", "CHATGATE_SPECS_WORKTREE")
    before = {name: os.environ.get(name) for name in names}
    yield
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose v1.0.0 had no ``conversation_id`` in a stored message, and whose working tree
    has today's specs (what the deployment implements); the test runs inside it."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "specs", repo / "specs")
    nara = repo / "specs" / "nara.openapi.yaml"
    today = nara.read_text()
    nara.write_text(apply(today, ((FIELD, ""), REQUIRED)))
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "specs")
    _git(repo, "commit", "-qm", "v1.0.0")
    _git(repo, "tag", "v1.0.0")
    nara.write_text(today)
    _git(repo, "commit", "-qam", "stored messages name their conversation")
    monkeypatch.chdir(repo)
    return repo


def test_a_field_added_to_a_strict_schema_is_explained_not_failing(release: Path, faulty: Faulty) -> None:
    server = faulty("none")
    args = ("--api", "nara", "--base-url", server.base_url, "--specs", "git:v1.0.0", "--max-examples", "3")
    run = gate(
        *args, "--checks", "schema_validation", report_dir=release / "out", env={"GITHUB_ACTIONS": "true"}
    )
    assert run.exit_code == 0, run.output
    annotations = [line for line in run.output.splitlines() if line.startswith("::")]
    assert annotations and all(line.startswith("::warning title=") for line in annotations)  # known: warnings
    assert all(
        "::git:v1.0.0:specs/nara.openapi.yaml: nara " in line for line in annotations
    )  # no file=, no line=
    findings = run.summary["findings"]
    assert findings and all(not f["new"] for f in findings)
    assert all(
        f["note"].startswith("explained by warning change response.schema.field-added-strict")
        for f in findings
    )
    assert {f["location"]["file"] for f in findings} == {"git:v1.0.0:specs/nara.openapi.yaml"}
    sarif = json.loads((release / "out" / "findings.sarif").read_text())
    for result in sarif["runs"][0]["results"]:
        assert result["locations"][0]["physicalLocation"] == {
            "artifactLocation": {"uri": "git:v1.0.0:specs/nara.openapi.yaml"}
        }
    assert "[explained]" in (release / "out" / "summary.md").read_text()


def test_a_behaviour_change_no_spec_change_shows_still_fails(release: Path, faulty: Faulty) -> None:
    server = faulty("nara-ignored-sort")
    args = ("--api", "nara", "--base-url", server.base_url, "--specs", "git:v1.0.0", "--max-examples", "3")
    run = gate(*args, "--checks", "schema_validation,pagination", report_dir=release / "out")
    assert run.exit_code == 1, run.output
    new = [f for f in run.summary["findings"] if f["new"]]
    assert new and {f["check"] for f in new} == {"pagination"}
    assert all(
        f["note"] and f["note"].startswith("explained") for f in run.summary["findings"] if not f["new"]
    )
