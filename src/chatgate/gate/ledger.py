"""The suite's recording side: one ledger per pytest session, safe to call from several threads.

Every check records each case it *judged* (never one it skipped) with the problems it found; the HTTP
transport records every request it sent. At the end of the session the ledger is written as
``results.json`` and ``chatgate contract`` reads it back as an immutable :class:`SuiteRecord`::

    ledger = Ledger()
    ledger.judged("nara", "GET /api/v1.0/chat/messages", "pagination", [Problem("pages overlap", "...")])
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

from chatgate.gate.model import MAX_EXAMPLES_PER_FINDING, Example, Finding, Problem, Tally, Traffic

__all__ = ["Ledger", "SuiteRecord"]

Key = tuple[str, str, str]  # (api, operation, check)


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

    def add(self, example: Example | None) -> None:
        self.occurrences += 1
        if example is None or any(_same(example, e) for e in self.examples):
            return
        self.examples.append(example)
        self.examples.sort(key=lambda e: e.size)
        del self.examples[MAX_EXAMPLES_PER_FINDING:]

    def freeze(self) -> Finding:
        first = self.examples[0] if self.examples else None
        return Finding(
            api=self.api,
            operation=self.operation,
            check=self.check,
            title=self.problem.title,
            signature=self.problem.key,
            message=first.detail if first is not None and first.detail else self.problem.message,
            examples=tuple(self.examples),
            occurrences=self.occurrences,
            status=first.status if first is not None and first.status else self.status,
            code=self.code,
            spec_pointer=self.problem.spec_pointer,
        )


def _same(a: Example, b: Example) -> bool:
    return (a.method, a.url, a.body) == (b.method, b.url, b.body)


class Ledger:
    """Tallies per (API, operation, check), findings by fingerprint, traffic per (API, operation)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tallies: dict[Key, Tally] = {}
        self._found: dict[str, _Found] = {}
        self._traffic: dict[tuple[str, str], Traffic] = {}
        self._not_run: dict[str, str] = {}
        self._errors: list[str] = []
        self._log: list[str] = []  # fingerprints in the order they were recorded (repeats included)
        self._generated = 0
        self._digest = ""
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
    ) -> bool:
        """Record one case ``check`` judged: a pass, or one finding per distinct problem. True: passed."""
        found = list(problems)
        with self._lock:
            key = (api, operation, check)
            self._tallies[key] = self._tallies.get(key, Tally()).plus(Tally(1, 1 if found else 0, seconds))
            for problem in found:
                detail = replace(example, detail=problem.message) if example is not None else None
                entry = _Found(api, operation, check, problem, example.status if example else None, code)
                fingerprint = entry.freeze().fingerprint
                entry = self._found.setdefault(fingerprint, entry)
                entry.add(detail)
                self._log.append(fingerprint)
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

    def generated_case(self, text: str) -> None:
        """Note one generated case (its method, path, parameters, headers and body, keys left out)."""
        with self._lock:
            self._generated += 1
            self._digest = hashlib.sha256(f"{self._digest}\n{text}".encode()).hexdigest()

    def mark(self) -> int:
        """A position in the log of findings (see :meth:`findings_since`)."""
        with self._lock:
            return len(self._log)

    def findings_since(self, mark: int) -> list[Finding]:
        with self._lock:
            fingerprints = list(dict.fromkeys(self._log[mark:]))
            return [self._found[f].freeze() for f in fingerprints]

    def snapshot(self) -> SuiteRecord:
        with self._lock:
            return SuiteRecord(
                tallies=dict(self._tallies),
                findings=tuple(f.freeze() for f in self._found.values()),
                traffic=dict(self._traffic),
                not_run=dict(self._not_run),
                errors=tuple(self._errors),
                generated=self._generated,
                generated_digest=self._digest,
                seconds=self.seconds,
            )

    def write(self, path: Path) -> None:
        path.write_text(self.snapshot().to_json(), encoding="utf-8")
