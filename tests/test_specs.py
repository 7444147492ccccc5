"""chatgate.specs: loading, validators built from the YAML, assumptions, YAML line lookup."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chatgate.errors import SpecError, UsageError
from chatgate.specs import (
    assumptions,
    find_line,
    load_spec,
    load_spec_file,
    meta_schema_problems,
    operations,
    schema_validator,
    spec_path,
)


def test_both_specs_have_all_operations() -> None:
    labels = {api: [op.label for op in operations(load_spec(api))] for api in ("nara", "navigable")}
    assert labels == {
        "nara": ["POST /api/v1.0/chat", "GET /api/v1.0/chat/messages"],
        "navigable": ["GET /api/v1/chat", "POST /api/v1/chat"],
    }


def test_validator_resolves_refs_inside_the_spec() -> None:
    spec = load_spec("nara")
    page = schema_validator(spec, "#/components/schemas/ChatMessagePage")
    good = {
        "data": [
            {
                "id": 1,
                "conversation_id": "c",
                "user_id": 7,
                "role": "user",
                "content": "hi",
                "created_at": "2026-11-22T10:00:00Z",
            }
        ],
        "pagination": {"current_page": 1, "rows_per_page": 20, "total_rows": 1, "total_pages": 1},
    }
    assert list(page.iter_errors(good)) == []
    bad = {**good, "data": [{**good["data"][0], "role": "robot"}]}
    errors = list(page.iter_errors(bad))
    assert [list(e.absolute_path) for e in errors] == [["data", 0, "role"]]


def test_validator_checks_formats_unless_disabled() -> None:
    spec = load_spec("navigable")
    schema = spec["components"]["schemas"]["SessionMessage"]
    msg = {"sender": "USER", "content": "x", "new": True, "createdAt": "yesterday", "action": None}
    assert any("date-time" in e.message for e in schema_validator(spec, schema).iter_errors(msg))
    assert list(schema_validator(spec, schema, formats=False).iter_errors(msg)) == []


def test_stream_event_data_content_schema_is_usable() -> None:
    spec = load_spec("nara")
    content_schema = spec["components"]["schemas"]["ChatStreamEvent"]["properties"]["data"]["contentSchema"]
    v = schema_validator(spec, content_schema)
    assert list(v.iter_errors({"type": "delta", "index": 0, "content": "he"})) == []
    assert list(v.iter_errors({"type": "delta", "index": -1, "content": "he"}))
    assert list(v.iter_errors({"type": "message_stop"}))


def test_assumptions_are_found_with_pointers() -> None:
    found = assumptions(load_spec("nara"))
    pointers = {a.pointer for a in found}
    assert "/components/schemas/ChatRequest" in pointers
    assert "/paths/~1api~1v1.0~1chat~1messages/get/parameters/3" in pointers  # sort_by
    assert all(a.text and "\n" not in a.text for a in found)
    assert len(assumptions(load_spec("navigable"))) >= 5


def test_find_line_walks_mappings_and_sequences() -> None:
    path = spec_path("nara")
    lines = path.read_text(encoding="utf-8").splitlines()
    line = find_line(path, ["paths", "/api/v1.0/chat/messages", "get", "parameters", 3])
    assert line is not None and "name: sort_by" in lines[line - 1]
    line = find_line(path, ["components", "schemas", "ChatRequest"])
    assert line is not None and lines[line - 1].strip() == "ChatRequest:"


def test_unknown_api_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown API 'nar'"):
        spec_path("nar")


def test_unreadable_spec_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read spec"):
        load_spec_file(tmp_path / "missing.yaml")


def test_edited_spec_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("openapi: 3.1.0\n", encoding="utf-8")
    assert load_spec_file(path)["openapi"] == "3.1.0"
    path.write_text("openapi: 3.1.1\n", encoding="utf-8")
    os.utime(path, ns=(1, 10**18))
    assert load_spec_file(path)["openapi"] == "3.1.1"


def test_an_edited_spec_is_judged_and_located_again(tmp_path: Path) -> None:
    """Judging a spec and finding a line are cached per content of the file (the gate asks for every
    finding): an edit is judged again, and lines move with it."""
    text = spec_path("nara").read_text(encoding="utf-8")
    path = tmp_path / "nara.yaml"
    path.write_text(text, encoding="utf-8")
    pointer = ["components", "schemas", "ChatRequest"]
    before = find_line(path, pointer)
    assert meta_schema_problems(path) == [] and before is not None
    edited = "# edited\n# twice\n" + text.replace('schemas/ChatMessage"', 'schemas/Nowhere"', 1)
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(1, 10**18))  # load_spec_file reads a file again when its mtime changes
    assert find_line(path, pointer) == before + 2
    problems = meta_schema_problems(path)
    assert len(problems) == 1 and "Nowhere" in problems[0].message
    assert problems[0].line is not None and "Nowhere" in edited.splitlines()[problems[0].line - 1]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)), "not UTF-8 text"),
        (b"openapi: 3.1.0\nx: '" + b"a" * (10 * 1024 * 1024) + b"'\n", "larger than 10 MiB"),
        (
            b"a: &a [x, x, x, x, x, x, x, x, x]\n"
            + b"".join(
                f"b{i}: &b{i} [{', '.join(['*a' if i == 0 else f'*b{i - 1}'] * 9)}]\n".encode()
                for i in range(8)
            ),
            "an alias bomb",
        ),
        (b"a: " + b"[" * 600 + b"]" * 600 + b"\n", "nest"),
    ],
    ids=["binary", "huge", "alias-bomb", "deep"],
)
def test_files_that_are_not_specs_are_refused_quickly(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "spec.yaml"
    path.write_bytes(content)
    with pytest.raises(SpecError, match=message):
        load_spec_file(path)


def test_broken_references_are_problems_with_a_line_not_crashes(tmp_path: Path) -> None:
    text = spec_path("nara").read_text(encoding="utf-8")
    dangling = tmp_path / "dangling.yaml"
    dangling.write_text(text.replace('schemas/ChatMessage"', 'schemas/Nowhere"', 1), encoding="utf-8")
    problems = meta_schema_problems(dangling)
    assert len(problems) == 1 and "Nowhere" in problems[0].message
    assert (
        problems[0].line is not None
        and "Nowhere"
        in text.replace('schemas/ChatMessage"', 'schemas/Nowhere"', 1).splitlines()[problems[0].line - 1]
    )
    cycle = tmp_path / "cycle.yaml"
    loop = (
        "\n  schemas:\n    A:\n      $ref: '#/components/schemas/B'\n"
        "    B:\n      $ref: '#/components/schemas/A'\n"
    )
    cycle.write_text(
        text.replace("\n  schemas:\n", loop, 1).replace('schemas/ChatMessage"', 'schemas/A"', 1),
        encoding="utf-8",
    )
    assert meta_schema_problems(cycle) != []
    not_mapping = tmp_path / "paths.yaml"
    not_mapping.write_text(text.split("\npaths:")[0] + "\npaths: [1, 2]\n", encoding="utf-8")
    assert meta_schema_problems(not_mapping) != []
