"""Run the gate: configure, probe, run the ``contracts/`` suite, compare with the baseline, report.

The suite runs in a child ``pytest`` process (schemathesis and Hypothesis keep global state, and the
suite must stay runnable on its own as ``pytest contracts/``); it hands its ledger back as a JSON file.
``chatgate run`` and the CLI both call :func:`run_contract`::

    result = run_contract(apis=["nara", "navigable"], max_examples=10, seed=0)
    result.exit_code        # 0 conforms, 1 new findings
    result.report_paths     # {"junit": Path, "markdown": Path, "html": Path, "summary": Path}
    result.totals           # {"cases": ..., "findings": ..., "new_findings": ...}

Configuration, in the order flag, environment, default (ARCHITECTURE.md): ``--base-url`` then
``NARA_BASE_URL`` / ``NAVIGABLE_BASE_URL`` / ``CHATGATE_BASE_URL``, else the embedded server;
``NARA_API_KEY``, ``NAVIGABLE_API_KEY`` (the dev keys on the embedded server); ``NARA_USER_ID``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chatgate.apis import API_NAMES, ApiName
from chatgate.contract.baseline import load_baseline, write_baseline
from chatgate.contract.findings import CHECKS, Finding, Ledger, scrub
from chatgate.errors import EXIT_FINDINGS, EXIT_OK, SpecError, TargetError, UsageError
from chatgate.resources import contracts_dir
from chatgate.specs import load_spec, meta_schema_problems, spec_path
from chatgate.targets import Target, credentials, probe, resolve_targets

__all__ = ["DEFAULT_MAX_EXAMPLES", "ContractResult", "run_contract"]

# Examples per operation and generation phase; chosen so the default gate for both APIs stays well under
# 60 s on 2 cores (bench/contract_speed.py).
DEFAULT_MAX_EXAMPLES = 50
SUITE_TIMEOUT_S = 1800.0  # CHATGATE_SUITE_TIMEOUT overrides it

Progress = Callable[[str], None]


@dataclass
class ContractResult:
    """What one gate run found; ``exit_code`` is the command's (0 conforms, 1 new findings)."""

    exit_code: int
    apis: list[ApiName]
    targets: dict[ApiName, str]
    embedded: bool
    seed: int
    max_examples: int
    started_at: str
    seconds: float
    ledger: Ledger
    baseline: Path | None = None
    report_paths: dict[str, Path] = field(default_factory=dict)

    @property
    def findings(self) -> list[Finding]:
        return sorted(self.ledger.findings.values(), key=lambda f: (not f.new, f.api, f.operation, f.check))

    @property
    def totals(self) -> dict[str, int]:
        new = sum(f.new for f in self.ledger.findings.values())
        return {
            "cases": sum(self.ledger.requests.values()),
            "checks": len(self.ledger.tallies),
            "failed_checks": sum(not t.passed for t in self.ledger.tallies.values()),
            "findings": len(self.ledger.findings),
            "new_findings": new,
            "known_findings": len(self.ledger.findings) - new,
            "generated_cases": self.ledger.generated,
        }

    @property
    def per_check(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (_, _, check), t in sorted(self.ledger.tallies.items()):
            entry = out.setdefault(check, {"cases": 0, "failures": 0})
            entry["cases"] += t.cases
            entry["failures"] += t.failures
        return out

    @property
    def per_operation(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for (api, op, check), t in sorted(self.ledger.tallies.items()):
            entry = out.setdefault(
                f"{api} {op}", {"api": api, "operation": op, "cases": self.ledger.requests.get((api, op), 0)}
            )
            entry.setdefault("checks", {})[check] = {"cases": t.cases, "failures": t.failures}
        return out


def _check_specs(apis: list[ApiName]) -> None:
    """Fail early (exit 2) on a spec that cannot drive the suite."""
    for api in apis:
        path = spec_path(api)
        load_spec(api)
        problems = meta_schema_problems(path)
        if problems:
            more = f" (and {len(problems) - 1} more; run chatgate lint)" if len(problems) > 1 else ""
            raise SpecError(f"{problems[0]}{more}")


@contextmanager
def _embedded_server(log_dir: Path) -> Iterator[str]:
    from chatgate.embedded import EmbeddedServer

    db = Path(tempfile.mkdtemp(prefix="chatgate-contract-")) / "gate.sqlite3"
    with EmbeddedServer(
        ["--db", str(db), "--seed-messages", "50"], log_path=log_dir / "server.log"
    ) as server:
        yield server.base_url


def run_contract(
    apis: list[ApiName] | None = None,
    *,
    base_url: str | None = None,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    seed: int = 0,
    report_dir: Path = Path("reports/contract"),
    baseline: Path | None = None,
    update_baseline: bool = False,
    progress: Progress | None = None,
) -> ContractResult:
    """Run the gate and write its reports; raises UsageError/SpecError (exit 2) or TargetError (exit 3)."""
    apis = list(apis or API_NAMES)
    for api in apis:
        if api not in API_NAMES:
            raise UsageError(f"unknown API {api!r}: choose one of {', '.join(API_NAMES)}")
    if max_examples < 1:
        raise UsageError(f"--max-examples must be at least 1, got {max_examples}")
    say = progress or (lambda _line: None)
    _check_specs(apis)
    known = load_baseline(baseline) if baseline is not None and not update_baseline else set()
    urls, _origins = resolve_targets(apis, base_url)
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{report_dir}: cannot create report directory: {exc.strerror or exc}") from None
    embedded = any(u is None for u in urls.values())
    # Validate keys before starting anything.
    for api in apis:
        credentials(api, urls[api] or "the embedded server", urls[api] is None)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    with _maybe_embedded(embedded, report_dir, say) as embedded_url:
        targets = {api: credentials(api, urls[api] or embedded_url, urls[api] is None) for api in apis}
        for t in targets.values():
            say(f"contract: probing {t.api} at {t.base_url}")
            probe(t)
        ledger = _run_suite(targets, max_examples, seed, report_dir, say)
    if update_baseline and baseline is not None:
        write_baseline(baseline, ledger.findings.values())
        known = set(ledger.findings)  # every finding is in the baseline just written
    for finding in ledger.findings.values():
        finding.new = finding.fingerprint not in known
    new = sum(f.new for f in ledger.findings.values())
    result = ContractResult(
        exit_code=EXIT_FINDINGS if new else EXIT_OK,
        apis=apis,
        targets={api: t.base_url for api, t in targets.items()},
        embedded=embedded,
        seed=seed,
        max_examples=max_examples,
        started_at=started_at,
        seconds=time.monotonic() - started,
        ledger=ledger,
        baseline=baseline,
    )
    from chatgate.contract.reporters import write_reports

    result.report_paths = write_reports(result, report_dir, secrets=[t.key for t in targets.values()])
    return result


@contextmanager
def _maybe_embedded(embedded: bool, report_dir: Path, say: Progress) -> Iterator[str]:
    if not embedded:
        yield ""
        return
    say("contract: starting the embedded reference server")
    with _embedded_server(report_dir) as url:
        yield url


def _suite_env(targets: dict[ApiName, Target], max_examples: int, seed: int, results: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NARA_", "NAVIGABLE_", "CHATGATE_", "PYTEST_")) and k != "HYPOTHESIS_PROFILE"
    }
    env.update(
        {
            "CHATGATE_API": next(iter(targets)) if len(targets) == 1 else "all",
            "CHATGATE_MAX_EXAMPLES": str(max_examples),
            "CHATGATE_SEED": str(seed),
            "CHATGATE_RESULTS_FILE": str(results),
            "CHATGATE_PROGRESS": "1",
            "PYTHONHASHSEED": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if os.environ.get("CHATGATE_SPECS_DIR"):
        env["CHATGATE_SPECS_DIR"] = os.environ["CHATGATE_SPECS_DIR"]
    for api, t in targets.items():
        env[f"{api.upper()}_BASE_URL"] = t.base_url
        env[f"{api.upper()}_API_KEY"] = t.key
        if t.user_id is not None:
            env["NARA_USER_ID"] = str(t.user_id)
    return env


def _run_suite(
    targets: dict[ApiName, Target], max_examples: int, seed: int, report_dir: Path, say: Progress
) -> Ledger:
    suite = contracts_dir()
    secrets = [t.key for t in targets.values()]
    with tempfile.TemporaryDirectory(prefix="chatgate-contract-") as tmp:
        results = Path(tmp) / "results.json"
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            str(suite),
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:warnings",
            "--rootdir",
            str(suite.parent),
            "-o",
            "addopts=",
            "--color=no",
            # The suite records findings itself; rewriting asserts of every imported module would cost
            # seconds per run where bytecode is not cached.
            "--assert=plain",
        ]
        env = _suite_env(targets, max_examples, seed, results)
        say(f"contract: running the suite (max {max_examples} examples per operation and phase, seed {seed})")
        log_lines: list[str] = []
        proc = subprocess.Popen(
            cmd,
            cwd=suite.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        # A watchdog, not a check between lines: a suite stuck on a silent target prints nothing.
        limit = float(os.environ.get("CHATGATE_SUITE_TIMEOUT", SUITE_TIMEOUT_S))
        fired = threading.Event()

        def stop_the_suite() -> None:
            fired.set()
            proc.kill()

        watchdog = threading.Timer(limit, stop_the_suite)
        watchdog.daemon = True
        watchdog.start()
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                line = scrub(line.rstrip("\n"), secrets)
                at = line.find("contract: [")
                if at >= 0:
                    say(line[at:])
                    line = line[:at]
                if line:
                    log_lines.append(line)
            code = proc.wait()
        finally:
            watchdog.cancel()
        if fired.is_set():
            raise TargetError(f"the suite did not finish within {limit:.0f}s (target hanging?)")
        (report_dir / "pytest.log").write_text("\n".join(log_lines) + "\n", encoding="utf-8")
        if not results.exists():
            tail = next((ln for ln in reversed(log_lines) if ln.strip()), "no output")
            raise UsageError(f"the contract suite could not run (pytest exit {code}): {tail[:300]}")
        ledger = Ledger.read(results)
    # pytest exits 0 (all passed) or 1 (some failed) when the suite ran; anything else (interrupted,
    # internal error, usage error, nothing collected) means it did not, whatever the ledger holds.
    if code not in (0, 1):
        ledger.errors.append(f"pytest exited {code} (the suite did not run to the end); see pytest.log")
    for api in targets:
        if not any(n for (a, _op), n in ledger.requests.items() if a == api):
            ledger.errors.append(f"no request reached {api}: the suite sent none; see pytest.log")
    for error in ledger.errors:
        # A crashed test proves nothing: it fails the gate rather than passing it silently. Each
        # error is its own finding (titled by where it happened, so the fingerprint stays stable).
        check = next((c for c in CHECKS if c in error), "suite")
        ledger.add(
            Finding(
                api=next((a for a in targets if a in error), next(iter(targets))),
                operation="(suite)",
                check=check,
                title=f"the suite broke: {error.partition(': ')[0][:160]}",
                message=error,
            )
        )
    return ledger
