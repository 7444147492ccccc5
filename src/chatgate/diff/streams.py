"""Two streams compared as the spec model reads them (:class:`chatgate.contract_model.StreamModel`).

From the side of a client built on OLD that reads what NEW's server sends:

- an event gone is breaking; an event renamed (OLD's grammar with the old name replaced by the new one
  allows exactly NEW's streams) is breaking once, not a removal and an addition;
- a new event is breaking when OLD told clients to reject unknown events (``unknown_events: reject``,
  the default), not when it told them to ignore them;
- the grammars: NEW allowing a stream OLD rejects, once the new events a client ignores are dropped
  (a new order, an event made mandatory where OLD allowed none, an end OLD did not allow), is breaking,
  with the shortest such stream (:mod:`chatgate.diff.languages`); NEW allowing fewer streams is not;
- each event's data schema (the branch of the data's ``contentSchema`` its discriminator names) is
  compared as a response (``stream.data.*``);
- the content event and field, the error event, the link field, the field that asks for the stream,
  the unknown-events policy and the liveness limits.
"""

from __future__ import annotations

from chatgate.contract_model import StreamModel
from chatgate.diff.context import Context, child, code
from chatgate.diff.languages import Lang, counterexample
from chatgate.diff.schemas import SchemaWalk

__all__ = ["compare_streams", "event_renames"]


def _event_at(s: StreamModel, name: str) -> str:
    if name in s.events:
        return child(s.envelope_pointer, "properties", "event", "enum", s.events.index(name))
    return s.grammar_pointer


def _events_at(s: StreamModel) -> str:
    return child(s.envelope_pointer, "properties", "event", "enum") if s.events else s.grammar_pointer


def _known(s: StreamModel) -> set[str]:
    return set(s.events) | set(s.data_pointers) | set(s.grammar.names)


def _renames(o: StreamModel, n: StreamModel, removed: set[str], added: set[str]) -> dict[str, str]:
    """OLD name -> NEW name for each event whose renaming alone turns OLD's grammar into NEW's."""
    out: dict[str, str] = {}
    new_lang = Lang.of(n.grammar)
    for r in sorted(removed):
        for a in sorted(added - set(out.values())):
            lang = Lang.of(o.grammar, {r: a})
            if counterexample(lang, new_lang) is None and counterexample(new_lang, lang) is None:
                out[r] = a
                break
    return out


def event_renames(o: StreamModel, n: StreamModel) -> dict[str, str]:
    """OLD event name -> NEW name, for the events NEW only renamed."""
    old_names, new_names = set(o.grammar.names), set(n.grammar.names)
    return _renames(o, n, old_names - new_names, new_names - old_names)


def compare_streams(ctx: Context, o: StreamModel, n: StreamModel) -> None:
    """Everything a client of stream ``o`` relies on, against ``n``."""
    old_names, new_names = set(o.grammar.names), set(n.grammar.names)
    removed, added = old_names - new_names, new_names - old_names
    rename = _renames(o, n, removed, added)
    for r in sorted(removed - set(rename)):
        ctx.removed(
            "stream.event.removed",
            _event_at(o, r),
            _events_at(n),
            f"{code(r)} events are no longer sent: clients that wait for them or read their data break.",
            r,
        )
    for r, a in sorted(rename.items()):
        ctx.add(
            "stream.event.renamed",
            _event_at(o, r),
            _event_at(n, a),
            f"{code(r)} is now called {code(a)}: "
            f"clients built on the old spec see an unknown event and miss {code(r)}.",
            subject=r,
        )
    known_old = {rename.get(x, x) for x in _known(o)}
    policy = f"unknown_events: {o.unknown_events}{'' if o.unknown_events_stated else ', the default'}"
    for a in sorted(added - set(rename.values()) - known_old):
        if o.unknown_events == "ignore":
            ctx.add(
                "stream.event.added-ignorable",
                _events_at(o),
                _event_at(n, a),
                f"{code(a)} is a new event; clients built on the old spec ignore it ({policy}).",
                subject=a,
            )
        else:
            ctx.add(
                "stream.event.added",
                _events_at(o),
                _event_at(n, a),
                f"{code(a)} is a new event: clients built on the old spec reject unknown events ({policy}).",
                subject=a,
            )
    _grammar(ctx, o, n, rename, frozenset(new_names - known_old))
    for r in sorted(old_names & set(o.data_pointers)):
        a = rename.get(r, r)
        if a in n.data_pointers:
            skip = frozenset(f for f in (o.name_field, n.name_field) if f)
            walk = SchemaWalk(ctx, reading=True, area="stream.data", skip=skip, root=f"{code(a)}'s data")
            walk.compare(o.data_pointers[r], n.data_pointers[a], a)
    _settings(ctx, o, n, rename)
    ctx.docs(o.rules_pointer, n.rules_pointer, {"description", "x-chatgate-assumption"})


def _grammar(
    ctx: Context, o: StreamModel, n: StreamModel, rename: dict[str, str], new_only: frozenset[str]
) -> None:
    old_lang, new_lang = Lang.of(o.grammar, rename), Lang.of(n.grammar)
    at_o, at_n = o.grammar_pointer, n.grammar_pointer
    found = counterexample(new_lang, old_lang, erase=new_only)
    if found is not None:
        stream, why = found
        shown = " ".join(stream) + (" …" if stream else "")
        ctx.add(
            "stream.grammar.changed",
            at_o,
            at_n,
            f"the stream may now go `{shown}`, which clients built on the old grammar reject ({why}).",
            subject="grammar",
        )
        return
    back = counterexample(old_lang, new_lang, erase=frozenset(set(old_lang.names) - set(new_lang.names)))
    if back is not None:
        ctx.add(
            "stream.grammar.narrowed",
            at_o,
            at_n,
            f"the grammar allows fewer streams (e.g. no longer "
            f"`{' '.join(back[0])} …`); every stream it allows, the old one allowed.",
            subject="grammar",
        )
        return
    exact = counterexample(new_lang, old_lang) is None and counterexample(old_lang, new_lang) is None
    if exact and " ".join(o.grammar.text.split()) != " ".join(n.grammar.text.split()) and not rename:
        ctx.add(
            "docs.changed",
            at_o,
            at_n,
            "the grammar is written differently but allows the same streams.",
            subject="grammar",
        )


def _index(field: str | None) -> str:
    return f"index {code(field)}" if field else "no index"


def _setting(
    ctx: Context, o: StreamModel, n: StreamModel, key: str, rule: str, text: str, subject: str | None = None
) -> None:
    node_o, node_n = ctx.old.doc.node(o.rules_pointer) or {}, ctx.new.doc.node(n.rules_pointer) or {}
    at_o = child(o.rules_pointer, key) if key in node_o else o.rules_pointer
    at_n = child(n.rules_pointer, key) if key in node_n else n.rules_pointer
    ctx.add(rule, at_o, at_n, text, subject=subject or key, item=at_n if key in node_n else at_o)


def _settings(ctx: Context, o: StreamModel, n: StreamModel, rename: dict[str, str]) -> None:
    old_content = (rename.get(o.content_event, o.content_event), o.content_field, o.index_field)
    new_content = (n.content_event, n.content_field, n.index_field)
    if old_content != new_content:
        _setting(
            ctx,
            o,
            n,
            "content",
            "stream.content.changed",
            f"the reply's content now comes in `{n.content_event}.{n.content_field}` "
            f"({_index(n.index_field)}; was `{o.content_event}.{o.content_field}`, {_index(o.index_field)}): "
            "clients assemble the reply wrongly.",
        )
    if rename.get(o.error_event or "", o.error_event) != n.error_event:
        _setting(
            ctx,
            o,
            n,
            "error_event",
            "stream.error-event.changed",
            f"the failure event is now "
            f"{code(n.error_event or 'none')} (was {code(o.error_event or 'none')}).",
        )
    if o.link_field != n.link_field:
        _setting(
            ctx,
            o,
            n,
            "link_field",
            "stream.link-field.changed",
            f"the events now agree on "
            f"{code(n.link_field or 'nothing')} (was {code(o.link_field or 'nothing')}).",
        )
    if (o.select_field, o.select_value) != (n.select_field, n.select_value):
        was, now = code(o.select_field or "nothing"), code(n.select_field or "nothing")
        _setting(
            ctx,
            o,
            n,
            "select",
            "stream.select.changed",
            f"the stream is now asked for with {now} = "
            f"{code(n.select_value)} (was {was} = {code(o.select_value)}): clients asking the old way get "
            "the other answer.",
        )
    if o.unknown_events != n.unknown_events:
        relaxed = n.unknown_events == "ignore"
        text = (
            "clients are now told to ignore unknown events (was reject): clients built on the old spec "
            "still reject the ones the API may add."
            if relaxed
            else "clients are now told to reject unknown events (was ignore)."
        )
        rule = "stream.unknown-events.relaxed" if relaxed else "stream.unknown-events.strict"
        _setting(ctx, o, n, "unknown_events", rule, text)
    _liveness(ctx, o, n)


def _liveness(ctx: Context, o: StreamModel, n: StreamModel) -> None:
    for key, a, b in (("idle", o.idle_s, n.idle_s), ("total", o.total_s, n.total_s)):
        if a != b:
            longer = b is None or (a is not None and b > a)
            rule = "stream.liveness.loosened" if longer else "stream.liveness.tightened"
            now = "no limit" if b is None else f"{b:g} s"
            was = "no limit" if a is None else f"{a:g} s"
            text = f"liveness `{key}` is now {now} (was {was})" + (
                ": clients whose timeouts follow the old spec cut streams short." if longer else "."
            )
            _setting(ctx, o, n, "liveness", rule, text, f"liveness.{key}")
