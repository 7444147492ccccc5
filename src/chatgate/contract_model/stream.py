"""A streamed response as the spec states it: its events, their data schemas and roles, its grammar.

Built from a ``text/event-stream`` Media Type object that carries ``x-chatgate-stream``:

- the event names are the ``enum`` of the event schema's ``event`` property (else the grammar's names);
- each event's data schema is a branch of the ``data`` property's ``contentSchema`` ``oneOf``, chosen by
  its ``discriminator`` (``mapping``, else each branch's ``const`` on ``propertyName``); that property
  repeats the event's name in its data (``name_field``);
- the grammar compiles once (:mod:`chatgate.contract_model.grammar`): ``opening`` and ``terminal`` names
  come from it, never from a list written in Python;
- ``content`` names the event that carries the reply's text and the field that holds it (TTFT, ITL,
  tokens and read-back all follow it), and the field of its gap-free index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chatgate.contract_model.grammar import Grammar, GrammarError, compile_grammar
from chatgate.contract_model.spec_doc import SpecDoc
from chatgate.errors import UsageError
from chatgate.options import parse_duration

__all__ = ["StreamModel", "build_stream"]

EXT = "x-chatgate-stream"


@dataclass(frozen=True, slots=True)
class StreamModel:
    """One streamed response's rules (see the module docstring)."""

    pointer: str  # the Media Type object
    envelope_pointer: str  # the schema of one event (event, data, id, retry)
    events: tuple[str, ...]
    data_pointers: dict[str, str]  # event name -> its data schema
    name_field: str | None
    grammar: Grammar
    content_event: str
    content_field: str
    index_field: str | None
    error_event: str | None
    link_field: str | None
    unknown_events: str  # reject | ignore
    unknown_events_stated: bool  # the spec says it (else the default, reject)
    idle_s: float | None
    total_s: float | None
    select_field: str | None
    select_value: Any

    @property
    def opening(self) -> frozenset[str]:
        return self.grammar.opening

    @property
    def terminal(self) -> frozenset[str]:
        return self.grammar.terminal

    @property
    def rules_pointer(self) -> str:
        """Where the stream's rules stand in the spec (``x-chatgate-stream``)."""
        return f"{self.pointer}/{EXT}"

    @property
    def grammar_pointer(self) -> str:
        return f"{self.rules_pointer}/grammar"

    def known(self, name: str) -> bool:
        return name in self.data_pointers or name in self.events


def _data_schemas(doc: SpecDoc, envelope: str) -> tuple[dict[str, str], str | None]:
    """(event name -> data schema pointer, the discriminating property) from the envelope's data."""
    data_at = f"{envelope}/properties/data"
    data = doc.node(data_at)
    if not isinstance(data, dict) or "contentSchema" not in data:
        return {}, None
    content_at = doc.follow(f"{data_at}/contentSchema")
    content = doc.node(content_at)
    branches = content.get("oneOf") if isinstance(content, dict) else None
    if not isinstance(branches, list):
        return {}, None
    disc = content.get("discriminator") if isinstance(content.get("discriminator"), dict) else None
    if disc is None:
        raise doc.error(content_at, "the stream's contentSchema oneOf needs a discriminator (propertyName) "
                        "naming the data field that tells the events apart")  # fmt: skip
    prop = str(disc.get("propertyName", ""))
    found: dict[str, str] = {}
    for name, ref in (disc.get("mapping") or {}).items():
        found[str(name)] = doc.ref_pointer(ref, f"{content_at}/discriminator/mapping")
    for i, _ in enumerate(branches):
        at = doc.follow(f"{content_at}/oneOf/{i}")
        const = doc.node(f"{at}/properties/{prop}")
        value = const.get("const") if isinstance(const, dict) else None
        if isinstance(value, str):
            found.setdefault(value, at)
    return found, prop or None


def _properties(doc: SpecDoc, pointer: str) -> dict[str, Any]:
    node = doc.node(pointer)
    props = node.get("properties") if isinstance(node, dict) else None
    return props if isinstance(props, dict) else {}


def _seconds(doc: SpecDoc, at: str, raw: Any) -> float | None:
    if raw is None:
        return None
    try:
        return parse_duration(str(raw), EXT)
    except UsageError as exc:
        raise doc.error(at, str(exc)) from None


def _grammar(doc: SpecDoc, at: str, text: str) -> Grammar:
    try:
        return compile_grammar(text)
    except GrammarError as exc:
        raise doc.error(f"{at}/grammar", f"{EXT}.grammar {text!r}: {exc}") from None


def _check_names(doc: SpecDoc, at: str, ext: dict[str, Any], model: StreamModel) -> None:
    known = set(model.events) | set(model.data_pointers)
    unknown = [n for n in model.grammar.names if known and n not in known]
    if unknown:
        raise doc.error(f"{at}/grammar", f"{EXT}.grammar names events the schema does not list: {unknown}")
    if model.content_event not in model.grammar.names:
        raise doc.error(f"{at}/content", f"{EXT}.content.event {model.content_event!r} is not in the grammar")
    data = model.data_pointers.get(model.content_event)
    if data is not None:
        props = _properties(doc, data)
        for key in ("field", "index"):
            name = ext["content"].get(key)
            if name is not None and name not in props:
                raise doc.error(
                    f"{at}/content/{key}", f"{EXT}.content.{key} {name!r} is not a field of the "
                    f"{model.content_event} event's data (fields: {sorted(props)})",
                )  # fmt: skip
    if model.error_event is not None and model.error_event not in model.terminal:
        raise doc.error(f"{at}/error_event", f"{EXT}.error_event {model.error_event!r} is not a terminal "
                        f"event of the grammar ({sorted(model.terminal)})")  # fmt: skip
    carriers = [p for p in model.data_pointers.values() if model.link_field in _properties(doc, p)]
    if model.link_field is not None and model.data_pointers and not carriers:
        raise doc.error(f"{at}/link_field", f"{EXT}.link_field {model.link_field!r} is in no event's data")


def build_stream(doc: SpecDoc, media_at: str) -> StreamModel | None:
    """The stream of the Media Type object at ``media_at``, or None when it states no stream rules."""
    media = doc.node(media_at)
    ext = media.get(EXT) if isinstance(media, dict) else None
    if not isinstance(ext, dict):
        return None
    at = f"{media_at}/{EXT}"
    envelope = doc.follow(f"{media_at}/schema")
    names = doc.node(f"{envelope}/properties/event")
    events = tuple(str(n) for n in names.get("enum", [])) if isinstance(names, dict) else ()
    data_pointers, name_field = _data_schemas(doc, envelope)
    select = ext.get("select") or {}
    liveness = ext.get("liveness") or {}
    model = StreamModel(
        pointer=media_at,
        envelope_pointer=envelope,
        events=events,
        data_pointers=data_pointers,
        name_field=name_field,
        grammar=_grammar(doc, at, str(ext["grammar"])),
        content_event=str(ext["content"]["event"]),
        content_field=str(ext["content"]["field"]),
        index_field=ext["content"].get("index"),
        error_event=ext.get("error_event"),
        link_field=ext.get("link_field"),
        unknown_events=str(ext.get("unknown_events", "reject")),
        unknown_events_stated="unknown_events" in ext,
        idle_s=_seconds(doc, f"{at}/liveness/idle", liveness.get("idle")),
        total_s=_seconds(doc, f"{at}/liveness/total", liveness.get("total")),
        select_field=select.get("field"),
        select_value=select.get("value"),
    )
    _check_names(doc, at, ext, model)
    return model
