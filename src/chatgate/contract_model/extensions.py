"""The ``x-chatgate-*`` vocabulary: each extension, where it may stand, and its own JSON Schema.

OpenAPI states shapes; a few behavioural rules it has no construct for are stated with these
extensions, and everything chatgate judges (the gate, the load runs, the docs) reads them from the
spec through :mod:`chatgate.contract_model`. Each extension has a JSON Schema here: ``chatgate lint``
and every command that loads a spec hold it to that schema, so a misspelt or ill-typed extension is a
problem with its FILE:LINE (exit 2), never a silent default. The reference (docs/spec-extensions.md)
is generated from :data:`EXTENSIONS`.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from chatgate.specs import SpecProblem, find_line, load_spec_file

__all__ = ["EXTENSIONS", "PREFIX", "Extension", "extension_problems"]

PREFIX = "x-chatgate-"

_NAME: dict[str, Any] = {"type": "string", "minLength": 1}
_POINTER: dict[str, Any] = {"type": "string", "pattern": "^(/([^/~]|~[01])*)+$"}
_DURATION: dict[str, Any] = {
    "type": "string",
    "pattern": r"^\s*(\d+h)?\s*(\d+m(?!s))?\s*(\d+(\.\d+)?(s|ms)?)?\s*$",
    "minLength": 1,
}
_STATUS: dict[str, Any] = {"type": ["string", "integer"], "pattern": "^[1-5][0-9][0-9]$", "minimum": 100}
_EXPRESSION: dict[str, Any] = {"description": "a runtime expression ($request..., $response..., $stream..., "
                               "$identity) or a literal value"}  # fmt: skip
_NOTES: dict[str, Any] = {"^x-": {}}  # an assumption (or another vendor's extension) may sit inside


def _object(required: list[str], props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "properties": props,
        "patternProperties": _NOTES,
        "additionalProperties": False,
    }


@dataclass(frozen=True, slots=True)
class Extension:
    """One extension: its name, where it stands (a description and a test on the JSON pointer), what it
    says, and its JSON Schema."""

    name: str
    where: str
    place: str  # a regular expression over the JSON pointer of the object that holds it
    meaning: str
    schema: dict[str, Any]


_OPERATION = r"^/paths/[^/]+/(get|put|post|delete|options|head|patch|trace)$"
_MEDIA = r"/content/[^/]+$"
_ROW = _object(["equal"], {
    "match": {"type": "object", "minProperties": 1, "additionalProperties": _EXPRESSION},
    "equal": {"type": "object", "minProperties": 1, "additionalProperties": _EXPRESSION},
})  # fmt: skip

EXTENSIONS: dict[str, Extension] = {
    e.name: e
    for e in (
        Extension(
            "x-chatgate-assumption",
            "anywhere",
            r".*",
            "What chatgate assumed where the vendor is silent, and why (the docs list every one).",
            {"type": "string", "minLength": 1},
        ),
        Extension(
            "x-chatgate-stream",
            "a text/event-stream Media Type object of a response",
            _MEDIA,
            "The stream's rules: its grammar over event names; which request body field and value ask "
            "for this form (select); which event carries the reply's content, in which field, with which "
            "gap-free index (content: the token for TTFT, ITL and read-back); the terminal event that "
            "means failure (error_event); the data field every event that carries it must agree on "
            "(link_field); whether a client must refuse event names the spec does not list "
            "(unknown_events, default reject); and the liveness limits (idle: longest wait for the next "
            "event, total: longest stream) the deadlines default to. Events are the `event` enum of the "
            "schema; each event's data schema is the branch of the data's contentSchema oneOf its "
            "discriminator names.",
            _object(
                ["grammar", "content"],
                {
                    "select": _object(["field", "value"], {"field": _NAME, "value": {}}),
                    "grammar": {"type": "string", "minLength": 1},
                    "content": _object(["event", "field"], {"event": _NAME, "field": _NAME, "index": _NAME}),
                    "error_event": _NAME,
                    "link_field": _NAME,
                    "unknown_events": {"enum": ["reject", "ignore"]},
                    "liveness": _object([], {"idle": _DURATION, "total": _DURATION}),
                    "description": {"type": "string"},
                },
            ),
        ),
        Extension(
            "x-chatgate-pagination",
            "an operation",
            _OPERATION,
            "How the operation's listing is cut into pages: style (page numbers; cursor is declared but "
            "not judged yet), the page and page-size parameters (first page, limits and defaults from their "
            "schemas), where the items and the totals are in the 200 body, which parameters the body "
            "echoes, the sort parameter (its format over a field and a direction, each sort field's "
            "pointer into an item, the tie-break field), the sort fields that only grow as rows are added "
            "(append_keys: pages in their order are judged while others write), whether a row announced by "
            "an open stream may appear or be completed only once that stream has ended (late_rows), and "
            "what a page past the end holds.",
            _object(
                ["style", "items"],
                {
                    "style": {"enum": ["page", "cursor"]},
                    "page": _NAME,
                    "size": _NAME,
                    "items": _POINTER,
                    "total_rows": _POINTER,
                    "total_pages": _POINTER,
                    "echo": {"type": "object", "additionalProperties": _POINTER},
                    "sort": _object(
                        ["parameter", "format", "fields"],
                        {
                            "parameter": _NAME,
                            "format": {
                                "type": "string",
                                "pattern": r"^(?=.*\{field\})(?=.*\{direction\}).*$",
                            },
                            "fields": {
                                "type": "object",
                                "minProperties": 1,
                                "additionalProperties": _POINTER,
                            },
                            "tie_break": _NAME,
                        },
                    ),
                    "append_keys": {"type": "array", "minItems": 1, "items": _NAME},
                    "late_rows": {"type": "boolean"},
                    "past_the_end": {"enum": ["empty"]},
                },
            ),
        ),
        Extension(
            "x-chatgate-ownership",
            "an operation",
            _OPERATION,
            "Which parameter binds to the identity the key belongs to (x-chatgate-identity), the status a "
            "request naming another identity gets, and the field of each listed item that names its owner.",
            _object(["parameter", "status"], {"parameter": _NAME, "status": _STATUS, "item_field": _POINTER}),
        ),
        Extension(
            "x-chatgate-window",
            "an operation",
            _OPERATION,
            "A read that returns a bounded window of a session (its size: the items array's maxItems): "
            "where the items are, their order (field and direction), which end is kept (newest: the latest "
            "ones), and which request body field and value of a send open a new session.",
            _object(
                ["items", "order", "keep"],
                {
                    "items": _POINTER,
                    "order": _object(
                        ["field", "direction"], {"field": _POINTER, "direction": {"enum": ["asc", "desc"]}}
                    ),
                    "keep": {"enum": ["newest", "oldest"]},
                    "session": _object(["field", "value"], {"field": _NAME, "value": {}}),
                },
            ),
        ),
        Extension(
            "x-chatgate-read-back",
            "an operation",
            _OPERATION,
            "What a successful call stores and where a client reads it back: per answer form (media_type), "
            "the operation that lists the stored copy (through a named link of the operation, or an "
            "operationId with parameters), and the rows that must be listed: each found by `match` (or by "
            "all of `equal`), with the fields of `equal` equal to the values given (runtime expressions "
            "such as $request.body#/message, $response.body#/id, $stream.content, "
            "$stream.event.NAME#/pointer, $identity); in_order: listed in the order given; within: how "
            "long after the call ends the rows may take to appear.",
            {
                "type": "array",
                "minItems": 1,
                "items": _object(
                    ["rows"],
                    {
                        "link": _NAME,
                        "operation": _NAME,
                        "parameters": {"type": "object", "additionalProperties": _EXPRESSION},
                        "media_type": _NAME,
                        "rows": {"type": "array", "minItems": 1, "items": _ROW},
                        "in_order": {"type": "boolean"},
                        "within": _DURATION,
                    },
                ),
            },
        ),
        Extension(
            "x-chatgate-identity",
            "a security scheme",
            r"^/components/securitySchemes/[^/]+$",
            "What a key identifies (its name, e.g. a user id, and the schema of its value): parameters "
            "bound to it by x-chatgate-ownership take the caller's own value; chatgate reads it from "
            "<API>_<NAME> (e.g. NARA_USER_ID).",
            _object(
                ["name"], {"name": _NAME, "schema": {"type": "object"}, "description": {"type": "string"}}
            ),
        ),
        Extension(
            "x-chatgate-role",
            "a property of a request body schema, or a parameter",
            r"(/properties/[^/]+|/parameters/\d+)$",
            "What a request field or parameter carries: `message` (the user's text: the load runs' "
            "message-length mix applies to it) or `session` (groups messages into one conversation or "
            "session).",
            {"enum": ["message", "session"]},
        ),
        Extension(
            "x-chatgate-body-forms",
            "a query parameter",
            r"/parameters/\d+$",
            "Request body media types in which the parameter may also be sent (the query string wins).",
            {"type": "array", "minItems": 1, "items": _NAME},
        ),
        Extension(
            "x-chatgate-field-errors",
            "a response",
            r"/responses/[^/]+$",
            "A pointer to the map, in this error body, whose keys name each invalid field.",
            _POINTER,
        ),
        Extension(
            "x-chatgate-body-limit",
            "a response (the one a request body over the limit gets)",
            r"/responses/[^/]+$",
            "The largest request body the operation accepts, in bytes (an integer, or a size such as "
            "`1MiB`; k, m and g are powers of 1024): a larger body gets this response. OpenAPI has no "
            "construct for it. The gate provokes the response with a valid body padded past the limit "
            "(JSON whitespace), never under --read-only; without it, the response is never exercised.",
            {
                "type": ["integer", "string"],
                "minimum": 1,
                "pattern": r"^\s*[1-9]\d*\s*([kKmMgG](i?[bB])?)?\s*$",
            },
        ),
        Extension(
            "x-chatgate-link",
            "a link",
            r"/links/[^/]+$",
            "The answer form (media_type) the link's expressions can be read from.",
            _object(["media_type"], {"media_type": _NAME}),
        ),
    )
}


def _escape(part: object) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _walk(node: Any, at: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str, Any]]:
    """(pointer of the holder, extension name, value) of every ``x-chatgate-*`` key in ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.startswith(PREFIX):
                yield at, key, value
                if key in ("x-chatgate-assumption",):
                    continue
            yield from _walk(value, (*at, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, (*at, i))


def _pointer(parts: tuple[str | int, ...]) -> str:
    return "".join(f"/{_escape(p)}" for p in parts)


def _problems_of(path: Path, doc: dict[str, Any]) -> list[SpecProblem]:
    problems: list[SpecProblem] = []

    def problem(parts: tuple[str | int, ...], message: str) -> None:
        problems.append(SpecProblem(path, find_line(path, list(parts)), "x-chatgate", "error", message))

    for holder, name, value in _walk(doc, ()):
        ext = EXTENSIONS.get(name)
        where = (*holder, name)
        if ext is None:
            close = difflib.get_close_matches(name, list(EXTENSIONS), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else f" (known: {', '.join(sorted(EXTENSIONS))})"
            problem(where, f"unknown extension {name}{hint}")
            continue
        if not re.search(ext.place, _pointer(holder)):
            problem(
                where, f"{name} does not belong here: it stands on {ext.where} ({_pointer(holder) or '/'})"
            )
            continue
        validator = jsonschema.Draft202012Validator(ext.schema)
        for err in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path))):
            inner = tuple(err.absolute_path)
            at = f"{name}{_pointer(inner)}" if inner else name
            problem((*where, *inner), f"{at}: {err.message[:240]}")
    return problems


@functools.lru_cache(maxsize=16)
def _cached(path: str, mtime_ns: int) -> tuple[SpecProblem, ...]:
    del mtime_ns  # part of the cache key only
    return tuple(_problems_of(Path(path), load_spec_file(path)))


def extension_problems(path: Path) -> list[SpecProblem]:
    """Every ``x-chatgate-*`` extension of the spec at ``path`` that is unknown, misplaced or ill-typed,
    each with its line. SpecError when the file cannot be read at all."""
    try:
        mtime = Path(path).stat().st_mtime_ns
    except OSError:
        mtime = 0
    return list(_cached(str(path), mtime))


def _fields(schema: dict[str, Any]) -> str:
    """The keys an extension's object takes, its enum, or its type, for the reference table."""
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return "a list of: " + _fields(schema["items"])
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    props = schema.get("properties")
    if isinstance(props, dict):
        required = set(schema.get("required") or [])
        return ", ".join(f"`{k}`" + ("" if k in required else "?") for k in props)
    return str(schema.get("type", "any"))


def reference_markdown() -> str:
    """docs/spec-extensions.md: the vocabulary as one table, generated from :data:`EXTENSIONS`."""
    lines = [
        "# The x-chatgate-* extensions",
        "",
        "<!-- generated from src/chatgate/contract_model/extensions.py by",
        "     python -m chatgate.contract_model > docs/spec-extensions.md -->",
        "",
        "OpenAPI states shapes; these extensions state the behaviour OpenAPI has no construct for. Each",
        "has a JSON Schema of its own: `chatgate lint` (and every command that loads a spec) refuses an",
        "unknown, misplaced or ill-typed one with its FILE:LINE (exit 2). Keys marked `?` are optional.",
        "",
        "| extension | stands on | keys | what it says |",
        "| --- | --- | --- | --- |",
    ]
    for ext in EXTENSIONS.values():
        meaning = ext.meaning.replace("|", "\\|")
        lines.append(f"| `{ext.name}` | {ext.where} | {_fields(ext.schema)} | {meaning} |")
    return "\n".join(lines) + "\n"
