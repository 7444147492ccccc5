"""Run one load scenario: start the target if needed, drive Locust in child processes, judge the run.

``run_load(...)`` is the API (``chatgate load`` and ``chatgate run`` call it); it returns a
``LoadResult`` whose ``exit_code`` follows DESIGN.md (0 SLOs met, 1 SLO breached, 4 measurement
invalid) and raises ``UsageError`` (2) or ``TargetError`` (3) when the run cannot happen. Locust runs
in its own processes (``python -m locust``), never in this one, so gevent's patching stays out.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatgate.apis import ApiName
from chatgate.embedded import EmbeddedServer, free_port
from chatgate.errors import EXIT_FINDINGS, EXIT_MEASUREMENT_INVALID, EXIT_OK, TargetError, UsageError
from chatgate.load.slo import MONITOR_KEYS, Check, SloFile, evaluate, load_slo, slo_keys
from chatgate.load.summary import summarize
from chatgate.metrics import Metrics
from chatgate.options import parse_duration
from chatgate.resources import loadtests_dir
from chatgate.targets import Target, credentials, probe, resolve_targets

__all__ = ["SCENARIOS", "SCENARIO_APIS", "LoadResult", "run_load"]

SCENARIOS = {
    "nara-stream-sends": "nara_stream_sends.py",
    "nara-paginated-reads": "nara_paginated_reads.py",
    "navigable-reads": "navigable_reads.py",
    "navigable-sends": "navigable_sends.py",
    "mixed": "mixed.py",
}
SCENARIO_APIS: dict[str, tuple[ApiName, ...]] = {
    "nara-stream-sends": ("nara",),
    "nara-paginated-reads": ("nara",),
    "navigable-reads": ("navigable",),
    "navigable-sends": ("navigable",),
    "mixed": ("nara", "navigable"),
}
SHAPES = ("smoke", "ramp", "spike", "soak")
DEFAULT_SEED_MESSAGES = 300


@dataclass
class LoadResult:
    """What a load run produced: exit code, verdict lines, headline figures and report paths."""

    scenario: str
    exit_code: int
    summary: dict[str, Any]
    checks: list[Check] = field(default_factory=list)
    monitor_checks: list[Check] = field(default_factory=list)
    report_dir: Path | None = None
    reports: dict[str, Path] = field(default_factory=dict)
    invalid_reason: str = ""

    @property
    def breaches(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


@contextlib.contextmanager
def _targets(scenario: str, base_url: str | None, server_args: list[str]) -> Iterator[dict[ApiName, Target]]:
    """The target of each API the scenario calls: real ones probed, the embedded server where none is set.

    Keys are checked before anything starts (a missing key for a real target is a UsageError naming its
    variable); the embedded server, when needed, is started once and gets the dev keys.
    """
    apis = SCENARIO_APIS[scenario]
    urls, _origins = resolve_targets(list(apis), base_url)
    for api in apis:
        if urls[api] is not None:
            credentials(api, str(urls[api]), embedded=False)
    with contextlib.ExitStack() as stack:
        embedded_url = ""
        if any(u is None for u in urls.values()):
            args = list(server_args)
            if "--seed-messages" not in args:
                args += ["--seed-messages", str(DEFAULT_SEED_MESSAGES)]
            embedded_url = stack.enter_context(EmbeddedServer(args)).base_url
        targets = {api: credentials(api, urls[api] or embedded_url, urls[api] is None) for api in apis}
        for target in targets.values():
            probe(target)
        yield targets


def _locust_cmd(locustfile: Path, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", str(locustfile), "--loglevel", "WARNING", *extra]


def run_load(
    scenario: str = "nara-stream-sends",
    *,
    users: int | None = None,
    spawn_rate: float | None = None,
    arrival_rate: float | None = None,
    poisson: bool = False,
    run_time: str = "30s",
    base_url: str | None = None,
    slo_file: Path | None = None,
    workers: int = 0,
    report_dir: Path = Path("reports/load"),
    ui: bool = False,
    shape: str | None = None,
    validate_sample: float = 1.0,
    server_args: list[str] | None = None,
    extra_env: dict[str, str] | None = None,
    generator_prefix: list[str] | None = None,
) -> LoadResult:
    """Run ``scenario`` and judge it. ``generator_prefix`` wraps the Locust commands (e.g. ``taskset``)."""
    if scenario not in SCENARIOS:
        raise UsageError(f"unknown scenario {scenario!r} (known: {', '.join(SCENARIOS)})")
    if users is not None and users < 1:
        raise UsageError("--users must be at least 1")
    if spawn_rate is not None and spawn_rate <= 0:
        raise UsageError("--spawn-rate must be positive")
    if arrival_rate is not None and arrival_rate <= 0:
        raise UsageError("--arrival-rate must be positive")
    if workers < 0 or workers > 64:
        raise UsageError("--workers must be between 0 and 64")
    if shape is not None and shape not in SHAPES:
        raise UsageError(f"unknown shape {shape!r} (known: {', '.join(SHAPES)})")
    if not 0.0 <= validate_sample <= 1.0:
        raise UsageError("--validate-sample must be between 0 and 1")
    seconds = parse_duration(run_time, "--run-time")
    ldir = loadtests_dir()
    slo = load_slo(slo_file if slo_file is not None else ldir / "slo.toml")
    pool = users or max(10, min(1000, int(arrival_rate * 4))) if arrival_rate is not None else users or 10
    rate = spawn_rate or float(pool)

    out_dir = report_dir / scenario
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics_path = out_dir / "chatgate-metrics.json"
    metrics_path.unlink(missing_ok=True)
    env = dict(os.environ)
    window_s = float(max(1, round(seconds / 60.0)))
    env.update(
        {
            "CHATGATE_LOAD_OUT": str(metrics_path),
            "CHATGATE_WORKERS": str(max(1, workers)),
            "CHATGATE_VALIDATE_SAMPLE": str(validate_sample),
            "CHATGATE_WINDOW": str(window_s),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("CHATGATE_ARRIVAL_RATE", None)
    if arrival_rate is not None:
        env["CHATGATE_ARRIVAL_RATE"] = str(arrival_rate)
        env["CHATGATE_POISSON"] = "1" if poisson else "0"
    if shape is not None:
        env.update(
            {"CHATGATE_SHAPE": shape, "CHATGATE_SHAPE_USERS": str(pool), "CHATGATE_SHAPE_TIME": str(seconds)}
        )
    env.update(extra_env or {})

    with _targets(scenario, base_url, server_args or []) as targets:
        for api, t in targets.items():  # what the locustfiles read (chatgate.load.users)
            env[f"{api.upper()}_BASE_URL"] = t.base_url
            env[f"{api.upper()}_API_KEY"] = t.key
            if t.user_id is not None:
                env["NARA_USER_ID"] = str(t.user_id)
        host = targets[SCENARIO_APIS[scenario][0]].base_url
        target = " ".join(dict.fromkeys(t.base_url for t in targets.values()))  # for the summary
        common = ["-H", host, "--stop-timeout", "10"]
        run_flags = ["-t", f"{round(seconds)}s"]
        if shape is None:
            run_flags += ["-u", str(pool), "-r", str(rate)]
        report_flags = [
            "--csv",
            str(out_dir / "locust"),
            "--csv-full-history",
            "--html",
            str(out_dir / "locust.html"),
        ]
        if ui:
            mode = [
                "--web-host",
                "127.0.0.1",
                "--web-port",
                str(free_port()),
                "--autostart",
                "--autoquit",
                "5",
            ]
        else:
            mode = ["--headless", "--only-summary"]
        started = time.time()
        wall = time.perf_counter()
        lf = ldir / SCENARIOS[scenario]
        prefix = list(generator_prefix or [])
        procs: list[subprocess.Popen[bytes]] = []
        log_path = out_dir / "locust.log"
        with open(log_path, "wb") as log:
            if workers:
                port = free_port()
                master = _locust_cmd(
                    lf,
                    [
                        *common,
                        *run_flags,
                        *report_flags,
                        *mode,
                        "--master",
                        "--master-bind-host",
                        "127.0.0.1",
                        "--master-bind-port",
                        str(port),
                        "--expect-workers",
                        str(workers),
                    ],
                )
                procs.append(subprocess.Popen([*prefix, *master], env=env, stdout=log, stderr=log))
                for _ in range(workers):
                    wcmd = _locust_cmd(
                        lf, ["--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
                    )
                    procs.append(
                        subprocess.Popen([*prefix, *wcmd], env=env, stdout=subprocess.DEVNULL, stderr=log)
                    )
            else:
                cmd = _locust_cmd(lf, [*common, *run_flags, *report_flags, *mode])
                procs.append(subprocess.Popen([*prefix, *cmd], env=env, stdout=log, stderr=log))
            deadline = time.monotonic() + seconds + 120
            try:
                for p in procs:
                    p.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                for p in procs:
                    p.kill()
                raise TargetError(
                    f"Locust did not finish within {seconds + 120:.0f}s; see {log_path}"
                ) from None
            except KeyboardInterrupt:
                for p in procs:
                    p.terminate()
                raise
        elapsed = time.perf_counter() - wall
    if not metrics_path.exists():
        tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        raise UsageError(f"Locust produced no chatgate metrics ({' | '.join(tail)[:300]})")
    metrics = Metrics.decode(json.loads(metrics_path.read_text(encoding="utf-8")))
    metrics_path.unlink(missing_ok=True)
    summary = summarize(
        metrics,
        scenario=scenario,
        target=target,
        started=started,
        duration_s=min(elapsed, seconds) if elapsed > 0 else seconds,
        model={
            "kind": "open" if arrival_rate is not None else "closed",
            "users": pool,
            "spawn_rate": rate,
            "arrival_rate": arrival_rate,
            "poisson": poisson,
            "shape": shape,
            "workers": workers,
            "validate_sample": validate_sample,
        },
        window_s=window_s,
    )
    return judge(summary, slo, scenario, out_dir, metrics)


def judge(
    summary: dict[str, Any], slo: SloFile, scenario: str, out_dir: Path, metrics: Metrics | None = None
) -> LoadResult:
    """Apply SLOs and the generator's budgets to a summary; write the reports; pick the exit code."""
    from chatgate.load.report import write_reports

    checks = evaluate(summary, slo.scenarios.get(scenario, {}), slo_keys(summary["model"]["kind"]))
    monitor_checks = evaluate(summary, slo.monitor, MONITOR_KEYS)
    bad = [c for c in monitor_checks if not c.ok]
    reason = ""
    if bad:
        reason = "; ".join(f"{c.key.removeprefix('max_')} {c.observed:.1f} > {c.threshold:g}" for c in bad)
        code = EXIT_MEASUREMENT_INVALID
    elif any(not c.ok for c in checks):
        code = EXIT_FINDINGS
    else:
        code = EXIT_OK
    summary["verdict"] = {0: "pass", 1: "slo_breached", 4: "measurement_invalid"}[code]
    summary["invalid_reason"] = reason
    summary["slo"] = [c.__dict__ for c in checks]
    summary["monitor_checks"] = [c.__dict__ for c in monitor_checks]
    result = LoadResult(scenario, code, summary, checks, monitor_checks, out_dir, invalid_reason=reason)
    result.reports = write_reports(result, metrics or Metrics())
    return result
