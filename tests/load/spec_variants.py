"""Evolved copies of the shipped specs, as a team that changes its spec would write them.

``write_specs(dir, nara=edit)`` copies both specs into ``dir`` with ``edit`` applied to Nara's document
(a dict), so ``--specs DIR`` / ``CHATGATE_SPECS_DIR`` points a command at the variant. The edits find
what they change through the model of the shipped spec (the stream's Media Type object, its envelope and
data schemas by pointer), the way the code under test does. (A proxy that rewrites the reference
server's traffic to a renamed variant is not here: these variants are the ones today's server still
conforms to, or judged on byte streams alone.)
"""

from __future__ import annotations

import copy
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from chatgate.contract_model import StreamModel, build_model, model_for
from chatgate.load.stream import StreamRules
from chatgate.resources import checkout_root

Edit = Callable[[dict[str, Any]], None]
SPECS = checkout_root() / "specs"


def _stream() -> StreamModel:
    op = build_model("nara", SPECS / "nara.openapi.yaml").streamed()[0]
    assert op.stream is not None
    return op.stream


def node(doc: dict[str, Any], pointer: str) -> Any:
    out: Any = doc
    for raw in pointer.split("/")[1:]:
        out = out[raw.replace("~1", "/").replace("~0", "~")]
    return out


def stream_ext(doc: dict[str, Any]) -> dict[str, Any]:
    """The ``x-chatgate-stream`` object of Nara's streamed answer in ``doc``."""
    ext: dict[str, Any] = node(doc, _stream().pointer)["x-chatgate-stream"]
    return ext


def without_stream_rules(doc: dict[str, Any]) -> None:
    """Nara's streamed answer no longer states its rules (no ``x-chatgate-stream``)."""
    del node(doc, _stream().pointer)["x-chatgate-stream"]


def _branches(doc: dict[str, Any]) -> list[dict[str, Any]]:
    envelope = node(doc, _stream().envelope_pointer)
    one_of: list[dict[str, Any]] = envelope["properties"]["data"]["contentSchema"]["oneOf"]
    return one_of


def add_event(doc: dict[str, Any], name: str, fields: dict[str, Any]) -> None:
    """A new event ``name`` in the envelope's names and a data schema for it (``type`` repeats its name)."""
    envelope = node(doc, _stream().envelope_pointer)
    envelope["properties"]["event"]["enum"].append(name)
    schema = f"{name.title().replace('_', '')}Data"
    doc["components"]["schemas"][schema] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", *fields],
        "description": f"The {name} event.",
        "properties": {"type": {"const": name, "description": f"Always `{name}`."}, **fields},
    }
    _branches(doc).append({"$ref": f"#/components/schemas/{schema}"})


def with_usage(doc: dict[str, Any]) -> None:
    """An optional ``usage`` event between the last content event and the end."""
    add_event(doc, "usage", {"output_tokens": {"type": "integer", "minimum": 0}})
    ext = stream_ext(doc)
    content = ext["content"]["event"]
    ext["grammar"] = f"message_start {content}* usage? (message_end | error)"


def ignoring_unknown(doc: dict[str, Any]) -> None:
    stream_ext(doc)["unknown_events"] = "ignore"


def renamed_content_event(doc: dict[str, Any], new: str = "content_delta") -> None:
    """The content event renamed everywhere: names, grammar, its data's ``type``, the content rule."""
    s = _stream()
    old = s.content_event
    ext = stream_ext(doc)
    ext["grammar"] = re.sub(rf"(?<![\w.:-]){re.escape(old)}(?![\w.:-])", new, ext["grammar"])
    ext["content"]["event"] = new
    names = node(doc, s.envelope_pointer)["properties"]["event"]["enum"]
    names[names.index(old)] = new
    node(doc, s.data_pointers[old])["properties"][s.name_field or "type"]["const"] = new
    node(doc, s.pointer).pop("examples", None)


def write_specs(directory: Path, nara: Edit | None = None) -> Path:
    """Both specs in ``directory``, Nara's edited by ``nara``; the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(SPECS / "navigable.openapi.yaml", directory / "navigable.openapi.yaml")
    doc = copy.deepcopy(yaml.safe_load((SPECS / "nara.openapi.yaml").read_text(encoding="utf-8")))
    if nara is not None:
        nara(doc)
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    (directory / "nara.openapi.yaml").write_text(text, encoding="utf-8")
    return directory


def nara_rules() -> StreamRules:
    """The stream rules of Nara's streamed send in the specs in use (``CHATGATE_SPECS_DIR``)."""
    op = model_for("nara").streamed()[0]
    assert op.stream is not None
    return StreamRules("nara", op.stream)
