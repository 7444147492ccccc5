"""Every rule ``chatgate diff`` applies: a stable id, its class, and what it means for a client.

The table in docs/diff-rules.md is generated from :data:`RULES` (``python -m chatgate.diff``), and a test
holds the committed file to it. Rule ids never change meaning; a new case gets a new id.

Direction decides the class. A client *sends* requests: NEW must accept everything OLD accepted, so a
narrower request schema is breaking and a wider one is not. A client *reads* responses and streams: NEW
must send only what OLD promised, so a wider response is a risk (a warning where lenient clients still
cope, breaking where none would) and a narrower one is not.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatgate.diff.model import BREAKING, DOCS_ONLY, NON_BREAKING, WARNING

__all__ = ["AREAS", "RULES", "Rule", "rule"]

B, W, N, D = BREAKING, WARNING, NON_BREAKING, DOCS_ONLY


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    cls: str
    what: str


AREAS = {
    "spec": "The spec files",
    "request": "Request side (what a client sends)",
    "response": "Response side (what a client reads)",
    "stream": "Streams (text/event-stream)",
    "rule": "chatgate's own rules (x-chatgate-*)",
    "docs": "Documentation",
}

_SCHEMA_READ = (  # the reading side's schema rules: responses ("response.schema") and event data
    ("field-removed", B, "a field is no longer sent: clients that read it break"),
    ("field-optional", B, "a field is no longer required: clients that expect it may not find it"),
    ("type-changed", B, "a value may now be of a type clients did not expect"),
    ("enum-widened", W, "a new enum value may be sent: clients that switch over the values may not know it"),
    ("limit-loosened", W, "a value may now fall outside the old limits clients validate against"),
    ("opened", W, "additionalProperties no longer false: strict clients reject the fields that may come"),
    (
        "field-added-strict",
        W,
        "a field added to a schema with additionalProperties false: strict clients "
        "validating against OLD reject it",
    ),
    ("field-added", N, "a field added to an open schema"),
    ("field-required", N, "a field is now always sent"),
    ("type-narrowed", N, "fewer types may be sent"),
    ("enum-narrowed", N, "fewer enum values may be sent"),
    ("limit-tightened", N, "values stay within tighter limits"),
    ("closed", N, "additionalProperties now false: nothing undocumented is sent"),
)

_RULES: tuple[Rule, ...] = (
    Rule("spec.removed", B, "a spec file is gone: its whole API is no longer described"),
    Rule("spec.added", N, "a new spec file"),
    Rule(
        "spec.servers-changed",
        W,
        "the servers list changed: clients configured with a server URL may point at the wrong host",
    ),
    Rule(
        "spec.unclassified",
        W,
        "a change no rule classifies: review it by hand (never silently passed)",
    ),
    Rule("spec.version-changed", D, "info.version changed"),
    Rule("request.operation.removed", B, "an operation is gone: clients calling it get 404 or 405"),
    Rule("request.operation.added", N, "a new operation"),
    Rule("request.operation.id-changed", W, "an operationId changed: generated clients rename their method"),
    Rule("request.operation.deprecated", W, "an operation is now deprecated"),
    Rule(
        "request.parameter.removed",
        B,
        "a parameter is gone: clients that send it may get 400 or have it ignored",
    ),
    Rule("request.parameter.added", N, "a new optional parameter"),
    Rule(
        "request.parameter.required-added",
        B,
        "a parameter is new and required, or now required: clients that omit it get 400",
    ),
    Rule("request.parameter.required-removed", N, "a parameter is no longer required"),
    Rule(
        "request.parameter.form-removed",
        B,
        "a parameter may no longer be sent in a request body form (x-chatgate-body-forms)",
    ),
    Rule("request.parameter.form-added", N, "a parameter may also be sent in another body form"),
    Rule("request.body.required-added", B, "the request body is now required"),
    Rule("request.body.required-removed", N, "the request body is now optional"),
    Rule(
        "request.body.media-type-removed",
        B,
        "a request body media type is no longer accepted: clients that send it get 415",
    ),
    Rule("request.body.media-type-added", N, "a new request body media type"),
    Rule(
        "request.body.field-removed",
        B,
        "a body field is gone from a schema that refuses unknown fields: clients that send it get 400",
    ),
    Rule(
        "request.body.field-ignored",
        W,
        "a body field is gone from an open schema: clients that send it have it silently ignored",
    ),
    Rule("request.body.field-added", N, "a new optional body field"),
    Rule(
        "request.body.field-required-added",
        B,
        "a body field is new and required, or now required: clients that omit it get 400",
    ),
    Rule("request.body.field-required-removed", N, "a body field is no longer required"),
    Rule("request.schema.type-changed", B, "a request value's type no longer takes what it took"),
    Rule("request.schema.type-widened", N, "a request value takes more types"),
    Rule("request.schema.enum-narrowed", B, "a value is no longer accepted: clients that send it get 400"),
    Rule("request.schema.enum-widened", N, "more values are accepted"),
    Rule(
        "request.schema.limit-tightened",
        B,
        "a limit (minimum, maximum, length, items, pattern, format) "
        "is tighter: clients sending values the old one allowed get 400",
    ),
    Rule("request.schema.limit-loosened", N, "a limit is looser"),
    Rule(
        "request.schema.closed", B, "additionalProperties now false: clients that send extra fields get 400"
    ),
    Rule("request.schema.opened", N, "unknown fields are now accepted"),
    Rule(
        "request.schema.default-changed",
        B,
        "a parameter's or field's default changed: clients relying on it get other results",
    ),
    Rule(
        "request.security.scheme-removed",
        B,
        "an accepted way to send the key is gone: clients using it get 401",
    ),
    Rule(
        "request.security.scheme-changed",
        B,
        "a security scheme's header, parameter or scheme name "
        "changed: clients sending the key the old way get 401",
    ),
    Rule("request.security.scheme-added", N, "a new accepted way to send the key"),
    Rule("request.security.required", B, "an operation that took anonymous calls now needs a key"),
    Rule("request.security.optional", N, "an operation now also takes anonymous calls"),
    Rule(
        "response.status.removed",
        B,
        "a documented status is gone: clients handling it are told it no "
        "longer happens, and the status they get instead is undocumented for them",
    ),
    Rule("response.status.added", W, "a newly documented status: clients may not handle it"),
    Rule(
        "response.media-type.removed",
        B,
        "a response media type is no longer sent: clients asking for it get another",
    ),
    Rule("response.media-type.added", N, "a new response media type"),
    Rule("response.header.removed", B, "a response header is no longer sent: clients that read it break"),
    Rule("response.header.added", N, "a new response header"),
    *(Rule(f"response.schema.{tail}", cls, what) for tail, cls, what in _SCHEMA_READ),
    Rule("stream.removed", B, "a stream's rules are gone: clients can no longer rely on its events"),
    Rule("stream.added", N, "a response now states stream rules"),
    Rule(
        "stream.event.removed",
        B,
        "an event is no longer sent: clients that wait for it or read its data break",
    ),
    Rule(
        "stream.event.renamed",
        B,
        "an event has a new name: clients see an unknown event and miss the one they expect",
    ),
    Rule(
        "stream.event.added",
        B,
        "a new event, and OLD told clients to reject unknown events (unknown_events: reject)",
    ),
    Rule("stream.event.added-ignorable", N, "a new event, and OLD told clients to ignore unknown events"),
    Rule(
        "stream.grammar.changed",
        B,
        "NEW's grammar allows a stream OLD's rejects (a new order, a new "
        "mandatory event): the report shows the shortest such stream",
    ),
    Rule("stream.grammar.narrowed", N, "every stream NEW's grammar allows, OLD's allowed too"),
    Rule(
        "stream.content.changed",
        B,
        "the reply's content comes in another event, field or index: clients assemble the reply wrongly",
    ),
    Rule("stream.error-event.changed", B, "the terminal event that means failure changed"),
    Rule("stream.link-field.changed", B, "the data field the events agree on changed"),
    Rule(
        "stream.select.changed",
        B,
        "another request field or value asks for the stream: clients asking "
        "the old way get the other answer form",
    ),
    Rule(
        "stream.unknown-events.relaxed",
        W,
        "clients are now told to ignore unknown events (was reject): "
        "clients built on OLD still reject the ones NEW may add",
    ),
    Rule("stream.unknown-events.strict", N, "clients are now told to reject unknown events (was ignore)"),
    Rule(
        "stream.liveness.loosened",
        W,
        "a stream may wait or last longer: clients whose timeouts follow OLD cut it",
    ),
    Rule("stream.liveness.tightened", N, "a stream waits or lasts less"),
    *(Rule(f"stream.data.{tail}", cls, f"an event's data: {what}") for tail, cls, what in _SCHEMA_READ),
    Rule(
        "rule.pagination.removed",
        B,
        "a listing no longer states how it pages: clients can no longer rely "
        "on its order, page size or totals",
    ),
    Rule("rule.pagination.added", N, "a listing now states how it pages"),
    Rule("rule.pagination.sort-value-removed", B, "a sort order is gone: clients that ask for it get 400"),
    Rule("rule.pagination.sort-value-added", N, "a new sort order"),
    Rule(
        "rule.pagination.changed",
        B,
        "how a listing pages changed (style, parameters, items or totals, "
        "sort fields, tie-break, append keys, late rows, past the end): clients read other pages",
    ),
    Rule(
        "rule.ownership.added",
        B,
        "reads are now bound to the key's identity: reads of another identity are refused",
    ),
    Rule("rule.ownership.removed", B, "reads are no longer bound to the key's identity"),
    Rule("rule.ownership.changed", B, "the parameter, status or item field of the ownership rule changed"),
    Rule("rule.identity.changed", B, "what a key identifies (x-chatgate-identity) changed"),
    Rule("rule.window.added", N, "a read now states the window it returns"),
    Rule("rule.window.removed", B, "a read no longer states its window: clients can no longer rely on it"),
    Rule(
        "rule.window.changed",
        B,
        "a read's window changed (size, order, which end is kept, session): clients see other items",
    ),
    Rule("rule.read-back.added", N, "a call now states where its stored copy is read back"),
    Rule("rule.read-back.removed", B, "a call no longer states that its result can be read back"),
    Rule(
        "rule.read-back.changed",
        B,
        "where or how a stored copy is read back changed (operation, rows, order, delay)",
    ),
    Rule("rule.field-errors.changed", B, "the map naming each invalid field moved in the error body"),
    Rule(
        "docs.changed",
        D,
        "descriptions, summaries, examples, assumptions, titles, tags: nothing a client sends or reads",
    ),
)

RULES: dict[str, Rule] = {r.id: r for r in _RULES}


def rule(rule_id: str) -> Rule:
    """The rule ``rule_id`` (KeyError for an id the catalogue lacks: a bug, caught by the tests)."""
    return RULES[rule_id]
