"""One gate run as an immutable value: what the runner returns and every reporter renders.

result = run_gate(GateConfig(apis=("nara",)), run_dir)
result.exit_code                    # 0 conforms, 1 new findings, 3 incomplete without findings
result.checks["pagination"].status  # "passed" | "failed" | "not_run"
result.traffic["nara"].requests     # every request the run sent to Nara (probe included)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chatgate.gate.baseline import BaselineComparison
from chatgate.gate.catalogue import CHECKS, describe
from chatgate.gate.coverage import Coverage
from chatgate.gate.ledger import SuiteRecord
from chatgate.gate.model import CheckStatus, CheckVerdict, Finding, SpecLocation, Tally, Traffic
from chatgate.gate.scope import Scope
from chatgate.gate.settings import Transport

__all__ = ["GateResult", "check_verdicts"]


def check_verdicts(
    tallies: Mapping[tuple[str, str, str], Tally],
    scope: Scope,
    not_run: Mapping[str, str],
    *,
    complete: bool = True,
) -> dict[str, CheckVerdict]:
    """Per check over the run: passed / failed / not_run (with why), in the catalogue's order. In an
    incomplete run (``--max-time``), a check that judged nothing says so."""
    names = list(CHECKS) + sorted({c for _, _, c in tallies} - set(CHECKS))
    out: dict[str, CheckVerdict] = {}
    for name in names:
        total = Tally()
        apis: set[str] = set()
        for (api, _, check), tally in tallies.items():
            if check == name:
                total = total.plus(tally)
                apis.add(api)
        if total.cases:
            status: CheckStatus = "failed" if total.failures else "passed"
            out[name] = CheckVerdict(
                name,
                status,
                total.cases,
                total.failures,
                describe(name),
                None,
                total.seconds,
                tuple(sorted(apis)),
            )
            continue
        reason = scope.why_not_selected(name) or not_run.get(name)
        if reason is None and not complete:
            reason = "--max-time reached before it judged a case"
        if reason is None:
            known = CHECKS.get(name)
            reason = known.idle_reason if known else "judged no case"
        out[name] = CheckVerdict(name, "not_run", 0, 0, describe(name), reason)
    return out


@dataclass(frozen=True, slots=True)
class GateResult:
    """What one gate run found. ``exit_code`` is the command's: 0 conforms, 1 new findings or coverage
    below a ``--min-coverage`` floor, 2 no check judged a single response (``judged_nothing`` says why; not
    with ``--allow-empty``), 3 the run did not complete within --max-time and found nothing (``complete``
    False; floors are then not judged)."""

    exit_code: int
    apis: tuple[str, ...]
    targets: Mapping[str, str]
    embedded: bool
    seed: int
    max_examples: int
    scope: Scope
    started_at: str
    seconds: float
    record: SuiteRecord
    findings: tuple[Finding, ...]  # the suite's findings and the suite's own breakage, new ones first
    checks: Mapping[str, CheckVerdict]
    traffic: Mapping[str, Traffic]  # per API: every request sent (the probe included), messages created
    baseline: BaselineComparison | None = None
    locations: Mapping[str, SpecLocation] = field(default_factory=dict)  # by finding fingerprint
    complete: bool = True
    errors: tuple[str, ...] = field(default=())
    # finding fingerprint -> why a compatible spec change explains it (--specs git:REV: chatgate.diff.explain)
    explained: Mapping[str, str] = field(default_factory=dict)
    specs: tuple[Mapping[str, str], ...] = ()  # per API: the spec file and info.version the run used
    # how it sent (gate.settings.Transport.describe)
    settings: Mapping[str, object] = field(default_factory=lambda: Transport().describe(False))
    judged_nothing: str = ""  # why no check judged a single response (exit 2 unless --allow-empty)
    baseline_updated: bool = False  # --update-baseline: every finding recorded as known, not judged
    coverage: Coverage | None = None  # what the run exercised of the specs, and what it never tested
    coverage_floors: Mapping[str, float] = field(default_factory=dict)  # --min-coverage, per kind
    coverage_shortfalls: tuple[str, ...] = ()  # below a floor (exit 1; not a finding); none if incomplete
    coverage_before: Mapping[str, Any] | None = None  # the baseline file's coverage record, if any

    @property
    def tallies(self) -> Mapping[tuple[str, str, str], Tally]:
        return self.record.tallies

    def is_new(self, finding: Finding) -> bool:
        if finding.fingerprint in self.explained:
            return False
        return self.baseline is None or not finding.fingerprints & self.baseline.known

    @property
    def new_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if self.is_new(f))

    @property
    def known_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not self.is_new(f))

    @property
    def requests(self) -> int:
        return sum(t.requests for t in self.traffic.values())

    @property
    def writes(self) -> int:
        return sum(t.writes for t in self.traffic.values())

    @property
    def verdict(self) -> str:
        return "pass" if self.exit_code == 0 else "fail"

    def judged(self, finding: Finding) -> int:
        """n of "seen in k of n": the responses of the finding's operation its primary check judged."""
        tally = self.record.tallies.get((finding.api, finding.operation, finding.check))
        return tally.cases if tally is not None else 0

    def findings_for(self, api: str, operation: str, check: str) -> list[Finding]:
        return [f for f in self.findings if (f.api, f.operation, f.check) == (api, operation, check)]

    def operation_requests(self) -> dict[tuple[str, str], int]:
        return {key: t.requests for key, t in self.record.traffic.items()}


def sort_findings(findings: Iterable[Finding], known: frozenset[str]) -> tuple[Finding, ...]:
    return tuple(
        sorted(findings, key=lambda f: (f.fingerprint in known, f.api, f.operation, f.check, f.signature))
    )
