"""What the gate found, as immutable data: problems, findings and their examples, per-check verdicts.

The path is one way: the suite's checks return :class:`Problem` values for each response they judge; the
suite's ledger (:mod:`chatgate.gate.ledger`) turns them into :class:`Finding` values and tallies; the
runner returns them in a :class:`~chatgate.gate.result.GateResult`; reporters render that result.

A finding's :attr:`Finding.fingerprint` is API + operation + check + a normalised *signature* of the
violation (status code, the JSON pointer of the violated schema keyword, the event name...), never a
generated value, so it is stable across seeds and runs and two different violations never share one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "MAX_EXAMPLES_PER_FINDING",
    "Agreeing",
    "CheckStatus",
    "CheckVerdict",
    "Example",
    "Finding",
    "Problem",
    "SpecLocation",
    "Tally",
    "Traffic",
    "fingerprint_of",
    "legacy_fingerprint_of",
    "mask_headers",
]

MAX_EXAMPLES_PER_FINDING = 3

CheckStatus = Literal["passed", "failed", "not_run"]

# HTTP's own credential headers; a key in any other header (an apiKey scheme's) is replaced wherever it
# appears by the suite, which knows every key it sends (contracts.gate.Gate.scrub).
_SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_KEY_HEADERS = frozenset({"authorization"})


def mask_headers(
    headers: Mapping[str, str], extra: frozenset[str] = frozenset(), *, keys_referenced: bool = False
) -> dict[str, str]:
    """A copy of ``headers`` with credentials replaced by ``***`` (an Authorization scheme is kept).

    ``extra``: more header names (lower case) to mask, e.g. secret-looking ``-H`` headers.
    ``keys_referenced``: the run's keys were already replaced by references to their variables (the
    suite does so), so the headers that carry keys are shown as sent: a wrong key the check sent on
    purpose is what reproduces its finding.
    """
    out: dict[str, str] = {}
    masked = _SECRET_HEADERS - _KEY_HEADERS if keys_referenced else _SECRET_HEADERS
    for name, value in headers.items():
        lower = name.lower()
        if lower in masked or lower in extra:
            scheme, sep, _ = value.partition(" ")
            out[name] = f"{scheme} ***" if sep and lower == "authorization" else "***"
        else:
            out[name] = value
    return out


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with one response (or one set of responses), as a check judged it.

    ``title`` is stable (no generated values); ``signature`` tells two violations apart (defaults to the
    title); ``spec_pointer`` is the JSON pointer into the spec of the violated schema keyword or rule, when
    known; ``defect`` names the defect it shows when other problems (of this check or another) can show the
    same one (e.g. every violation of one schema object at one place of a body; credentials not enforced,
    whichever credentials showed it): the ledger makes one finding of them. ``fields``: the values it is
    about (a schema violation: the wrong, missing or unexpected value; a walk's misorder: the sort field),
    so a judgement over many answers joins only a defect of a value it read.
    """

    title: str
    message: str
    signature: str = ""
    spec_pointer: str | None = None
    defect: str | None = None
    fields: tuple[str, ...] = ()  # JSON paths (indexes generalised) of the values the problem is about

    @property
    def key(self) -> str:
        return self.signature or self.title


@dataclass(frozen=True, slots=True)
class Example:
    """One request that shows a finding, with credentials already masked, and what came back.

    ``body`` is the whole request body as sent (text; reporters move long ones into a file);
    ``response`` the start of what came back, decoded (a stalled stream's partial events, a 500's page).
    """

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    status: int | None = None
    detail: str = ""
    response: str = ""
    exchange: str = ""  # identity of the HTTP exchange judged (request and whole answer): checks that
    # judged the same exchange saw the same defect (:mod:`chatgate.gate.ledger` groups them)
    response_type: str = ""  # the answer's media type (a stream's reproducer reads it unbuffered)

    @property
    def size(self) -> int:
        return len(self.url) + len(self.body)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "headers": [list(h) for h in self.headers],
            "body": self.body,
            "status": self.status,
            "detail": self.detail,
            "response": self.response,
            "exchange": self.exchange,
            "response_type": self.response_type,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Example:
        return cls(
            method=str(data["method"]),
            url=str(data["url"]),
            headers=tuple((str(k), str(v)) for k, v in data.get("headers", [])),
            body=str(data.get("body", "")),
            status=data.get("status"),
            detail=str(data.get("detail", "")),
            response=str(data.get("response", "")),
            exchange=str(data.get("exchange", "")),
            response_type=str(data.get("response_type", "")),
        )


def fingerprint_of(api: str, operation: str, check: str, signature: str) -> str:
    key = "\x1f".join((api, operation, check, signature))
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def legacy_fingerprint_of(api: str, operation: str, check: str, title: str) -> str:
    """The fingerprint of baselines written before signatures (v1): API, operation, check and title."""
    return fingerprint_of(api, operation, check, title)


@dataclass(frozen=True, slots=True)
class Agreeing:
    """Another check that judged the same exchanges and saw the same defect (listed under the finding
    its primary check makes: one root cause, one finding)."""

    check: str
    title: str
    signature: str
    fingerprint: str
    spec_pointer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "title": self.title, "signature": self.signature,
                "fingerprint": self.fingerprint, "spec_pointer": self.spec_pointer}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Agreeing:
        return cls(str(data["check"]), str(data["title"]), str(data["signature"]), str(data["fingerprint"]),
                   data.get("spec_pointer"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Finding:
    """One distinct defect of the API, with up to three examples that show it.

    ``check`` is the primary check (the first of :data:`chatgate.gate.catalogue.PRECEDENCE` among those
    that saw it); ``agreeing`` the other checks that judged the same exchanges and saw it too. Its
    ``fingerprint`` is the primary's; :attr:`fingerprints` adds every agreeing check's, so a baseline entry
    written for any of them still matches. ``occurrences`` counts the distinct exchanges that showed it
    (``k`` of the ``n`` the primary check judged on the operation)."""

    api: str
    operation: str  # "POST /api/v1.0/chat", or "(suite)" for a suite that broke
    check: str
    title: str
    signature: str
    message: str
    examples: tuple[Example, ...] = ()
    occurrences: int = 1
    status: int | None = None
    code: str | None = None  # schemathesis failure code (ST1xx) when it comes from schemathesis
    spec_pointer: str | None = None
    agreeing: tuple[Agreeing, ...] = ()
    intermittent: bool = False  # replaying the same idempotent request passed

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.api, self.operation, self.check, self.signature)

    @property
    def fingerprints(self) -> frozenset[str]:
        """The primary's fingerprint and every agreeing check's."""
        return frozenset({self.fingerprint, *(a.fingerprint for a in self.agreeing)})

    @property
    def legacy_fingerprint(self) -> str:
        return legacy_fingerprint_of(self.api, self.operation, self.check, self.title)

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "api": self.api,
            "operation": self.operation,
            "check": self.check,
            "title": self.title,
            "signature": self.signature,
            "message": self.message,
            "examples": [e.to_dict() for e in self.examples],
            "occurrences": self.occurrences,
            "status": self.status,
            "code": self.code,
            "spec_pointer": self.spec_pointer,
            "agreeing": [a.to_dict() for a in self.agreeing],
            "intermittent": self.intermittent,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            api=str(data["api"]),
            operation=str(data["operation"]),
            check=str(data["check"]),
            title=str(data["title"]),
            signature=str(data.get("signature") or data["title"]),
            message=str(data.get("message", "")),
            examples=tuple(Example.from_dict(e) for e in data.get("examples", [])),
            occurrences=int(data.get("occurrences", 1)),
            status=data.get("status"),
            code=data.get("code"),
            spec_pointer=data.get("spec_pointer"),
            agreeing=tuple(Agreeing.from_dict(a) for a in data.get("agreeing", [])),
            intermittent=bool(data.get("intermittent", False)),
        )


@dataclass(frozen=True, slots=True)
class Tally:
    """How one check fared on one operation: cases it judged, cases that failed, and its wall time."""

    cases: int = 0
    failures: int = 0
    seconds: float = 0.0

    def plus(self, other: Tally) -> Tally:
        return Tally(self.cases + other.cases, self.failures + other.failures, self.seconds + other.seconds)


@dataclass(frozen=True, slots=True)
class Traffic:
    """What one API cost: every request the run sent (probes included) and messages created."""

    requests: int = 0
    writes: int = 0

    def plus(self, other: Traffic) -> Traffic:
        return Traffic(self.requests + other.requests, self.writes + other.writes)


@dataclass(frozen=True, slots=True)
class CheckVerdict:
    """One check over the whole run: ``passed`` (judged n cases, none failed), ``failed`` or ``not_run``."""

    name: str
    status: CheckStatus
    cases: int
    failures: int
    description: str
    not_run_reason: str | None = None
    seconds: float = 0.0
    apis: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class SpecLocation:
    """Where a finding sits in its spec: the file (relative to the working directory when inside it), the
    operation's line, and the violated schema's line where known."""

    file: str
    line: int
    schema_line: int | None = None
    relative: bool = True  # ``file`` is relative to the user's repository (SARIF %SRCROOT%)
    in_tree: bool = True  # False: a spec read from git (``git:REV:path``), not a file of the working tree
