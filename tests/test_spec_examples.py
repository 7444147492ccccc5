"""Every example in both specs fits its own schema; a broken one is caught, by pointer and by lint line."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatgate.spec_examples import example_problems
from chatgate.specs import API_NAMES, find_line, load_spec, resolve, spec_path

ROOT = Path(__file__).resolve().parents[1]
NOT_VALID_ANYWHERE = [["not", "a", "valid", "example"]]  # no schema in either spec takes a list of lists


def every_example(node: Any, at: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Pointers of every ``example`` and ``examples/<name>/value`` outside schemas, found generically."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "schema" or (key == "schemas" and at == ("components",)):
                continue
            if key == "example":
                yield (*at, key)
            elif key == "examples" and isinstance(value, dict):
                for name, item in value.items():
                    if isinstance(item, dict) and "value" in item:
                        yield (*at, key, name, "value")
            else:
                yield from every_example(value, (*at, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from every_example(value, (*at, i))


def _set(doc: Any, pointer: tuple[str | int, ...], value: Any) -> None:
    for part in pointer[:-1]:
        doc = doc[part]
    doc[pointer[-1]] = value


@pytest.mark.parametrize("api", API_NAMES)
def test_every_example_fits_its_schema(api: str) -> None:
    spec = load_spec(api)
    assert len(list(every_example(spec))) >= 10
    assert example_problems(spec) == []


@pytest.mark.parametrize("api", API_NAMES)
def test_each_broken_example_is_caught_where_it_is(api: str) -> None:
    spec = load_spec(api)
    pointers = list(every_example(spec))
    for pointer in pointers:
        broken = copy.deepcopy(spec)
        _set(broken, pointer, NOT_VALID_ANYWHERE)
        problems = example_problems(broken)
        assert {p.pointer for p in problems} == {pointer}, (pointer, problems)


def test_stream_event_data_is_checked_against_its_content_schema() -> None:
    spec = copy.deepcopy(load_spec("nara"))
    media = spec["paths"]["/api/v1.0/chat"]["post"]["responses"]["200"]["content"]["text/event-stream"]
    media["examples"]["delta"]["value"]["data"] = '{"type":"delta","index":-1,"content":"a"}'
    media["examples"]["message_end"]["value"]["data"] = '{"type":"delta","index":0,"content":"a"}'
    media["examples"]["error"]["value"]["data"] = "{not json"
    messages = sorted(p.message for p in example_problems(spec))
    assert messages == [
        "data $.index: -1 is less than the minimum of 0",
        "data.type 'delta' is not the event 'message_end'",
        "data: not JSON (Expecting property name enclosed in double quotes)",
    ]


def test_the_field_that_names_the_event_is_the_discriminators() -> None:
    """A spec whose events are told apart by ``kind`` (not ``type``) is checked by ``kind``."""
    spec = copy.deepcopy(load_spec("nara"))
    for name in ("MessageStartData", "DeltaData", "MessageEndData", "StreamErrorData"):
        schema = spec["components"]["schemas"][name]
        schema["properties"]["kind"] = schema["properties"].pop("type")
        schema["required"] = ["kind" if r == "type" else r for r in schema["required"]]
    data = spec["components"]["schemas"]["ChatStreamEvent"]["properties"]["data"]
    data["contentSchema"]["discriminator"]["propertyName"] = "kind"
    media = spec["paths"]["/api/v1.0/chat"]["post"]["responses"]["200"]["content"]["text/event-stream"]
    for example in media["examples"].values():
        example["value"]["data"] = example["value"]["data"].replace('"type":', '"kind":')
    assert example_problems(spec) == []
    media["examples"]["message_end"]["value"]["data"] = '{"kind":"delta","index":0,"content":"a"}'
    assert [p.message for p in example_problems(spec)] == ["data.kind 'delta' is not the event 'message_end'"]


def test_lint_reports_a_broken_example_with_file_and_line(tmp_path: Path) -> None:
    text = spec_path("navigable").read_text(encoding="utf-8")
    marker = '                  identifier: "12345"\n                  toolCalls: []\n'
    assert text.count(marker) == 1
    text = text.replace(marker, "                  identifier: 12345\n                  toolCalls: []\n")
    path = tmp_path / "navigable.openapi.yaml"
    path.write_text(text, encoding="utf-8")
    pointer = ("paths", "/api/v1/chat", "post", "responses", "200", "content", "application/json", "example")
    line = find_line(path, list(pointer))
    proc = subprocess.run(
        [sys.executable, "-m", "chatgate", "lint", str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    expected = (
        f"{path}:{line}: error: [examples] /paths/~1api~1v1~1chat/post/responses/200/content/"
        "application~1json/example: $.data.identifier: 12345 is not of type 'string'"
    )
    assert expected in proc.stdout.splitlines(), proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("api", API_NAMES)
def test_every_request_and_response_has_an_example(api: str) -> None:
    spec = load_spec(api)
    missing = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            places = [("request", resolve(spec, op.get("requestBody") or {}))]
            places += [(status, resolve(spec, r)) for status, r in op["responses"].items()]
            for where, node in places:
                for media_type, media in (node.get("content") or {}).items():
                    if "example" not in media and not media.get("examples"):
                        missing.append(f"{method.upper()} {path} {where} {media_type}")
            for raw in op.get("parameters") or []:
                param = resolve(spec, raw)
                if "example" not in param and not param.get("examples"):
                    missing.append(f"{method.upper()} {path} parameter {param['name']}")
    assert missing == []
