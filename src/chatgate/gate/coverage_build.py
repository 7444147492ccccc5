"""The run's spec coverage, built from the model of each spec and what the suite recorded.

Everything named comes from the spec's model: operations (by operationId), documented statuses and
media types, each stream's events, each parameter's and body field's schema, each rule
(:meth:`~chatgate.contract_model.ContractModel.rule_pointers`). The counts come from the run's
:class:`~chatgate.gate.coverage_record.CoverageRecord`; which items the run's scope left out from its
:class:`~chatgate.gate.scope.Scope`. Why an item was never exercised is said per kind: what the gate
cannot cause on purpose (a server error, rate limiting, a stream's error event), what it provoked and
got instead, or what no request of the run got.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chatgate.contract_model import RULE_KINDS, ContractModel, Operation, model_for
from chatgate.gate.catalogue import CHECKS, SCHEMATHESIS_CHECKS
from chatgate.gate.coverage import Coverage, EventEntry, Item, ParameterEntry, ResponseEntry, RuleEntry
from chatgate.gate.coverage_record import CoverageRecord, ParamCount
from chatgate.gate.model import Tally
from chatgate.gate.scope import Scope

__all__ = ["build_coverage"]

# The checks every generated case runs besides schemathesis' own (contracts/st_checks.py)
CASE_CHECKS = frozenset({*SCHEMATHESIS_CHECKS, "schema_validation", "stream_grammar", "stream_stalled"})
RATE_LIMITED, TOO_LARGE, UNSUPPORTED = 429, 413, 415  # HTTP's statuses (RFC 9110, RFC 6585)
_CONSTRAINTS = frozenset(
    {"enum", "const", "pattern", "minLength", "maxLength", "format", "minimum", "maximum", "exclusiveMinimum",
     "exclusiveMaximum", "multipleOf", "not"}
)  # fmt: skip


def _judges(rule: str) -> list[str]:
    """The checks that judge a rule of kind ``rule`` (a window read also reads back what a send stored)."""
    found = [name for name, c in CHECKS.items() if c.rule == rule]
    return found + (["navigable_read"] if rule == "read-back" else [])


@dataclass(frozen=True, slots=True)
class _Run:
    """What the build needs to know of the run besides the counts."""

    record: CoverageRecord
    scope: Scope
    not_run: Mapping[str, str]

    @property
    def cases_sent(self) -> bool:
        return any(self.scope.check_selected(c) for c in CASE_CHECKS)

    def out_of_scope(self, op: Operation) -> str | None:
        if self.scope.operation_selected(op.method, op.path, op.operation_id):
            return None
        if self.scope.read_only and op.method != "GET":
            return "--read-only: GET operations only"
        return "operation not selected (--include-*/--exclude-* flags)"

    def no_cases(self) -> str:
        return "no check of the generated cases selected (--checks/--exclude-checks): they were not sent"


def _status(key: str) -> int | str:
    return int(key) if key.isdigit() else key


def _answers(run: _Run, op: Operation) -> dict[tuple[str, str], list[tuple[int, str]]]:
    """The answers received for ``op`` by the (documented status, media type) they fall under; an
    undocumented status or media type under its own (status, media type)."""
    out: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for api, label, status, media in run.record.answers():
        if (api, label) != (op.api, op.label) or not run.record.seen.get((api, label, status, media)):
            continue  # another operation, or judged only (a probe of a method the path does not document)
        found = op.response(status)
        documented = found is not None and (not found.media or media in found.media)
        key = (found.status, media if found.media else "") if documented and found else (str(status), media)
        out.setdefault(key, []).append((status, media))
    return out


def _never_response(run: _Run, op: Operation, status: str, media: str, others: list[str]) -> Item:
    what = f"{status} {media}".strip()
    excluded = run.out_of_scope(op)
    if excluded:
        return Item("responses", op.api, op.operation_id, what, "excluded", excluded)
    provoked = run.record.provoked.get((op.api, op.label, status))
    limit = op.body_limit
    code = int(status) if status.isdigit() else 0
    reason = "no request of the run got this answer"
    if code >= 500:
        reason = "a server error: the gate does not cause one on purpose"
    elif code == RATE_LIMITED:
        reason = "rate limiting: the gate does not flood the target to provoke it"
    elif provoked is not None:
        reason = f"provoked with {provoked}"
    elif code == TOO_LARGE and (limit is None or limit[0] != status):
        reason = "the spec states no request size limit (x-chatgate-body-limit)"
    elif code in (TOO_LARGE, UNSUPPORTED) and op.body is not None and run.scope.read_only:
        return Item("responses", op.api, op.operation_id, what, "excluded", "not provoked under --read-only")
    elif code in (TOO_LARGE, UNSUPPORTED) and op.body is not None:
        reason = "not provoked in this run (stopped first, or too large to send cheaply)"
    elif not run.cases_sent:
        return Item("responses", op.api, op.operation_id, what, "excluded", run.no_cases())
    if others:
        reason += f" (answers with {status} came as {', '.join(others)})"
    return Item("responses", op.api, op.operation_id, what, "never", reason)


def _responses(run: _Run, op: Operation) -> list[ResponseEntry]:
    answers = _answers(run, op)
    r = run.record
    out = []
    documented = [(s, m) for s, resp in sorted(op.responses.items()) for m in (list(resp.media) or [""])]
    for key in [*documented, *sorted(k for k in answers if k not in documented)]:
        got = answers.get(key, [])
        seen = sum(r.seen.get((op.api, op.label, *a), 0) for a in got)
        judged_by: dict[str, int] = {}
        for a in got:
            for (answer, check), n in r.judged_by.items():
                if answer == (op.api, op.label, *a):
                    judged_by[check] = judged_by.get(check, 0) + n
        distinct = sum(r.judged.get((op.api, op.label, *a), 0) for a in got)
        judged = min(seen, max([distinct, *judged_by.values()]))
        status, media = key
        item: Item | None = None
        if key in documented:
            others = sorted({m for (s, m) in answers if s == status and (s, m) != key and m})
            item = (Item("responses", op.api, op.operation_id, f"{status} {media}".strip(), "covered") if seen
                    else _never_response(run, op, status, media, others))  # fmt: skip
        retried = sum(r.retried.get((op.api, op.label, *a), 0) for a in got)
        out.append(ResponseEntry(op.api, op.operation_id, _status(status), media or None, key in documented,
                                 seen, retried, judged, dict(sorted(judged_by.items())), item))  # fmt: skip
    return out


def _events(run: _Run, op: Operation) -> list[EventEntry]:
    out = []
    stream_checks = any(
        run.scope.check_selected(c) for c in (*CASE_CHECKS, *_judges("stream"), *_judges("read-back"))
    )
    for status, resp in sorted(op.responses.items()):
        for media, m in sorted(resp.media.items()):
            s = m.stream
            if s is None:
                continue
            counts: dict[str, int] = {}
            for (api, label, code, got, name), n in run.record.events.items():
                found = op.response(code)
                if (
                    (api, label, got) == (op.api, op.label, media)
                    and found is not None
                    and found.status == status
                ):
                    counts[name] = counts.get(name, 0) + n
            names = list(s.events or s.data_pointers or s.grammar.names)
            streams = sum(
                n for k, n in run.record.seen.items() if (k[0], k[1], k[3]) == (op.api, op.label, media)
            )
            for name in [*names, *sorted(set(counts) - set(names))]:
                seen = counts.get(name, 0)
                item: Item | None = None
                if name in names:
                    item = _event_item(run, op, name, seen, streams, stream_checks, s.error_event)
                out.append(
                    EventEntry(
                        op.api, op.operation_id, _status(status), media, name, name in names, seen, item
                    )
                )
    return out


def _event_item(run: _Run, op: Operation, name: str, seen: int, streams: int, in_scope: bool,
                error_event: str | None) -> Item:  # fmt: skip
    what = f"event {name}"
    if seen:
        return Item("events", op.api, op.operation_id, what, "covered")
    excluded = run.out_of_scope(op) or (None if in_scope else "no check that sends streams selected")
    if excluded:
        return Item("events", op.api, op.operation_id, what, "excluded", excluded)
    if name == error_event:
        reason = (
            "the stream's error event (x-chatgate-stream error_event): only a target that fails a stream "
            "sends it; the gate cannot cause that"
        )
    else:
        reason = (
            "no stream was received" if not streams else f"none of the {streams} streams received carried it"
        )
    return Item("events", op.api, op.operation_id, what, "never", reason)


def _can_be_invalid(location: str, schema: Mapping[str, Any]) -> bool:
    """Whether a value sent for it can break its schema: any JSON value can in a body; a text in the query,
    a header or the path only when the schema asks more than a string."""
    kinds = schema.get("type")
    return location == "body" or bool(_CONSTRAINTS & set(schema)) or kinds not in (None, "string", ["string"])


def _closed_values(schema: Mapping[str, Any]) -> list[str]:
    enum = schema.get("enum")
    if isinstance(enum, list):
        return [json.dumps(v) for v in enum]
    kinds = schema.get("type")
    return ["true", "false"] if kinds == "boolean" or (isinstance(kinds, list) and "boolean" in kinds) else []


def _parameter(
    run: _Run, op: Operation, name: str, location: str, schema: Mapping[str, Any]
) -> ParameterEntry:
    count = run.record.parameters.get((op.api, op.label, location, name), ParamCount())
    excluded = run.out_of_scope(op) or (None if run.cases_sent else run.no_cases())
    wanted: list[tuple[str, int, str]] = [("valid value", count.valid, "no valid value was sent")]
    if _can_be_invalid(location, schema):
        wanted.append(("invalid value", count.invalid, "no invalid value was sent"))
    values = _closed_values(schema)
    wanted += [(f"value {v}", count.values.get(v, 0), "never sent") for v in values]
    items = []
    for what, n, why in wanted:
        label = f"{location} {name}: {what}"
        if n:
            items.append(Item("parameters", op.api, op.operation_id, label, "covered"))
        elif excluded or (what == "invalid value" and run.scope.mode == "positive"):
            reason = excluded or "--mode positive: no invalid value is generated"
            items.append(Item("parameters", op.api, op.operation_id, label, "excluded", reason))
        else:
            items.append(Item("parameters", op.api, op.operation_id, label, "never", why))
    shown = tuple((v, count.values.get(v, 0)) for v in values) + tuple(
        (v, n) for v, n in sorted(count.values.items()) if v not in values
    )
    return ParameterEntry(op.api, op.operation_id, name, location, count.valid, count.invalid, count.absent,
                          shown, tuple(items))  # fmt: skip


def _parameters(run: _Run, op: Operation) -> list[ParameterEntry]:
    out = [_parameter(run, op, p.name, p.location, p.schema) for p in op.parameters]
    if op.body is not None:
        out += [_parameter(run, op, n, "body", s) for n, s in op.body.properties.items()]
    return out


def _rules(run: _Run, model: ContractModel, op: Operation) -> list[RuleEntry]:
    out = []
    media = {rb.pointer: rb.media_type for rb in model.rules(op).read_backs}
    for kind in RULE_KINDS:
        judges = _judges(kind)
        for pointer in model.rule_pointers(kind, op):
            checks = {
                c: n for (a, p, c), n in sorted(run.record.rules.items()) if (a, p) == (op.api, pointer)
            }
            judged = sum(checks.values())
            what = f"{kind} rule" + (f" ({media[pointer]})" if media.get(pointer) else "")
            out.append(RuleEntry(op.api, op.operation_id, kind, pointer, media.get(pointer), judged, checks,
                                 _rule_item(run, op, what, judged, judges)))  # fmt: skip
    return out


def _rule_item(run: _Run, op: Operation, what: str, judged: int, judges: list[str]) -> Item:
    if judged:
        return Item("rules", op.api, op.operation_id, what, "covered")
    selected = [c for c in judges if run.scope.check_selected(c)]
    excluded = run.out_of_scope(op) or (
        None if selected else run.scope.why_not_selected(judges[0]) if judges else None
    )
    if excluded:
        return Item("rules", op.api, op.operation_id, what, "excluded", excluded)
    why = "; ".join(f"{c}: {run.not_run[c]}" for c in selected if c in run.not_run)
    reason = f"judged by {' or '.join(selected)}, which judged nothing by it" + (f" ({why})" if why else "")
    return Item("rules", op.api, op.operation_id, what, "never", reason)


def _checks(apis: Iterable[str], tallies: Mapping[tuple[str, str, str], Tally]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {api: {} for api in apis}
    for (api, _, check), t in sorted(tallies.items()):
        if api in out and t.cases:
            out[api][check] = out[api].get(check, 0) + t.cases
    return out


def build_coverage(
    apis: Iterable[str],
    record: CoverageRecord,
    scope: Scope,
    tallies: Mapping[tuple[str, str, str], Tally],
    not_run: Mapping[str, str],
) -> Coverage:
    """The coverage of a run of ``apis`` (see the module docstring)."""
    run = _Run(record, scope, not_run)
    apis = tuple(apis)
    responses, events, parameters, rules = [], [], [], []
    for api in apis:
        model = model_for(api)
        for op in model.operations:
            responses += _responses(run, op)
            events += _events(run, op)
            parameters += _parameters(run, op)
            rules += _rules(run, model, op)
    return Coverage(
        apis, tuple(responses), tuple(events), tuple(parameters), tuple(rules), _checks(apis, tallies)
    )
