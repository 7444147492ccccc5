"""Check a ``summary.json`` against the JSON Schema the package ships for its kind (PLAN.md: versioned
machine output). ``assert_valid_summary("lint", doc)`` fails with every violation listed."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator


def summary_schema(kind: str) -> dict[str, Any]:
    """The shipped schema of ``kind`` (lint, contract, load, docs, run, ...), itself checked."""
    text = (resources.files("chatgate") / "schemas" / f"{kind}.summary.schema.json").read_text(
        encoding="utf-8"
    )
    schema: dict[str, Any] = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return schema


def assert_valid_summary(kind: str, doc: Any) -> None:
    validator = Draft202012Validator(summary_schema(kind), format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
    assert errors == [], errors
    assert isinstance(doc["schema_version"], int)
