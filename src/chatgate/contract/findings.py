"""What the gate finds, as data: findings, per-check tallies, and the reproducing curl command.

The suite in ``contracts/`` records into a :class:`Ledger`; ``chatgate contract`` reads the ledger back
(``results.json``) and hands it to the reporters. A finding's :attr:`Finding.fingerprint` depends only on
*where* and *what* (API, operation, check, title), never on generated values, so it is stable across
seeds and runs and can be kept in a baseline.

Keys never reach a finding: :func:`curl_command` masks credentials (``Authorization: Bearer ***``,
``X-Api-Key: ***``) and :func:`scrub` removes any known secret from free text.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CHECKS",
    "Finding",
    "Ledger",
    "Tally",
    "curl_command",
    "mask_headers",
    "scrub",
]

# The gate's own checks (schemathesis' built-in checks keep their own names), with what each holds.
CHECKS: dict[str, str] = {
    "schema_validation": "Every response body and every SSE event validates (jsonschema) against the spec; "
    "each violation names its JSON path.",
    "stream_grammar": "message_start, then delta*, then exactly one terminal event (message_end or error), "
    "nothing after it; each event's type equals its name; delta indexes run from 0 without gaps.",
    "stream_mode": "stream: true answers text/event-stream and stream: false (or absent) answers JSON, "
    "whatever Accept says.",
    "stream_equivalence": "The streamed content equals the non-streamed reply to the same input, and the "
    "reply is read back from the listing (read-after-write).",
    "pagination": "rows_per_page respected; pages disjoint and complete; order matches sort_by; totals "
    "consistent; a page past the end is 200 with empty data.",
    "ownership": "One key cannot read another user's messages (403), and a listing holds only its user's.",
    "navigable_read": "At most 20 messages, oldest first, the latest ones; documented envelope on "
    "200/400/401; identifier accepted alike in query, JSON body and urlencoded body.",
    "auth": "Missing or wrong credentials give 401 in the API's error envelope on every operation.",
    "transport": "The response could be read at all (no reset connection, no truncated body).",
    "stateful": "Workflows across operations (schemathesis state machine over the specs' links).",
}

_SECRET_HEADERS = {"authorization", "x-api-key", "cookie", "proxy-authorization"}


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with credentials replaced by ``***`` (the auth scheme is kept)."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower() in _SECRET_HEADERS:
            scheme, sep, _ = value.partition(" ")
            out[name] = f"{scheme} ***" if sep and name.lower() == "authorization" else "***"
        else:
            out[name] = value
    return out


_CURL_SKIP = {"content-length", "accept-encoding", "connection", "user-agent", "host"}


def curl_command(
    method: str, url: str, headers: Mapping[str, str] | None = None, body: bytes | str | None = None
) -> str:
    """A copy-pasteable curl command for one request, with credentials masked."""
    parts = ["curl", "-sS", "-X", method.upper()]
    for name, value in mask_headers(dict(headers or {})).items():
        if name.lower() in _CURL_SKIP:
            continue
        canonical = "-".join(word.capitalize() for word in name.split("-"))
        parts += ["-H", f"{canonical}: {value}"]
    if body:
        text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
        if len(text) > 2000:
            text = text[:2000] + "...(truncated)"
        parts += ["--data-raw", text]
    parts.append(url)
    return " ".join(shlex.quote(p) for p in parts)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (of 4+ characters) replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


@dataclass
class Finding:
    """One way the API broke its contract, with a request that shows it."""

    api: str
    operation: str  # "POST /api/v1.0/chat"
    check: str  # schemathesis check name or one of CHECKS
    title: str  # stable, no generated values: part of the fingerprint
    message: str  # details: expected vs got, JSON paths of violations
    curl: str = ""
    status: int | None = None
    code: str | None = None  # schemathesis failure code (ST1xx) when it comes from schemathesis
    new: bool = True  # False when the baseline already knows it

    @property
    def fingerprint(self) -> str:
        key = "\x1f".join((self.api, self.operation, self.check, self.title))
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "fingerprint": self.fingerprint}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Tally:
    """How one check fared on one operation."""

    cases: int = 0
    failures: int = 0

    @property
    def passed(self) -> bool:
        return self.failures == 0


@dataclass
class Ledger:
    """Everything a run of the suite recorded: tallies per (api, operation, check) and the findings."""

    tallies: dict[tuple[str, str, str], Tally] = field(default_factory=dict)
    requests: dict[tuple[str, str], int] = field(default_factory=dict)  # (api, operation) -> requests sent
    findings: dict[str, Finding] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # suite-level problems (a test that crashed)
    log: list[Finding] = field(default_factory=list)  # every finding recorded, repeats included
    seconds: float = 0.0
    generated: int = 0  # property-based cases generated (per-operation tests)
    generated_digest: str = ""  # chained SHA-256 of those cases: the same seed gives the same digest

    def count(self, api: str, operation: str, check: str, *, failed: bool = False) -> None:
        tally = self.tallies.setdefault((api, operation, check), Tally())
        tally.cases += 1
        if failed:
            tally.failures += 1

    def sent(self, api: str, operation: str) -> None:
        """Count one request sent to ``operation``."""
        self.requests[(api, operation)] = self.requests.get((api, operation), 0) + 1

    def generated_case(self, text: str) -> None:
        """Note one generated case (its method, path, parameters, headers and body, keys left out)."""
        self.generated += 1
        self.generated_digest = hashlib.sha256(f"{self.generated_digest}\n{text}".encode()).hexdigest()

    def add(self, finding: Finding) -> None:
        """Record a finding (counted as a failed case); the last one seen per fingerprint is kept."""
        self.count(finding.api, finding.operation, finding.check, failed=True)
        self.findings[finding.fingerprint] = finding
        self.log.append(finding)

    def write(self, path: Path) -> None:
        data = {
            "tallies": [
                {"api": a, "operation": o, "check": c, "cases": t.cases, "failures": t.failures}
                for (a, o, c), t in sorted(self.tallies.items())
            ],
            "requests": [
                {"api": a, "operation": o, "count": n} for (a, o), n in sorted(self.requests.items())
            ],
            "findings": [f.to_dict() for f in self.findings.values()],
            "errors": self.errors,
            "seconds": self.seconds,
            "generated": self.generated,
            "generated_digest": self.generated_digest,
        }
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Ledger:
        data = json.loads(path.read_text(encoding="utf-8"))
        ledger = cls(
            errors=list(data.get("errors", [])),
            seconds=float(data.get("seconds", 0.0)),
            generated=int(data.get("generated", 0)),
            generated_digest=str(data.get("generated_digest", "")),
        )
        for t in data.get("tallies", []):
            ledger.tallies[(t["api"], t["operation"], t["check"])] = Tally(t["cases"], t["failures"])
        for r in data.get("requests", []):
            ledger.requests[(r["api"], r["operation"])] = int(r["count"])
        for f in data.get("findings", []):
            finding = Finding.from_dict(f)
            ledger.findings[finding.fingerprint] = finding
        return ledger
