"""Run the gate: check the specs and the scope, start the embedded server if needed, probe, run the
suite, read its record back, compare with the baseline. Returns a :class:`GateResult`; writes no report.

    config = GateConfig(apis=("nara", "navigable"), max_examples=10)
    result = run_gate(config, RunDir(Path("reports/contract")))

Configuration, in the order flag, environment, default (ARCHITECTURE.md): ``base_url`` then
``NARA_BASE_URL`` / ``NAVIGABLE_BASE_URL`` / ``CHATGATE_BASE_URL``, else the embedded server;
``NARA_API_KEY``, ``NAVIGABLE_API_KEY`` (the dev keys on the embedded server); ``NARA_USER_ID``; a second
Nara identity from ``NARA_API_KEY_2`` and ``NARA_USER_ID_2`` (cross-user checks; none by default).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from chatgate.apis import API_NAMES, ApiName, key_variable
from chatgate.artifacts import RunDir
from chatgate.contract_model import ContractModel, model_for, require_models, spec_sources
from chatgate.diff.explain import FindingKey, explain_findings
from chatgate.errors import EXIT_FINDINGS, EXIT_OK, EXIT_TARGET, EXIT_USAGE, UsageError
from chatgate.gate.baseline import Baseline, BaselineEntry, compare, load_baseline
from chatgate.gate.catalogue import CHECKS
from chatgate.gate.coverage_build import build_coverage
from chatgate.gate.ledger import SuiteRecord
from chatgate.gate.locate import locate
from chatgate.gate.model import CheckVerdict, Finding, Traffic
from chatgate.gate.replay import replay_findings
from chatgate.gate.result import GateResult, check_verdicts, sort_findings
from chatgate.gate.scope import Scope
from chatgate.gate.settings import Transport
from chatgate.gate.suite import SuiteRun, run_suite
from chatgate.git_specs import ORIGIN_VARIABLE, WORKTREE_VARIABLE
from chatgate.probe import check_target, probe_request
from chatgate.resources import SPECS_VARIABLE
from chatgate.targets import EMBEDDED_BANNER, Target, credentials, resolve_targets, second_identity

__all__ = ["DEFAULT_MAX_EXAMPLES", "GateConfig", "baseline_scope", "judged_nothing", "run_gate"]

# Examples per operation and generation phase; chosen so the default gate for both APIs stays well under
# 60 s on 2 cores (bench/contract_speed.py).
DEFAULT_MAX_EXAMPLES = 50
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class GateConfig:
    """Everything one gate run needs besides the environment (keys and hosts come from there)."""

    apis: tuple[ApiName, ...] = API_NAMES
    base_url: str | None = None
    max_examples: int = DEFAULT_MAX_EXAMPLES
    seed: int = 0
    scope: Scope = field(default_factory=Scope)
    baseline: Path | None = None
    update_baseline: bool = False  # every finding of this run is accepted (the command rewrites the file)
    transport: Transport = field(default_factory=Transport)
    allow_empty: bool = False  # a run in which no check judged anything may pass (--allow-empty)
    min_coverage: Mapping[str, float] = field(default_factory=dict)  # --min-coverage: kind -> floor, per API


def _check_config(config: GateConfig) -> list[tuple[str, str, str]]:
    for api in config.apis:
        if api not in API_NAMES:
            raise UsageError(f"unknown API {api!r}: choose one of {', '.join(API_NAMES)}")
    if config.max_examples < 1:
        raise UsageError(f"--max-examples must be at least 1, got {config.max_examples}")
    if config.update_baseline and config.baseline is None:
        raise UsageError("--update-baseline needs --baseline FILE")
    if config.transport.concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, got {config.transport.concurrency}")
    config.transport.tls.check()
    models = require_models(tuple(config.apis))
    ops: list[tuple[str, str, str]] = []
    for api in config.apis:
        ops += [(op.method, op.path, op.operation_id) for op in models[api].operations]
    config.scope.validate(ops)
    if not config.allow_empty:
        _check_applicable(config, models)
    return ops


def _applies_to(name: str, models: Mapping[str, ContractModel]) -> list[str]:
    """The APIs of the run ``name`` applies to: those whose spec states the rule it judges (or all)."""
    rule = CHECKS[name].rule
    return [api for api, m in models.items() if rule is None or m.states(rule)]


def _check_applicable(config: GateConfig, models: Mapping[str, ContractModel]) -> None:
    """UsageError (exit 2) when no selected check applies to the selected APIs: the gate would judge
    nothing and pass (``--checks stream_grammar --api navigable``: its spec states no stream). Which API
    a check applies to is read from the specs. ``--allow-empty`` accepts it."""
    selected = [name for name in CHECKS if config.scope.check_selected(name)]
    if any(_applies_to(name, models) for name in selected):
        return
    apis = " and ".join(config.apis)
    why = "; ".join(
        f"{name} judges x-chatgate-{CHECKS[name].rule}, which the {apis} spec does not state"
        for name in selected
    )
    raise UsageError(
        f"the gate would judge nothing on {apis}: {why or 'every check is excluded'}; select checks or APIs "
        "that apply (or pass --allow-empty)"
    )


def judged_nothing(checks: Mapping[str, CheckVerdict], scope: Scope) -> str:
    """Why a run in which no check judged a single response judged nothing ("" when one did): each
    selected check and why it did not run."""
    if any(v.status != "not_run" for v in checks.values()):
        return ""
    why = "; ".join(
        f"{name}: {v.not_run_reason}" for name, v in checks.items() if scope.why_not_selected(name) is None
    )
    return (
        f"the gate judged nothing: no check judged a single response ({why or 'no check selected'}); "
        "select checks and operations that apply (or pass --allow-empty)"
    )


def baseline_scope(config: GateConfig) -> Callable[[BaselineEntry], bool]:
    """Whether this run could have seen a baseline entry (its API, operation and check in scope)."""
    ids: dict[tuple[str, str], str] = {}
    for api in config.apis:
        for op in model_for(api).operations:
            ids[(api, op.label)] = op.operation_id

    def in_scope(entry: BaselineEntry) -> bool:
        if entry.api not in config.apis or not config.scope.check_selected(entry.check):
            return entry.api in config.apis and entry.operation == "(suite)"
        op_id = ids.get((entry.api, entry.operation))
        if op_id is None:
            return entry.operation == "(suite)"
        method, _, path = entry.operation.partition(" ")
        return config.scope.operation_selected(method, path, op_id)

    return in_scope


@contextmanager
def _target_host(embedded: bool, run_dir: RunDir, say: Progress) -> Iterator[str]:
    if not embedded:
        yield ""
        return
    from chatgate.embedded import EmbeddedServer

    say(f"contract: {EMBEDDED_BANNER}: starting it")
    db = Path(tempfile.mkdtemp(prefix="chatgate-contract-")) / "gate.sqlite3"
    run_dir.ensure()
    args = ["--db", str(db), "--seed-messages", "50"]
    with EmbeddedServer(args, log_path=run_dir.path("server.log")) as server:
        yield server.base_url


def _suite_breakage(record: SuiteRecord, code: int, apis: tuple[ApiName, ...]) -> list[Finding]:
    """A crashed or empty suite proves nothing: each problem is a finding that fails the gate. (A suite
    that --max-time stopped is not broken: the run is incomplete instead.)"""
    errors = list(record.errors)
    # pytest exits 0 (all passed) or 1 (some failed) when the suite ran; anything else (interrupted,
    # internal error, usage error, nothing collected) means it did not, whatever the record holds.
    if code not in (0, 1):
        errors.append(f"pytest exited {code} (the suite did not run to the end); see pytest.log")
    for api in apis if record.complete else ():
        if not any(t.requests for (a, _), t in record.traffic.items() if a == api):
            errors.append(f"no request reached {api}: the suite sent none; see pytest.log")
    out = []
    for error in errors:
        api = next((a for a in apis if a in error), apis[0])
        title = f"the suite broke: {error.partition(': ')[0][:160]}"
        out.append(Finding(api, "(suite)", "suite", title, title, error))
    return out


def _with_probes(
    record: SuiteRecord, probes: dict[str, tuple[str, tuple[tuple[int, str], ...]]]
) -> SuiteRecord:
    """The record with the probes counted (each answer is a request, on the operation the probe sent
    it to, and an answer the coverage counts) and their transient answers, sent again like the suite's,
    as notes."""
    notes, traffic = dict(record.notes), dict(record.traffic)
    coverage = record.coverage.with_seen((api, op, s, m) for api, (op, got) in probes.items() for s, m in got)
    for api, (operation, answers) in probes.items():
        statuses = [status for status, _ in answers]
        key = (api, operation)
        traffic[key] = traffic.get(key, Traffic()).plus(Traffic(len(statuses), 0))
        if len(statuses) < 2:
            continue
        found = [("transient", f"{statuses[0]}, sent again (the probe)")]
        if statuses[1] not in (502, 503, 504):
            found.append(("flaky", f"{statuses[0]} once, then {statuses[1]} (the probe)"))
        for kind, detail in found:
            notes[(kind, api, operation, detail)] = 1
    return replace(record, notes=notes, traffic=traffic, coverage=coverage)


def _run_suite_on_target(
    config: GateConfig, run_dir: RunDir, say: Progress, ends_at: float
) -> tuple[SuiteRecord, list[Finding], dict[str, str], bool, list[str]]:
    """Probe the targets (starting the embedded server if needed) and run the suite against them.

    Returns the suite's record (the probes added), the suite's own breakage, the base URL per API,
    whether the embedded server was the target, and the secrets to scrub from logs."""
    urls, _origins = resolve_targets(list(config.apis), config.base_url)
    for s in spec_sources(config.apis):
        say(f"contract: {s['api']} spec {s['file']} (version {s['version'] or 'not stated'})")
    run_dir.ensure()
    embedded = any(u is None for u in urls.values())
    for api in config.apis:  # keys checked before anything starts
        credentials(api, urls[api] or "the embedded server", urls[api] is None)
    with _target_host(embedded, run_dir, say) as host:
        targets: dict[str, Target] = {
            api: credentials(api, urls[api] or host, urls[api] is None) for api in config.apis
        }
        tls = config.transport.tls
        if not tls.verify:
            say("contract: WARNING: --no-tls-verify: the target's TLS certificate is NOT verified")
        probes: dict[str, tuple[str, tuple[tuple[int, str], ...]]] = {}
        for t in list(targets.values()):
            say(f"contract: probing {t.api} at {t.base_url}")
            sent = probe_request(t)
            targets[t.api], statuses = check_target(t, tls=tls)
            probes[t.api] = (sent.op.label if sent else "(probe)", statuses)
            if targets[t.api].scheme != t.scheme:
                say(
                    f"contract: {t.api}: the key is refused in the spec's first scheme but accepted in"
                    f" {targets[t.api].scheme}: the run sends it there"
                )
        nara = targets.get("nara")
        second = second_identity(nara, embedded=urls.get("nara", "") is None) if nara is not None else None
        say(
            f"contract: running the suite (max {config.max_examples} examples per phase, seed {config.seed}, "
            f"{config.transport.concurrency} in flight)"
        )
        run = SuiteRun(
            targets,
            config.max_examples,
            config.seed,
            config.scope,
            second,
            config.transport,
            embedded,
            ends_at,
        )
        record, code = run_suite(run, run_dir, say)
        breakage = _suite_breakage(record, code, config.apis)
        record = _with_probes(record, probes)
        keys = {key_variable(t.api): t.key for t in targets.values()}
        if second is not None:
            keys[f"{key_variable(second.api)}_2"] = second.key
        record = replay_findings(record, keys, tls.context())
    run_dir.scrub_logs(["server.log"], run.secrets)
    return record, breakage, {api: t.base_url for api, t in targets.items()}, embedded, run.secrets


def explained_by_spec_changes(findings: list[Finding]) -> dict[str, str]:
    """Under ``--specs git:REV`` (old clients' view), the findings a warning or non-breaking change from
    those specs to the working tree's explains (``chatgate diff`` classes it): listed, not failing."""
    old, new = os.environ.get(SPECS_VARIABLE, ""), os.environ.get(WORKTREE_VARIABLE, "")
    if not os.environ.get(ORIGIN_VARIABLE) or not old or not new or not Path(new).is_dir():
        return {}
    keys = [FindingKey(f.fingerprint, f.api, f.operation, f.spec_pointer, f.status) for f in findings]
    return explain_findings(old, Path(new), keys)


def run_gate(config: GateConfig, run_dir: RunDir, progress: Progress | None = None) -> GateResult:
    """Run the gate; raises UsageError/SpecError (exit 2) or TargetError (exit 3)."""
    say = progress or (lambda _line: None)
    _check_config(config)
    previous: Baseline | None = None
    if config.baseline is not None and (not config.update_baseline or config.baseline.exists()):
        previous = load_baseline(config.baseline)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    ends_at = config.transport.ends_at()
    record, breakage, targets, embedded, _secrets = _run_suite_on_target(config, run_dir, say, ends_at)
    findings = list(record.findings) + breakage
    comparison = compare(previous, findings, baseline_scope(config)) if previous is not None else None
    explained = explained_by_spec_changes(findings)
    known = (comparison.known if comparison is not None else frozenset()) | frozenset(explained)
    new = [f for f in findings if f.fingerprint not in known]
    failed = bool(new) and not config.update_baseline
    checks = check_verdicts(record.tallies, config.scope, record.not_run, complete=record.complete)
    code = EXIT_FINDINGS if failed else EXIT_OK if record.complete else EXIT_TARGET
    empty = "" if config.allow_empty or code != EXIT_OK else judged_nothing(checks, config.scope)
    coverage = build_coverage(config.apis, record.coverage, config.scope, record.tallies, record.not_run)
    short = tuple(coverage.shortfalls(config.min_coverage)) if record.complete else ()
    if short and not empty:
        code = EXIT_FINDINGS  # below a floor: not a finding (not in findings, SARIF or the baseline)
    return GateResult(
        exit_code=EXIT_USAGE if empty else code,
        apis=tuple(config.apis),
        targets=targets,
        embedded=embedded,
        seed=config.seed,
        max_examples=config.max_examples,
        scope=config.scope,
        started_at=started_at,
        seconds=time.monotonic() - started,
        record=record,
        findings=sort_findings(findings, known),
        checks=checks,
        traffic=_traffic(config, record),
        baseline=comparison,
        locations=locate(findings),
        explained=explained,
        complete=record.complete,
        errors=record.errors,
        settings=config.transport.describe(embedded),
        specs=tuple(spec_sources(config.apis)),
        judged_nothing=empty,
        baseline_updated=config.update_baseline,
        coverage=coverage,
        coverage_floors=dict(config.min_coverage),
        coverage_shortfalls=short,
        coverage_before=previous.coverage if previous is not None else None,
    )


def _traffic(config: GateConfig, record: SuiteRecord) -> dict[str, Traffic]:
    """Per API: every request sent and the messages created."""
    traffic: dict[str, Traffic] = {api: Traffic() for api in config.apis}
    for (api, _), t in record.traffic.items():
        traffic[api] = traffic.get(api, Traffic()).plus(t)
    return traffic
