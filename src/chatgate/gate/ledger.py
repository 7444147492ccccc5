"""The suite's recording side: one ledger per pytest session, safe to call from several threads.

Every check records each case it *judged* (never one it skipped) with the problems it found; the HTTP
transport records every request it sent. At the end of the session the ledger is written as
``results.json`` and ``chatgate contract`` reads it back as an immutable :class:`SuiteRecord`::

    ledger = Ledger()
    ledger.judged("nara", "GET /api/v1.0/chat/messages", "pagination", [Problem("pages overlap", "...")],
                  test="contracts/test_nara_listing.py::test_pagination_walk[id:asc]")
    ledger.sent("nara", "GET /api/v1.0/chat/messages", write=False)
    record = ledger.snapshot()
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from chatgate.gate.catalogue import JUDGEMENTS, precedence
from chatgate.gate.coverage_record import CoverageLedger, CoverageRecord
from chatgate.gate.model import MAX_EXAMPLES_PER_FINDING, Agreeing, Example, Finding, Problem, Tally, Traffic

__all__ = ["Ledger", "SuiteRecord"]

Key = tuple[str, str, str]  # (api, operation, check)
NoteKey = tuple[str, str, str, str]  # (kind, api, operation, detail)


@dataclass(frozen=True, slots=True)
class SuiteRecord:
    """Everything one run of the suite recorded, read back by the gate's runner."""

    tallies: Mapping[Key, Tally] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    traffic: Mapping[tuple[str, str], Traffic] = field(default_factory=dict)  # (api, operation)
    not_run: Mapping[str, str] = field(default_factory=dict)  # check -> why it could not run
    errors: tuple[str, ...] = ()
    generated: int = 0
    generated_digest: str = ""
    seconds: float = 0.0
    notes: Mapping[NoteKey, int] = field(default_factory=dict)  # what the transport did (see Ledger.note)
    incomplete: tuple[str, ...] = ()  # tests --max-time stopped before their end
    coverage: CoverageRecord = field(default_factory=CoverageRecord)  # what the run exercised

    @property
    def complete(self) -> bool:
        return not self.incomplete

    def to_json(self) -> str:
        data = {
            "tallies": [
                {
                    "api": a,
                    "operation": o,
                    "check": c,
                    "cases": t.cases,
                    "failures": t.failures,
                    "seconds": round(t.seconds, 6),
                }
                for (a, o, c), t in sorted(self.tallies.items())
            ],
            "traffic": [
                {"api": a, "operation": o, "requests": t.requests, "writes": t.writes}
                for (a, o), t in sorted(self.traffic.items())
            ],
            "findings": [f.to_dict() for f in self.findings],
            "not_run": dict(self.not_run),
            "errors": list(self.errors),
            "generated": self.generated,
            "generated_digest": self.generated_digest,
            "seconds": self.seconds,
            "notes": [
                {"kind": k, "api": a, "operation": o, "detail": d, "count": n}
                for (k, a, o, d), n in sorted(self.notes.items())
            ],
            "incomplete": list(self.incomplete),
            "coverage": self.coverage.to_dict(),
        }
        return json.dumps(data, indent=1)

    @classmethod
    def from_json(cls, text: str) -> SuiteRecord:
        data = json.loads(text)
        return cls(
            tallies={
                (t["api"], t["operation"], t["check"]): Tally(
                    int(t["cases"]), int(t["failures"]), float(t.get("seconds", 0.0))
                )
                for t in data.get("tallies", [])
            },
            traffic={
                (t["api"], t["operation"]): Traffic(int(t["requests"]), int(t["writes"]))
                for t in data.get("traffic", [])
            },
            findings=tuple(Finding.from_dict(f) for f in data.get("findings", [])),
            not_run={str(k): str(v) for k, v in data.get("not_run", {}).items()},
            errors=tuple(str(e) for e in data.get("errors", [])),
            generated=int(data.get("generated", 0)),
            generated_digest=str(data.get("generated_digest", "")),
            seconds=float(data.get("seconds", 0.0)),
            notes={
                (str(n["kind"]), str(n["api"]), str(n["operation"]), str(n["detail"])): int(n["count"])
                for n in data.get("notes", [])
            },
            incomplete=tuple(str(t) for t in data.get("incomplete", [])),
            coverage=CoverageRecord.from_dict(data.get("coverage")),
        )


@dataclass(slots=True)
class _Found:
    """A finding being built: its first problem, and its smallest distinct examples."""

    api: str
    operation: str
    check: str
    problem: Problem
    status: int | None
    code: str | None
    examples: list[Example] = field(default_factory=list)
    occurrences: int = 0
    exchanges: set[str] = field(default_factory=set)  # the exchanges it was seen on
    read: set[str] = field(default_factory=set)  # other exchanges its judgements read (a walk's pages)

    def add(self, example: Example | None, message: str) -> None:
        """One more occurrence. The examples kept, and the message shown when there is none, are chosen
        by a total order (smallest first), never by arrival: concurrent runs report the same finding."""
        self.occurrences += 1
        if example is not None and example.exchange:
            self.exchanges.add(example.exchange)
        if example is None:
            if not self.examples and message < self.problem.message:
                self.problem = replace(self.problem, message=message)
            return
        if any(_same(example, e) for e in self.examples):
            return
        self.examples.append(example)
        self.examples.sort(key=_order)
        del self.examples[MAX_EXAMPLES_PER_FINDING:]

    def freeze(self) -> Finding:
        first = self.examples[0] if self.examples else None
        occurrences = len(self.exchanges) if self.exchanges else self.occurrences
        return Finding(
            api=self.api,
            operation=self.operation,
            check=self.check,
            title=self.problem.title,
            signature=self.problem.key,
            message=first.detail if first is not None and first.detail else self.problem.message,
            examples=tuple(self.examples),
            occurrences=occurrences,
            status=first.status if first is not None and first.status else self.status,
            code=self.code,
            spec_pointer=self.problem.spec_pointer,
        )


def _finding_order(f: Finding) -> tuple[str, str, str, str]:
    return (f.api, f.operation, f.check, f.signature)


@dataclass(slots=True)
class _Group:
    """Findings of several checks on the same exchanges: one defect, its primary check first."""

    primary: _Found
    members: list[_Found] = field(default_factory=list)
    exchanges: set[str] = field(default_factory=set)
    defects: set[str | None] = field(default_factory=set)
    fields: set[str] = field(default_factory=set)

    def freeze(self) -> Finding:
        first = self.primary.freeze()
        agreeing = tuple(
            Agreeing(m.check, m.problem.title, m.problem.key, m.freeze().fingerprint, m.problem.spec_pointer)
            for m in self.members
        )
        occurrences = len(self.exchanges) if self.exchanges else first.occurrences
        return replace(first, agreeing=agreeing, occurrences=occurrences)


def _related(a: Iterable[str], b: Iterable[str]) -> bool:
    """Whether two sets of JSON paths name a value in common (one path equal to, or inside, the other)."""
    return any(
        x == y or x.startswith((y + ".", y + "[")) or y.startswith((x + ".", x + "[")) for x in a for y in b
    )


def _joins(group: _Group, f: _Found) -> bool:
    """Whether ``f`` shows the defect ``group`` is: the same named defect; an exchange both were seen on,
    judged by another check (or, for a check whose problems on one exchange are one defect, by the same
    one); or, for a judgement over many answers (a walk), an answer it read where the group's defect is
    a value it is about (a walk misordered by ids of the wrong type, not by an unrelated extra field)."""
    if (group.primary.api, group.primary.operation) != (f.api, f.operation):
        return False
    if f.problem.defect is not None and f.problem.defect in group.defects:
        return True
    if group.exchanges & f.exchanges:
        return group.primary.check != f.check or f.check in JUDGEMENTS
    return (
        group.primary.check != f.check
        and bool(group.exchanges & f.read)
        and _related(f.problem.fields, group.fields)
    )


def group_findings(found: Iterable[_Found]) -> list[Finding]:
    """One finding per defect (see :func:`_joins`): the first in
    :data:`~chatgate.gate.catalogue.PRECEDENCE` of the checks that saw it is primary, the others agree;
    a finding that could join several joins the one it shares most exchanges with."""
    ordered = sorted(found, key=lambda f: (f.api, f.operation, precedence(f.check), f.problem.key))
    groups: list[_Group] = []
    for f in ordered:
        near = [g for g in groups if _joins(g, f)]
        if not near:
            groups.append(_Group(f, [], set(f.exchanges), {f.problem.defect} - {None}, set(f.problem.fields)))
            continue
        same = [g for g in near if f.problem.defect is not None and f.problem.defect in g.defects]
        best = same[0] if same else max(near, key=lambda g: len(g.exchanges & (f.exchanges | f.read)))
        best.members.append(f)
        best.exchanges |= f.exchanges
        best.fields |= set(f.problem.fields)
        if f.problem.defect is not None:
            best.defects.add(f.problem.defect)
    return [g.freeze() for g in groups]


def _same(a: Example, b: Example) -> bool:
    return (a.method, a.url, a.body) == (b.method, b.url, b.body)


def _order(e: Example) -> tuple[int, str, str, str, str, int, str]:
    return (e.size, e.url, e.body, e.method, repr(e.headers), e.status or 0, e.detail)


class Ledger:
    """Tallies per (API, operation, check), findings by fingerprint, traffic per (API, operation)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tallies: dict[Key, Tally] = {}
        self._found: dict[str, _Found] = {}
        self._traffic: dict[tuple[str, str], Traffic] = {}
        self._not_run: dict[str, str] = {}
        self._errors: list[str] = []
        self._by_test: dict[str, list[str]] = {}  # fingerprints each test recorded (repeats included)
        self._generated: dict[str, tuple[int, str]] = {}  # per operation: cases, digest
        self._notes: dict[NoteKey, int] = {}
        self._incomplete: list[str] = []
        self.coverage = CoverageLedger()
        self.seconds = 0.0

    def judged(
        self,
        api: str,
        operation: str,
        check: str,
        problems: Iterable[Problem] = (),
        *,
        example: Example | None = None,
        seconds: float = 0.0,
        code: str | None = None,
        test: str = "",
        exchanges: Iterable[str] = (),
        rules: Iterable[str] = (),
    ) -> bool:
        """Record one case ``check`` judged: a pass, or one finding per distinct problem. True: passed.

        ``test``: the test that judged it (its findings are listed when it fails); ``exchanges``: the other
        exchanges the judgement read (the pages of a walk, a read-back's listing) besides ``example``'s;
        ``rules``: the pointers of the spec rules it applied (coverage counts what judged each rule)."""
        found = list(problems)
        also = {e for e in exchanges if e}
        if example is not None and example.status and example.exchange:
            self.coverage.judged(
                api, operation, example.status, example.response_type, example.exchange, check
            )
        for pointer in rules:
            self.coverage.rule(api, pointer, check)
        with self._lock:
            key = (api, operation, check)
            self._tallies[key] = self._tallies.get(key, Tally()).plus(Tally(1, 1 if found else 0, seconds))
            for problem in found:
                detail = replace(example, detail=problem.message) if example is not None else None
                entry = _Found(api, operation, check, problem, example.status if example else None, code)
                fingerprint = entry.freeze().fingerprint
                entry = self._found.setdefault(fingerprint, entry)
                entry.add(detail, problem.message)
                entry.read |= also
                self._by_test.setdefault(test, []).append(fingerprint)
        return not found

    def sent(self, api: str, operation: str, *, write: bool) -> None:
        """Count one request the transport sent (``write``: it created a message)."""
        with self._lock:
            key = (api, operation)
            self._traffic[key] = self._traffic.get(key, Traffic()).plus(Traffic(1, int(write)))

    def not_run(self, check: str, reason: str) -> None:
        with self._lock:
            self._not_run.setdefault(check, reason)

    def error(self, text: str) -> None:
        """A suite-level problem (a test that crashed): it fails the gate rather than passing silently."""
        with self._lock:
            self._errors.append(text)

    def generated_cases(self, operation: str, texts: Iterable[str]) -> None:
        """Note the cases generated for one operation, in order (each its method, path, parameters,
        headers and body, keys left out). The run's digest combines the operations' in label order, so
        it does not depend on which operation was generated first."""
        items = list(texts)
        digest = hashlib.sha256("\n".join(items).encode()).hexdigest()
        with self._lock:
            self._generated[operation] = (len(items), digest)

    def note(self, kind: str, api: str, operation: str, detail: str) -> None:
        """Count something the transport did that is not a finding (``rate_limited``, ``transient``,
        ``flaky``, ``capped``)."""
        with self._lock:
            key = (kind, api, operation, detail)
            self._notes[key] = self._notes.get(key, 0) + 1

    def incomplete(self, test: str) -> None:
        """``test`` was stopped by the run's --max-time before its end."""
        with self._lock:
            self._incomplete.append(test)

    def findings_of(self, test: str) -> list[Finding]:
        """The findings ``test`` recorded, in the order it first recorded them."""
        with self._lock:
            fingerprints = list(dict.fromkeys(self._by_test.get(test, [])))
            return [self._found[f].freeze() for f in fingerprints]

    def _digest(self) -> tuple[int, str]:
        if not self._generated:
            return 0, ""
        parts = [f"{op} {n} {d}" for op, (n, d) in sorted(self._generated.items())]
        return sum(n for n, _ in self._generated.values()), hashlib.sha256(
            "\n".join(parts).encode()
        ).hexdigest()

    def snapshot(self) -> SuiteRecord:
        with self._lock:
            generated, digest = self._digest()
            return SuiteRecord(
                tallies=dict(self._tallies),
                findings=tuple(sorted(group_findings(self._found.values()), key=_finding_order)),
                traffic=dict(self._traffic),
                not_run=dict(self._not_run),
                errors=tuple(self._errors),
                generated=generated,
                generated_digest=digest,
                seconds=self.seconds,
                notes=dict(self._notes),
                incomplete=tuple(sorted(self._incomplete)),
                coverage=self.coverage.snapshot(),
            )

    def write(self, path: Path) -> None:
        path.write_text(self.snapshot().to_json(), encoding="utf-8")
