"""One spec pair per rule of ``chatgate diff`` (docs/diff-rules.md): each fires its rule with its class,
at its pointer, on the right line of each side; the table covers every rule; renaming a component or
editing only documentation is no breaking change; the real specs against themselves give nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatgate.diff.catalogue import RULES
from chatgate.diff.runner import run_diff
from tests.diff.cases import CASES, EXPECTED
from tests.diff.edits import ROOT, Case, write_pair


def test_every_rule_has_a_case() -> None:
    covered = {c.rule for c in CASES} | {"spec.added", "spec.removed"}  # folder pairs: test_diff_cli.py
    assert covered == set(RULES)
    assert {c.id for c in CASES} == set(EXPECTED)
    assert {c.api for c in CASES} == {"nara", "navigable"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case, tmp_path: Path) -> None:
    old, new, old_text, new_text = write_pair(case, tmp_path)
    result = run_diff(str(old), str(new))
    found = [c for c in result.changes if c.rule == case.rule]
    assert found, [(c.rule, c.message) for c in result.changes]
    change = found[0]
    pointer, old_line, new_line = EXPECTED[case.id]
    assert change.cls == RULES[case.rule].cls
    assert change.pointer == pointer
    assert change.old is not None and change.new is not None
    assert (change.old.line, change.new.line) == (old_line.line(old_text), new_line.line(new_text))
    assert change.message and change.message[0] != " " and change.message.endswith(".")
    assert result.exit_code == (1 if any(c.cls == "breaking" for c in result.changes) else 0)


@pytest.mark.parametrize("api", ["nara", "navigable"])
def test_a_spec_against_itself_has_no_change(api: str) -> None:
    spec = str(ROOT / "specs" / f"{api}.openapi.yaml")
    result = run_diff(spec, spec)
    assert (result.changes, result.verdict, result.exit_code) == ((), "identical", 0)


def test_a_renamed_component_alone_is_no_change(tmp_path: Path) -> None:
    case = Case("-", "nara", new=(
        ("    ChatMessage:\n", "    StoredMessage:\n"),
        *[('$ref: "#/components/schemas/ChatMessage"', '$ref: "#/components/schemas/StoredMessage"')] * 2,
        ("    Pagination:\n", "    PageInfo:\n"),
        ('$ref: "#/components/schemas/Pagination"', '$ref: "#/components/schemas/PageInfo"'),
        ("    BadRequest:\n", "    InvalidInput:\n"),
        *[('$ref: "#/components/responses/BadRequest"', '$ref: "#/components/responses/InvalidInput"')] * 2,
    ))  # fmt: skip
    old, new, _, new_text = write_pair(case, tmp_path)
    assert '#/components/schemas/ChatMessage"' not in new_text and "    ChatMessage:" not in new_text
    result = run_diff(str(old), str(new))
    assert result.changes == ()


def test_a_docs_only_edit_exits_0(tmp_path: Path) -> None:
    case = Case("-", "navigable", new=(
        ("description: The content of the message.", "description: What the message says."),
        ("summary: Get chat session messages", "summary: Read a session"),
        ('RFC 3339 (the vendor says only "timestamp").', "RFC 3339."),
        ("              example:\n                success: true\n                message: SUCCESS\n",
         "              example:\n                success: true\n                message: OK\n"),
    ))  # fmt: skip
    old, new, _, _ = write_pair(case, tmp_path)
    result = run_diff(str(old), str(new))
    assert {c.rule for c in result.changes} == {"docs.changed"}
    assert (result.verdict, result.exit_code) == ("docs-only", 0)
    assert len(result.changes) == 4


def test_a_shared_component_is_one_change_naming_every_operation(tmp_path: Path) -> None:
    case = Case(
        "-",
        "nara",
        new=(
            (
                "role:\n          type: string\n          enum: [user, assistant]",
                "role:\n          type: string\n          enum: [user, assistant, tool]",
            ),
        ),
    )
    old, new, _, _ = write_pair(case, tmp_path)
    [change] = run_diff(str(old), str(new)).changes
    assert change.rule == "response.schema.enum-widened"
    assert set(change.operations) == {"POST /api/v1.0/chat", "GET /api/v1.0/chat/messages"}


def test_the_committed_rules_table_is_the_codes() -> None:
    from chatgate.diff.table import rules_markdown

    committed = (ROOT / "docs" / "diff-rules.md").read_text(encoding="utf-8")
    assert committed == rules_markdown(), "regenerate: python -m chatgate.diff > docs/diff-rules.md"
    for rule in RULES:
        assert f"| `{rule}` |" in committed
