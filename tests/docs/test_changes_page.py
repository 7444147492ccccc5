"""The docs' "Changes" page: the specs' git history, each commit's changes classified by ``chatgate diff``,
breaking ones first (and visible without scrolling, in a real browser); without git history, it says so."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from chatgate.docs.changes import render_changes
from tests.diff.edits import ROOT, apply

SORT = 'enum: ["created_at:desc", "created_at:asc", "id:desc", "id:asc"]'
SEED = "        seed:\n          type: integer\n        temperature:\n"


def _git(repo: Path, *args: str) -> None:
    facts = (("NAME", "t"), ("EMAIL", "t@example.invalid"), ("DATE", "2026-03-04T05:06:07Z"))
    who = {f"GIT_{r}_{k}": v for r in ("AUTHOR", "COMMITTER") for k, v in facts}
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env={**os.environ, **who})


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """specs/ over four commits: created (v1.0.0), a docs edit, a new optional field, a sort order
    removed with a major bump (v2.0.0); and a commit that changes no spec."""
    repo = tmp_path_factory.mktemp("history")
    shutil.copytree(ROOT / "specs", repo / "specs")
    nara = repo / "specs" / "nara.openapi.yaml"
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "specs")
    _git(repo, "commit", "-qm", "specs: first release")
    _git(repo, "tag", "v1.0.0")
    steps = (
        ("docs: a shorter summary", (("summary: Send a chat message", "summary: Send a message"),)),
        ("specs: a seed field", (("        temperature:\n", SEED),)),
        ("specs: no more id:asc", ((SORT, 'enum: ["created_at:desc", "created_at:asc", "id:desc"]'),
                                   ('version: "1.0.0"', 'version: "2.0.0"'))),
    )  # fmt: skip
    for subject, edits in steps:
        nara.write_text(apply(nara.read_text(), edits))
        _git(repo, "commit", "-qam", subject)
    (repo / "README").write_text("not a spec\n")
    _git(repo, "add", "README")
    _git(repo, "commit", "-qm", "readme")
    _git(repo, "tag", "v2.0.0", "HEAD~1")
    return repo


def test_each_commit_that_changed_a_spec_is_listed_with_its_classified_changes(history: Path) -> None:
    html, info = render_changes(history / "specs")
    assert (info.commits, info.breaking, info.unavailable) == (4, 1, None)
    assert html.count('<section class="revision"') == 4 and "readme" not in html
    order = [
        html.index(s)
        for s in ("specs: no more id:asc", "specs: a seed field", "docs: a shorter", "first release")
    ]
    assert order == sorted(order)  # newest first
    assert html.index('id="breaking"') < html.index('<section class="revision"')  # breaking ones first
    assert 'data-rule="rule.pagination.sort-value-removed"' in html and "v2.0.0" in html and "v1.0.0" in html
    assert 'data-rule="request.body.field-added"' in html and 'data-rule="docs.changed"' in html
    assert 'data-rule="spec.added"' in html  # the commit that created specs/
    assert "<code>nara.openapi.yaml</code> v2.0.0" in html


def test_without_git_history_the_page_says_so(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    html, info = render_changes(tmp_path / "specs")
    assert (
        info.commits == 0
        and info.unavailable is not None
        and "not inside a git repository" in info.unavailable
    )
    assert 'id="no-history"' in html and "without the git history of the specs" in html


@pytest.mark.browser
def test_breaking_changes_are_visible_without_scrolling(
    history: Path, tmp_path: Path, open_page: Any, screenshot: Any
) -> None:
    page_file = tmp_path / "changes.html"
    page_file.write_text(render_changes(history / "specs")[0], encoding="utf-8")
    visit = open_page(page_file.as_uri())
    page = visit.page
    row = page.locator('#breaking tr[data-rule="rule.pagination.sort-value-removed"]')
    assert row.count() == 1
    box = row.bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]  # on the first screen
    assert page.evaluate("window.scrollY") == 0
    assert "sort_by no longer accepts id:asc" in row.inner_text()
    assert row.locator("code").all_inner_texts()[-2:] == ["sort_by", "id:asc"]
    assert page.locator("section.revision").count() == 4
    screenshot(visit, "docs-changes")
    assert visit.left_the_machine() == [] and visit.errors == []
