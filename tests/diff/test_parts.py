"""The parts of ``chatgate diff`` below the command: grammar inclusion, git revisions, which gate
findings a compatible change explains."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatgate.contract_model import compile_grammar
from chatgate.diff.explain import FindingKey, explain
from chatgate.diff.languages import Lang, counterexample
from chatgate.diff.runner import run_diff
from chatgate.errors import UsageError
from chatgate.git_specs import origin_label, parse_git
from tests.diff.edits import Case, write_pair


def _lang(text: str, rename: dict[str, str] | None = None) -> Lang:
    return Lang.of(compile_grammar(text), rename)


@pytest.mark.parametrize(
    ("new", "old", "erase", "found"),
    [
        ("a b* c", "a b* c", (), None),
        ("a b+ c", "a b* c", (), None),  # fewer streams: every one OLD allowed
        ("a b* c", "a b+ c", (), (("a", "c"), "`c` where OLD allows only `b`")),
        ("a u? b* c", "a b* c", (), (("a", "u"), "`u` where OLD allows only `b`, `c`")),
        ("a u? b* c", "a b* c", ("u",), None),  # a client that ignores `u` sees OLD's streams
        ("a u b* c", "a b* c", ("u",), None),  # even when it is mandatory
        ("b* a c", "a b* c", (), (("b",), "`b` where OLD allows only `a`")),  # a new order
        ("a (b | c)", "a b c", (), (("a", "c"), "`c` where OLD allows only `b`")),
        ("a b?", "a b", (), (("a",), "the stream may end where OLD expects `b`")),
    ],
)
def test_counterexample_is_the_shortest_stream_old_rejects(
    new: str, old: str, erase: tuple[str, ...], found: tuple[tuple[str, ...], str] | None
) -> None:
    assert counterexample(_lang(new), _lang(old), erase=frozenset(erase)) == found


def test_a_renamed_event_is_the_same_language() -> None:
    new, old = _lang("start b* end"), _lang("begin b* end", {"begin": "start"})
    assert counterexample(new, old) is None and counterexample(old, new) is None


def test_git_sources_parse_and_name_their_copies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_git("git:v1.2.0") == ("v1.2.0", "specs")
    assert parse_git("git:origin/main:specs/nara.openapi.yaml") == ("origin/main", "specs/nara.openapi.yaml")
    assert parse_git("git:HEAD:/specs/") == ("HEAD", "specs")
    with pytest.raises(UsageError, match="name a revision"):
        parse_git("git:")
    copy = tmp_path / "copy"
    copy.mkdir()
    monkeypatch.setenv("CHATGATE_SPECS_DIR", str(copy))
    monkeypatch.delenv("CHATGATE_SPECS_ORIGIN", raising=False)
    assert origin_label(copy / "nara.openapi.yaml") is None
    monkeypatch.setenv("CHATGATE_SPECS_ORIGIN", "git:v1.2.0:specs")
    assert origin_label(copy / "nara.openapi.yaml") == "git:v1.2.0:specs/nara.openapi.yaml"
    assert origin_label(tmp_path / "elsewhere.yaml") is None


def test_a_compatible_change_explains_the_findings_it_causes_and_no_others(tmp_path: Path) -> None:
    stored = "          description: When the message was stored, RFC 3339 in UTC.\n"
    strict_field = (stored, stored + "        model:\n          type: string\n")
    role = ("enum: [user, assistant]", "enum: [user, assistant, system]")
    old, new, _, _ = write_pair(Case("-", "nara", new=(strict_field, role)), tmp_path)
    changes = run_diff(str(old), str(new)).changes
    chat, listing = "POST /api/v1.0/chat", "GET /api/v1.0/chat/messages"
    schema = "/components/schemas/ChatMessage"
    extra = explain(changes, FindingKey("k", "nara", listing, f"{schema}/additionalProperties", 200))
    assert extra is not None and extra.rule == "response.schema.field-added-strict"
    value = explain(changes, FindingKey("k", "nara", chat, f"{schema}/properties/role/enum", 200))
    assert value is not None and value.rule == "response.schema.enum-widened"
    assert explain(changes, FindingKey("k", "nara", chat, f"{schema}/required", 200)) is None
    assert explain(changes, FindingKey("k", "navigable", chat, f"{schema}/additionalProperties", 200)) is None
    assert explain(changes, FindingKey("k", "nara", chat, None, 500)) is None
