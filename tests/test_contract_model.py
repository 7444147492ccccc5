"""The model of the spec (``chatgate.contract_model``): the grammar compiler, the x-chatgate-* vocabulary
and its errors with FILE:LINE, the rules read from both specs, requests built from them, and an evolved
spec read with no code change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chatgate.contract_model import (
    build_body,
    build_model,
    build_query,
    compile_grammar,
    extension_problems,
    model_for,
    refused_placements,
)
from chatgate.contract_model.extensions import reference_markdown
from chatgate.contract_model.grammar import GrammarError
from chatgate.errors import SpecError
from chatgate.specs import spec_path

ROOT = Path(__file__).resolve().parents[1]


def test_the_grammar_compiles_to_an_automaton_with_its_roles() -> None:
    g = compile_grammar("message_start delta* usage? (message_end | error)")
    assert g.opening == {"message_start"} and g.terminal == {"message_end", "error"}
    assert g.matches(["message_start", "message_end"])
    assert g.matches(["message_start", "delta", "delta", "usage", "error"])
    assert not g.matches(["message_start", "usage", "delta", "message_end"])  # usage after the deltas
    assert not g.matches(["message_start", "message_end", "message_end"])
    assert not g.matches(["delta", "message_end"])
    state = g.step(0, "message_start")
    assert state is not None and g.expected(state) == ["delta", "usage", "message_end", "error"]
    plus = compile_grammar("a b+ (c | d)?")
    assert plus.matches(["a", "b"]) and plus.matches(["a", "b", "b", "d"]) and not plus.matches(["a"])
    assert plus.terminal == {"c", "d"}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "empty"),
        ("a |", "expected an event name"),
        ("(a b", "never closed"),
        ("a )", "unexpected ')'"),
        ("a*", "no event at all"),
        ("a # b", "unexpected '# b'"),
    ],
)
def test_a_grammar_that_cannot_be_read_says_where(text: str, error: str) -> None:
    with pytest.raises(GrammarError, match=error.replace("(", r"\(").replace(")", r"\)")):
        compile_grammar(text)


def test_both_specs_state_their_rules_in_the_vocabulary() -> None:
    nara, navigable = model_for("nara"), model_for("navigable")
    [send] = nara.streamed()
    s = send.stream
    assert s is not None and (s.content_event, s.content_field, s.index_field) == (
        "delta",
        "content",
        "index",
    )
    assert (s.error_event, s.link_field, s.idle_s, s.total_s) == ("error", "message_id", 30.0, 300.0)
    assert s.select_field == "stream" and s.select_value is True and s.name_field == "type"
    [listing] = nara.paginated()
    pages = nara.rules(listing).pagination
    assert pages is not None and pages.size_range == (1, 100, 20) and pages.first_page == 1
    assert [o.value for o in pages.sorts] == ["created_at:desc", "created_at:asc", "id:desc", "id:asc"]
    assert pages.newest_first() is not None and pages.newest_first().value == "id:desc"  # type: ignore[union-attr]
    assert (
        pages.late_rows and pages.tie_break == "id" and pages.kinds == {"created_at": "time", "id": "number"}
    )
    assert nara.states("ownership", listing) and not nara.states("window")
    assert nara.identity is not None and nara.identity_variable() == "NARA_USER_ID"
    [read] = navigable.windowed()
    window = navigable.rules(read).window
    assert window is not None and (window.size, window.direction, window.keep) == (20, "asc", "newest")
    assert [w.label for w in navigable.read_back_sources(read)] == ["POST /api/v1/chat"]
    assert navigable.identity is None and nara.find("GET", "/api/v1/chat") is None


def test_requests_are_built_from_the_spec_and_its_roles() -> None:
    nara, navigable = model_for("nara"), model_for("navigable")
    [send] = nara.streamed()
    assert build_body(send, message="hi", session="c1", stream=True) == {
        "message": "hi", "conversation_id": "c1", "stream": True
    }  # fmt: skip
    assert build_body(send, message="hi", session="c1", stream=False)["stream"] is False
    [listing] = nara.paginated()
    assert build_query(listing, bound=nara.identity_parameters(listing, 7)) == {"user_id": 7}
    [read] = navigable.windowed()
    assert build_query(read, session="u1") == {"identifier": "u1"}
    assert nara.credentials("k").headers == {"Authorization": "Bearer k"}
    assert navigable.credentials("k").headers == {"X-Api-Key": "k"}
    refused = refused_placements(nara.operations[0].schemes, "k")
    assert "the right key as a Bearer token" not in refused  # what the scheme accepts is never refused
    assert refused["the right key in X-Api-Key"].headers == {"X-Api-Key": "k"}


def test_a_request_body_limit_is_read_from_the_response_that_refuses_it(tmp_path: Path) -> None:
    """x-chatgate-body-limit on a response: the limit and the status a larger body gets; a spec that
    states none has none."""
    nara, navigable = model_for("nara"), model_for("navigable")
    [send] = nara.streamed()
    [write] = navigable.read_back_sources()
    assert send.body_limit == ("413", 1024 * 1024) and write.body_limit == ("413", 1024 * 1024)
    assert all(op.body_limit is None for op in (*nara.paginated(), *navigable.windowed()))
    path = _edited(tmp_path, "      x-chatgate-body-limit: 1MiB\n", "")
    assert [op.body_limit for op in build_model("nara", path).operations] == [None, None]
    path = _edited(tmp_path, "x-chatgate-body-limit: 1MiB", "x-chatgate-body-limit: 65536")
    assert build_model("nara", path).streamed()[0].body_limit == ("413", 65536)


def _edited(tmp_path: Path, old: str, new: str, api: str = "nara") -> Path:
    text = spec_path(api).read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / f"{api}.openapi.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "x-chatgate-stream:",
            "x-chatgate-strem:",
            "unknown extension x-chatgate-strem; did you mean x-chatgate-stream?",
        ),
        ("unknown_events: reject", "unknown_events: rejct", "'rejct' is not one of ['reject', 'ignore']"),
        ("liveness: {idle: 30s, total: 300s}", "liveness: {idle: soon}", "does not match"),
        ("late_rows: true", "late_rows: yes please", "is not of type 'boolean'"),
        ("x-chatgate-body-limit: 1MiB", "x-chatgate-body-limit: a lot", "does not match"),
    ],
)
def test_a_misspelt_or_ill_typed_extension_is_a_problem_at_its_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = _edited(tmp_path, old, new)
    problems = extension_problems(path)
    assert problems and message in problems[0].message
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if new.split(":")[0] in t)
    assert problems[0].line == line
    with pytest.raises(SpecError, match=rf"{path}:{line}: "):
        build_model("nara", path)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("content: {event: delta, field: content, index: index}", "content: {event: delta, field: text}",
         "x-chatgate-stream.content.field 'text' is not a field of the delta event's data"),
        ('grammar: "message_start delta* (message_end | error)"',
         'grammar: "message_start delta* usage? message_end"',
         "names events the schema does not list: ['usage']"),
        ("        page: current_page\n", "        page: page_number\n", "has no parameter 'page_number'"),
        ("        - link: ListChatMessages\n", "        - link: ListMessages\n",
         "has no link 'ListMessages'"),
    ],
)  # fmt: skip
def test_a_rule_that_names_what_the_spec_lacks_is_an_error_at_its_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = _edited(tmp_path, old, new)
    assert extension_problems(path) == []  # well-typed: only the model sees it is wrong
    with pytest.raises(SpecError, match=rf"^{path}:\d+: ") as caught:
        build_model("nara", path)
    assert message in str(caught.value)


def test_lint_refuses_a_misspelt_extension_with_its_file_and_line(tmp_path: Path) -> None:
    path = _edited(tmp_path, "x-chatgate-ownership:", "x-chatgate-ownershp:")
    cmd = [sys.executable, "-m", "chatgate", "lint", str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "x-chatgate-ownershp" in t)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{path}:{line}: error: [x-chatgate] unknown extension x-chatgate-ownershp" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_an_evolved_stream_is_read_with_no_code_change(tmp_path: Path) -> None:
    """`delta` renamed `content_delta` everywhere, and an optional `usage` event: the model follows."""
    text = spec_path("nara").read_text(encoding="utf-8").replace("delta", "content_delta")
    text = text.replace("DeltaData", "ContentDeltaData").replace("Content_deltaData", "ContentDeltaData")
    (tmp_path / "nara.openapi.yaml").write_text(text, encoding="utf-8")
    s = build_model("nara", tmp_path / "nara.openapi.yaml").streamed()[0].stream
    assert (
        s is not None
        and s.content_event == "content_delta"
        and s.grammar.matches(["message_start", "content_delta", "message_end"])
    )


def test_the_extension_reference_is_generated_from_the_vocabulary() -> None:
    committed = (ROOT / "docs" / "spec-extensions.md").read_text(encoding="utf-8")
    assert committed == reference_markdown(), "regenerate docs/spec-extensions.md (its first lines say how)"


def test_reports_name_the_shipped_specs_the_same_from_any_folder_and_a_users_specs_by_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chatgate.contract_model import spec_sources

    monkeypatch.delenv("CHATGATE_SPECS_DIR", raising=False)
    monkeypatch.delenv("CHATGATE_SPECS_ORIGIN", raising=False)
    for here in (ROOT, tmp_path):  # a checkout's root or anywhere else: never a path of this machine
        monkeypatch.chdir(here)
        assert [(s["file"], s["version"]) for s in spec_sources(["nara"])] == [
            ("chatgate:specs/nara.openapi.yaml", "1.0.0")
        ]
    mine = tmp_path / "mine"
    mine.mkdir()
    text = (ROOT / "specs" / "nara.openapi.yaml").read_text(encoding="utf-8")
    (mine / "nara.openapi.yaml").write_text(text.replace('version: "1.0.0"', 'version: "2.0.0"', 1))
    monkeypatch.setenv("CHATGATE_SPECS_DIR", str(mine))
    named = [(s["file"], s["version"]) for s in spec_sources(["nara"])]
    assert named == [("mine/nara.openapi.yaml", "2.0.0")]
    monkeypatch.chdir(ROOT)
    assert spec_sources(["nara"])[0]["file"] == str(mine / "nara.openapi.yaml")
