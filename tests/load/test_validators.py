"""The load generator's response validation: fast on valid payloads, precise on invalid ones."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chatgate.load.validators import Validators

PAGE: dict[str, Any] = {
    "data": [
        {
            "id": 2,
            "conversation_id": "c",
            "user_id": 1001,
            "role": "assistant",
            "content": "hi",
            "created_at": "2026-11-22T10:15:30.123456Z",
        }
    ],
    "pagination": {"current_page": 1, "rows_per_page": 20, "total_rows": 1, "total_pages": 1},
}
POINTER = "#/components/schemas/ChatMessagePage"


def test_a_valid_page_passes() -> None:
    assert Validators().check("nara", POINTER, PAGE) is None


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("data", 0, "role"), "bot", "data/0/role: 'bot' is not one of ['user', 'assistant']"),
        (("data", 0, "created_at"), "yesterday", "data/0/created_at: 'yesterday' is not a 'date-time'"),
        (("pagination", "total_rows"), -1, "pagination/total_rows: -1 is less than the minimum of 0"),
    ],
)
def test_an_invalid_page_names_the_field(path: tuple[Any, ...], value: Any, expected: str) -> None:
    bad = copy.deepcopy(PAGE)
    node = bad
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    assert Validators().check("nara", POINTER, bad) == expected


def test_stream_event_data_schemas_resolve_inside_the_spec() -> None:
    v = Validators()
    assert (
        v.check("nara", "#/components/schemas/DeltaData", {"type": "delta", "index": 0, "content": "a"})
        is None
    )
    problem = v.check("nara", "#/components/schemas/DeltaData", {"type": "delta", "index": 0})
    assert problem == "(root): 'content' is a required property"
