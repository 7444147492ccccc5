"""Spec coverage of a gate run, as immutable data: what it exercised, and what it never tested.

A green gate says "nothing failed", not "everything was tried". Every item the spec documents is
*covered* (the run exercised it), *never* (in the run's scope, not exercised: with the reason) or
*excluded* (out of the run's scope: ``--include-*``, ``--checks``, ``--read-only``, ``--mode``). Four kinds:

- ``responses``: each documented (operation, status, media type): ``seen`` answers received (every
  attempt: retries, also counted as ``retried``, and the checks' own probes included), ``judged`` the
  ones a check judged (and per check); answers with an undocumented status or media type are listed
  too (``documented`` false), outside the shares;
- ``events``: each documented event of each streamed response, ``seen`` as the wire carried them;
- ``parameters``: each parameter and body field: ``valid`` and ``invalid`` values sent (as the
  parameter's own schema judges the value sent; ``invalid`` counted only where a value can be), requests
  that left a required one out (``absent``), and for a closed set (enum, boolean) each value sent;
- ``rules``: each spec rule (stream, read-back per answer form, pagination, ownership, window): how often
  each check judged by it.

``share`` is the covered fraction per API and kind (excluded items left out); ``--min-coverage`` floors
apply per API (:func:`parse_floors`, :meth:`Coverage.shortfalls`). A shortfall is not a finding. The
baseline keeps a :meth:`Coverage.record`, so a report shows the change since (:func:`against`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from chatgate.errors import UsageError

__all__ = [
    "KINDS",
    "VERSION",
    "Coverage",
    "EventEntry",
    "Item",
    "ParameterEntry",
    "ResponseEntry",
    "RuleEntry",
    "Share",
    "against",
    "parse_floors",
]

VERSION = 1
KINDS = ("responses", "events", "parameters", "rules")
State = Literal["covered", "never", "excluded"]
_FLOOR = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*")


@dataclass(frozen=True, slots=True)
class Item:
    """One documented thing a run may exercise, and whether it did."""

    kind: str
    api: str
    operation: str  # operationId
    what: str  # "413 application/json", "event error", "sort_by \"id:asc\"", "pagination rule"
    state: State
    reason: str = ""  # never / excluded: why

    @property
    def key(self) -> str:
        """A stable name of the item (the baseline compares by it)."""
        return f"{self.kind} {self.api} {self.operation} {self.what}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "api": self.api, "operation": self.operation, "what": self.what,
                "reason": self.reason}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ResponseEntry:
    api: str
    operation: str
    status: int | str  # a documented range or default stays a string ("4XX")
    media_type: str | None  # None: the response documents no body
    documented: bool
    seen: int
    retried: int
    judged: int
    checks: Mapping[str, int]
    item: Item | None  # None: an undocumented answer (not an item of the shares)

    def to_dict(self) -> dict[str, Any]:
        return {
            **_where(self.api, self.operation, self.status, self.media_type),
            "documented": self.documented,
            "seen": self.seen,
            "retried": self.retried,
            "judged": self.judged,
            "checks": dict(self.checks),
            **_state(self.item),
        }


@dataclass(frozen=True, slots=True)
class EventEntry:
    api: str
    operation: str
    status: int | str
    media_type: str
    event: str
    documented: bool
    seen: int
    item: Item | None

    def to_dict(self) -> dict[str, Any]:
        return {
            **_where(self.api, self.operation, self.status, self.media_type),
            "event": self.event,
            "documented": self.documented,
            "seen": self.seen,
            **_state(self.item),
        }


@dataclass(frozen=True, slots=True)
class ParameterEntry:
    api: str
    operation: str
    name: str
    location: str  # query | header | path | cookie | body (a request body field)
    valid: int
    invalid: int
    absent: int
    values: tuple[tuple[str, int], ...]  # each value of a closed set (JSON text) and times sent
    items: tuple[Item, ...]

    def to_dict(self) -> dict[str, Any]:
        states = {i.state for i in self.items}
        state = "never" if "never" in states else "covered" if "covered" in states else "excluded"
        return {
            "api": self.api, "operation": self.operation, "parameter": self.name, "location": self.location,
            "valid": self.valid, "invalid": self.invalid, "absent": self.absent,
            "values": [{"value": v, "sent": n} for v, n in self.values], "state": state,
            "never": [i.what for i in self.items if i.state == "never"],
            "excluded": [i.what for i in self.items if i.state == "excluded"],
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class RuleEntry:
    api: str
    operation: str
    rule: str  # stream | read-back | pagination | ownership | window
    pointer: str
    media_type: str | None  # a read-back rule's answer form
    judged: int
    checks: Mapping[str, int]
    item: Item

    def to_dict(self) -> dict[str, Any]:
        return {"api": self.api, "operation": self.operation, "rule": self.rule, "pointer": self.pointer,
                "media_type": self.media_type, "judged": self.judged, "checks": dict(self.checks),
                **_state(self.item)}  # fmt: skip


def _where(api: str, operation: str, status: int | str, media: str | None) -> dict[str, Any]:
    return {"api": api, "operation": operation, "status": status, "media_type": media}


def _state(item: Item | None) -> dict[str, Any]:
    if item is None:
        return {"state": "undocumented", "reason": None}
    return {"state": item.state, "reason": item.reason or None}


@dataclass(frozen=True, slots=True)
class Share:
    covered: int
    total: int

    @property
    def fraction(self) -> float | None:
        return self.covered / self.total if self.total else None

    def text(self) -> str:
        f = self.fraction
        return "n/a (nothing in scope)" if f is None else f"{f:.0%} ({self.covered}/{self.total})"


@dataclass(frozen=True)
class Coverage:
    """Every documented item of the run's APIs, and what the run did with it (module docstring)."""

    apis: tuple[str, ...]
    responses: tuple[ResponseEntry, ...] = ()
    events: tuple[EventEntry, ...] = ()
    parameters: tuple[ParameterEntry, ...] = ()
    rules: tuple[RuleEntry, ...] = ()
    checks: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # api -> check -> judged

    def items(self) -> list[Item]:
        out: list[Item] = [e.item for e in self.responses if e.item is not None]
        out += [e.item for e in self.events if e.item is not None]
        out += [i for p in self.parameters for i in p.items] + [r.item for r in self.rules]
        return out

    def share(self) -> dict[str, dict[str, Share]]:
        """Per API and kind, the covered items of those in scope."""
        out = {api: {kind: Share(0, 0) for kind in KINDS} for api in self.apis}
        for i in self.items():
            if i.state != "excluded" and i.api in out:
                s = out[i.api][i.kind]
                out[i.api][i.kind] = Share(s.covered + (i.state == "covered"), s.total + 1)
        return out

    def never(self) -> list[Item]:
        return [i for i in self.items() if i.state == "never"]

    def shortfalls(self, floors: Mapping[str, float]) -> list[str]:
        """What is below a floor: one line per API and kind, with what was never exercised."""
        out = []
        for api, kinds in self.share().items():
            for kind, floor in floors.items():
                s = kinds[kind]
                if s.fraction is None or s.fraction >= floor - 1e-9:
                    continue
                missing = [f"{i.operation} {i.what}" for i in self.never() if i.api == api and i.kind == kind]
                shown = "; ".join(missing[:8]) + (
                    f"; and {len(missing) - 8} more" if len(missing) > 8 else ""
                )
                out.append(f"{api} {kind} {s.text()} < {floor:.0%}: never exercised: {shown}")
        return out

    def record(self) -> dict[str, Any]:
        """What a baseline keeps: the shares and the items never exercised."""
        share = self.share()
        return {
            "version": VERSION,
            "share": {
                a: {k: {"covered": s.covered, "total": s.total} for k, s in ks.items()}
                for a, ks in share.items()
            },
            "never": sorted(i.key for i in self.never()),
        }

    def to_dict(self, baseline: Mapping[str, Any] | None = None) -> dict[str, Any]:
        share = self.share()
        return {
            "version": VERSION,
            "share": {
                a: {
                    k: {"covered": s.covered, "total": s.total, "fraction": _round(s.fraction)}
                    for k, s in ks.items()
                }
                for a, ks in share.items()
            },
            "responses": [e.to_dict() for e in self.responses],
            "events": [e.to_dict() for e in self.events],
            "parameters": [p.to_dict() for p in self.parameters],
            "rules": [r.to_dict() for r in self.rules],
            "checks": [
                {"api": a, "check": c, "judged": n} for a, cs in self.checks.items() for c, n in cs.items()
            ],
            "never": [i.to_dict() for i in self.never()],
            "excluded": [i.to_dict() for i in self.items() if i.state == "excluded"],
            "baseline": against(self, baseline) if baseline is not None else None,
        }


def _round(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def against(now: Coverage, before: Mapping[str, Any]) -> dict[str, Any]:
    """The change since a baseline's coverage record: per API and kind the fraction then and now, and the
    items never exercised now that were not then (a drop made visible in review)."""
    raw = before.get("share")
    then: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    out: dict[str, Any] = {}
    for api, kinds in now.share().items():
        old: Mapping[str, Any] = then[api] if isinstance(then.get(api), Mapping) else {}
        for kind, s in kinds.items():
            o = old.get(kind) if isinstance(old.get(kind), Mapping) else None
            was = Share(int(o.get("covered", 0)), int(o.get("total", 0))).fraction if o else None
            change = None if was is None or s.fraction is None else s.fraction - was
            out.setdefault(api, {})[kind] = {
                "before": _round(was),
                "now": _round(s.fraction),
                "change": _round(change),
            }
    never_then = set(before.get("never") or [])
    newly = [i.to_dict() for i in now.never() if i.key not in never_then]
    return {"share": out, "newly_never": newly}


def parse_floors(text: str) -> dict[str, float]:
    """``responses=80%,events=100%`` (or ``0.8``) -> {kind: fraction}; UsageError (exit 2) on an unknown kind
    or a malformed value."""
    floors: dict[str, float] = {}
    for part in (p for p in text.split(",") if p.strip()):
        kind, sep, raw = part.partition("=")
        kind = kind.strip()
        if kind not in KINDS:
            raise UsageError(f"--min-coverage: unknown kind {kind!r} in {text!r}; kinds: {', '.join(KINDS)}")
        m = _FLOOR.fullmatch(raw)
        value = float(m.group(1)) / (100 if m.group(2) else 1) if sep and m else -1.0
        if not 0.0 <= value <= 1.0:
            raise UsageError(f"--min-coverage: {part.strip()!r}: expected KIND=80% or KIND=0.8 (0 to 100%)")
        floors[kind] = value
    if not floors:
        raise UsageError(f"--min-coverage: no floor in {text!r} (e.g. responses=80%,events=100%)")
    return floors
