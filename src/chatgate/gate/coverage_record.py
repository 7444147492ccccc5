"""What a gate run exercised, as raw counts: the suite's side of spec coverage.

The suite's one transport reports every answer it received (each attempt: retries and the checks' own
probes included) and every value it sent; the ledger reports every judgement, with the exchange it judged
and the spec rules it applied. :class:`CoverageLedger` counts them (thread-safe) and :class:`CoverageRecord`
is the frozen result that travels in ``results.json``. Keys are what the wire showed (API, operation
label, status, media type, event name, parameter); matching them against the spec's documented items is
:mod:`chatgate.gate.coverage_build`'s work::

    ledger = CoverageLedger()
    ledger.received("nara", "GET /api/v1.0/chat/messages", 200, "application/json")
    ledger.parameter("nara", "GET /api/v1.0/chat/messages", "query", "sort_by", True, '"id:asc"')
    record = ledger.snapshot()
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["CoverageLedger", "CoverageRecord", "ParamCount"]

Answer = tuple[str, str, int, str]  # (api, operation label, status, media type)
EventKey = tuple[str, str, int, str, str]  # an answer's key and an event name
ParamKey = tuple[str, str, str, str]  # (api, operation label, location, name); location "body": a field
RuleKey = tuple[str, str, str]  # (api, the rule's pointer in the spec, check)
Provoked = tuple[str, str, str]  # (api, operation label, the documented status the gate aimed at)


@dataclass(frozen=True, slots=True)
class ParamCount:
    """Values one parameter (or body field) was sent with: valid and invalid as its schema judges them,
    requests that left a required one out, and each value of a closed set (enum, boolean) sent."""

    valid: int = 0
    invalid: int = 0
    absent: int = 0
    values: Mapping[str, int] = field(default_factory=dict)  # a value as JSON text -> times sent

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "invalid": self.invalid,
            "absent": self.absent,
            "values": dict(self.values),
        }


def _answer(d: Mapping[str, Any]) -> Answer:
    return (str(d["api"]), str(d["operation"]), int(d["status"]), str(d["media_type"]))


def _row(key: Answer, **more: Any) -> dict[str, Any]:
    api, operation, status, media = key
    return {"api": api, "operation": operation, "status": status, "media_type": media, **more}


@dataclass(frozen=True, slots=True)
class CoverageRecord:
    """Everything one run exercised (see the module docstring)."""

    seen: Mapping[Answer, int] = field(default_factory=dict)
    retried: Mapping[Answer, int] = field(default_factory=dict)  # answers sent again (429, 502-504)
    judged: Mapping[Answer, int] = field(default_factory=dict)  # distinct exchanges a check judged
    judged_by: Mapping[tuple[Answer, str], int] = field(default_factory=dict)  # judgements per check
    events: Mapping[EventKey, int] = field(default_factory=dict)
    parameters: Mapping[ParamKey, ParamCount] = field(default_factory=dict)
    rules: Mapping[RuleKey, int] = field(default_factory=dict)
    provoked: Mapping[Provoked, str] = field(default_factory=dict)  # what was sent to provoke it, and got

    def to_dict(self) -> dict[str, Any]:
        return {
            "answers": [
                _row(
                    k,
                    seen=n,
                    retried=self.retried.get(k, 0),
                    judged=self.judged.get(k, 0),
                    checks={c: m for (a, c), m in sorted(self.judged_by.items()) if a == k},
                )
                for k, n in sorted(self.answers().items())
            ],
            "events": [_row(k[:4], event=k[4], seen=n) for k, n in sorted(self.events.items())],
            "parameters": [
                {"api": a, "operation": o, "location": loc, "name": name, **c.to_dict()}
                for (a, o, loc, name), c in sorted(self.parameters.items())
            ],
            "rules": [
                {"api": a, "pointer": p, "check": c, "judged": n}
                for (a, p, c), n in sorted(self.rules.items())
            ],
            "provoked": [
                {"api": a, "operation": o, "status": s, "sent": t}
                for (a, o, s), t in sorted(self.provoked.items())
            ],
        }

    def with_seen(self, answers: Iterable[Answer]) -> CoverageRecord:
        """This record with more answers received (the gate's probes, sent before the suite)."""
        seen = dict(self.seen)
        for key in answers:
            seen[key] = seen.get(key, 0) + 1
        return replace(self, seen=seen)

    def answers(self) -> dict[Answer, int]:
        """Every answer key seen or judged (a judged one the transport did not count: 0 seen)."""
        return {k: self.seen.get(k, 0) for k in {*self.seen, *self.judged}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> CoverageRecord:
        if not data:
            return cls()
        answers = data.get("answers", [])
        return cls(
            seen={_answer(d): int(d["seen"]) for d in answers if int(d["seen"])},
            retried={_answer(d): int(d["retried"]) for d in answers if int(d.get("retried", 0))},
            judged={_answer(d): int(d["judged"]) for d in answers if int(d.get("judged", 0))},
            judged_by={(_answer(d), str(c)): int(n) for d in answers for c, n in d.get("checks", {}).items()},
            events={(*_answer(d), str(d["event"])): int(d["seen"]) for d in data.get("events", [])},
            parameters={
                (str(d["api"]), str(d["operation"]), str(d["location"]), str(d["name"])): ParamCount(
                    int(d["valid"]),
                    int(d["invalid"]),
                    int(d["absent"]),
                    {str(v): int(n) for v, n in d.get("values", {}).items()},
                )
                for d in data.get("parameters", [])
            },
            rules={
                (str(d["api"]), str(d["pointer"]), str(d["check"])): int(d["judged"])
                for d in data.get("rules", [])
            },
            provoked={
                (str(d["api"]), str(d["operation"]), str(d["status"])): str(d["sent"])
                for d in data.get("provoked", [])
            },
        )


class _Param:
    __slots__ = ("absent", "invalid", "valid", "values")

    def __init__(self) -> None:
        self.valid = self.invalid = self.absent = 0
        self.values: dict[str, int] = {}


class CoverageLedger:
    """The counts of one run, safe to feed from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[Answer, int] = {}
        self._retried: dict[Answer, int] = {}
        self._judged: dict[Answer, set[str]] = {}
        self._judged_by: dict[tuple[Answer, str], int] = {}
        self._events: dict[EventKey, int] = {}
        self._params: dict[ParamKey, _Param] = {}
        self._rules: dict[RuleKey, int] = {}
        self._provoked: dict[Provoked, str] = {}

    def received(
        self, api: str, operation: str, status: int, media: str, events: Mapping[str, int] | None = None
    ) -> None:
        """One answer the transport read (``events``: a stream's events by name)."""
        key = (api, operation, status, media)
        with self._lock:
            self._seen[key] = self._seen.get(key, 0) + 1
            for name, n in (events or {}).items():
                ev = (*key, name)
                self._events[ev] = self._events.get(ev, 0) + n

    def retried(self, api: str, operation: str, status: int, media: str) -> None:
        """An answer the transport waited out or sent again (429 with Retry-After, a 502-504)."""
        key = (api, operation, status, media)
        with self._lock:
            self._retried[key] = self._retried.get(key, 0) + 1

    def judged(self, api: str, operation: str, status: int, media: str, exchange: str, check: str) -> None:
        """``check`` judged the exchange ``exchange`` (whose answer had ``status`` and ``media``)."""
        key = (api, operation, status, media)
        with self._lock:
            self._judged.setdefault(key, set()).add(exchange)
            self._judged_by[(key, check)] = self._judged_by.get((key, check), 0) + 1

    def parameter(
        self, api: str, operation: str, location: str, name: str, valid: bool | None, value: str | None = None
    ) -> None:
        """One value sent for a parameter or body field (``valid`` None: a required one left out;
        ``value``: the value as JSON text, when it is one of a closed set)."""
        with self._lock:
            self._count(api, operation, location, name, valid, value)

    def _count(
        self, api: str, operation: str, location: str, name: str, valid: bool | None, value: str | None
    ) -> None:
        p = self._params.get((api, operation, location, name))
        if p is None:
            p = self._params[(api, operation, location, name)] = _Param()
        if valid is None:
            p.absent += 1
        elif valid:
            p.valid += 1
        else:
            p.invalid += 1
        if value is not None:
            p.values[value] = p.values.get(value, 0) + 1

    def values(
        self, api: str, operation: str, values: Iterable[tuple[str, str, bool | None, str | None]]
    ) -> None:
        """The values one request sent: (location, name, valid, closed value) each, as :meth:`parameter`."""
        with self._lock:
            for location, name, valid, value in values:
                self._count(api, operation, location, name, valid, value)

    def rule(self, api: str, pointer: str, check: str) -> None:
        """``check`` judged something by the spec rule at ``pointer``."""
        with self._lock:
            self._rules[(api, pointer, check)] = self._rules.get((api, pointer, check), 0) + 1

    def provoked(self, api: str, operation: str, status: str, sent: str) -> None:
        """The gate sent ``sent`` (what, and what came back) to provoke the documented ``status``."""
        with self._lock:
            self._provoked[(api, operation, status)] = sent

    def snapshot(self) -> CoverageRecord:
        with self._lock:
            return CoverageRecord(
                seen=dict(self._seen),
                retried=dict(self._retried),
                judged={k: len(v) for k, v in self._judged.items()},
                judged_by=dict(self._judged_by),
                events=dict(self._events),
                parameters={
                    k: ParamCount(p.valid, p.invalid, p.absent, dict(p.values))
                    for k, p in self._params.items()
                },
                rules=dict(self._rules),
                provoked=dict(self._provoked),
            )
