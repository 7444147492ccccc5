"""Every example in a spec, checked against the schema it illustrates.

Integrators copy examples; one that breaks its own schema teaches them the wrong contract. This
finds each ``example`` and ``examples.<name>.value`` of media types (request bodies and responses),
parameters and headers, and validates it with the spec's own schema (Draft 2020-12, formats on). For
a ``text/event-stream`` example (one event: ``{event, data}``) the ``data`` string is also decoded and
checked against its ``contentSchema``, which JSON Schema validators leave alone, and the property its
``discriminator`` names must equal the event's name. ``chatgate lint`` reports each problem with its
file and line::

    >>> from chatgate.specs import load_spec
    >>> example_problems(load_spec("nara"))
    []

:func:`example_spec_problems` is the same pass over a file, as ``SpecProblem``s with their lines.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema.exceptions import best_match

from chatgate.specs import HTTP_METHODS, SpecProblem, find_line, load_spec_file, resolve, schema_validator

__all__ = ["ExampleProblem", "example_problems", "example_spec_problems"]

Pointer = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class ExampleProblem:
    """An example that does not fit its schema: where it is (JSON pointer as keys) and why."""

    pointer: Pointer
    message: str

    @property
    def where(self) -> str:
        return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in self.pointer)


def _examples(node: dict[str, Any], at: Pointer) -> Iterator[tuple[Pointer, Any]]:
    if "example" in node:
        yield (*at, "example"), node["example"]
    for name, item in (node.get("examples") or {}).items():
        if isinstance(item, dict) and "value" in item:
            yield (*at, "examples", name, "value"), item["value"]


def _check(
    spec: dict[str, Any], schema: Any, value: Any, at: Pointer, media_type: str = ""
) -> list[ExampleProblem]:
    if not isinstance(schema, dict):
        return []
    problems = [
        ExampleProblem(at, f"{_json_path(e.absolute_path)}: {e.message}")
        for e in _leaves(schema_validator(spec, schema), value)
    ]
    if media_type == "text/event-stream" and isinstance(value, dict) and isinstance(value.get("data"), str):
        data_schema = (resolve(spec, schema).get("properties") or {}).get("data") or {}
        content = data_schema.get("contentSchema")
        if data_schema.get("contentMediaType") == "application/json" and content is not None:
            try:
                data = json.loads(value["data"])
            except json.JSONDecodeError as exc:
                return [*problems, ExampleProblem(at, f"data: not JSON ({exc.msg})")]
            problems += [
                ExampleProblem(at, f"data {_json_path(e.absolute_path)}: {e.message}")
                for e in _leaves(schema_validator(spec, content), data)
            ]
            name = _discriminator(spec, content)  # the data field that repeats the event's name
            if name and isinstance(data, dict) and "event" in value and data.get(name) != value["event"]:
                problems.append(
                    ExampleProblem(at, f"data.{name} {data.get(name)!r} is not the event {value['event']!r}")
                )
    return problems


def _discriminator(spec: dict[str, Any], content: Any) -> str | None:
    """The property that tells a stream's events apart (its data's ``discriminator``), if one is named."""
    found = resolve(spec, content).get("discriminator") if isinstance(content, dict) else None
    name = found.get("propertyName") if isinstance(found, dict) else None
    return name if isinstance(name, str) and name else None


def _leaves(validator: Any, value: Any) -> list[Any]:
    """Each error, narrowed to its most relevant cause (a ``oneOf`` names the failing branch's field)."""
    return [best_match([e]) or e for e in validator.iter_errors(value)]


def _json_path(parts: Any) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def _media(spec: dict[str, Any], content: dict[str, Any], at: Pointer) -> list[ExampleProblem]:
    problems: list[ExampleProblem] = []
    for media_type, media in content.items():
        if not isinstance(media, dict):
            continue
        for where, value in _examples(media, (*at, media_type)):
            problems += _check(spec, media.get("schema"), value, where, media_type)
    return problems


def _parameter(spec: dict[str, Any], node: Any, at: Pointer) -> list[ExampleProblem]:
    if not isinstance(node, dict) or "$ref" in node:
        return []  # a reference is checked where it is defined
    problems: list[ExampleProblem] = []
    for where, value in _examples(node, at):
        problems += _check(spec, node.get("schema"), value, where)
    if isinstance(node.get("content"), dict):
        problems += _media(spec, node["content"], (*at, "content"))
    return problems


def _response(spec: dict[str, Any], node: Any, at: Pointer) -> list[ExampleProblem]:
    if not isinstance(node, dict) or "$ref" in node:
        return []
    problems = _media(spec, node.get("content") or {}, (*at, "content"))
    for name, header in (node.get("headers") or {}).items():
        problems += _parameter(spec, header, (*at, "headers", name))
    return problems


def example_problems(spec: dict[str, Any]) -> list[ExampleProblem]:
    """Every example of ``spec`` that its schema rejects (empty when all fit), in document order."""
    problems: list[ExampleProblem] = []
    for path, item in (spec.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for i, param in enumerate(item.get("parameters") or []):
            problems += _parameter(spec, param, ("paths", path, "parameters", i))
        for method, op in item.items():
            if method not in HTTP_METHODS or not isinstance(op, dict):
                continue
            at: Pointer = ("paths", path, method)
            for i, param in enumerate(op.get("parameters") or []):
                problems += _parameter(spec, param, (*at, "parameters", i))
            body = op.get("requestBody")
            if isinstance(body, dict) and "$ref" not in body:
                problems += _media(spec, body.get("content") or {}, (*at, "requestBody", "content"))
            for status, response in (op.get("responses") or {}).items():
                problems += _response(spec, response, (*at, "responses", str(status)))
    components = spec.get("components") or {}
    for name, param in (components.get("parameters") or {}).items():
        problems += _parameter(spec, param, ("components", "parameters", name))
    for name, header in (components.get("headers") or {}).items():
        problems += _parameter(spec, header, ("components", "headers", name))
    for name, body in (components.get("requestBodies") or {}).items():
        if isinstance(body, dict):
            problems += _media(
                spec, body.get("content") or {}, ("components", "requestBodies", name, "content")
            )
    for name, response in (components.get("responses") or {}).items():
        problems += _response(spec, response, ("components", "responses", name))
    for name, schema in (components.get("schemas") or {}).items():
        if isinstance(schema, dict):
            for i, value in enumerate(schema.get("examples") or []):
                problems += _check(spec, schema, value, ("components", "schemas", name, "examples", i))
    return problems


def example_spec_problems(path: Path) -> list[SpecProblem]:
    """The example pass over the spec at ``path`` (run it on a structurally valid spec only)."""
    doc = load_spec_file(path)
    return [
        SpecProblem(path, find_line(path, list(p.pointer)), "examples", "error", f"{p.where}: {p.message}")
        for p in example_problems(doc)
    ]
