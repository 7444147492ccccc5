"""Run one load scenario and judge it: ``run_load(options) -> LoadResult`` (no report written here).

The steps, each its own function or module: options and the scenario's specs checked (``config``:
a spec whose ``x-chatgate-*`` rules are bad, or that states nothing the scenario drives, is exit 2
before anything starts) -> SLO file read and the run
planned -> targets resolved and probed, the embedded server started if needed (``launch.targets``) ->
Locust run in child processes, live files through the run's ``RunDir`` (``launch.run_locust``) -> raw
data read (``summary.read_raw``) -> summarized into a ``LoadSummary`` -> judged (``judge``, pure) ->
``LoadResult``. ``chatgate load`` then hands the result to ``chatgate.load.report``.

``--master`` runs the same steps with the Locust master alone: it sends no requests, so it resolves
and probes no target (each ``chatgate load --worker`` does, with its own flags and environment, and
reports the target it loaded); the master's raw data holds every worker's intervals, so the summary,
verdict and reports are those of a local run, plus the workers lost mid-run (``chatgate.load.lost``).

``run_load_at`` is the same run against targets already resolved and probed (``chatgate capacity``
runs every step of its search against one server), with an SLO file already read. ``rejudge`` judges a
kept run again from its report directory alone (``summary.json`` and ``raw/``) with another SLO file:
goodput and the per-name figures are recomputed from the kept rows, nothing is re-run. (There is no
command for it: ``chatgate load`` stays one run; a re-judged result can be handed to
``chatgate.load.report.write_load_reports`` like any other.)

Raises ``UsageError`` (exit 2) or ``TargetError`` (exit 3) when the run cannot happen.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path

from chatgate.apis import ApiName
from chatgate.artifacts import RunDir
from chatgate.contract_model import spec_sources
from chatgate.errors import TargetError, UsageError
from chatgate.load.config import (
    SCENARIO_APIS,
    SCENARIO_REQUESTS,
    LoadOptions,
    RunPlan,
    plan_run,
    require_scenario,
)
from chatgate.load.judge import judge
from chatgate.load.launch import RAW_PARTIAL, locust_env, run_locust, targets
from chatgate.load.model import LoadResult, ModelInfo
from chatgate.load.rows import read_judged_rows
from chatgate.load.slo import RequestSlo, ScenarioSlo, SloFile, check_tables, load_slo
from chatgate.load.summary import RawTotals, read_raw, summarize
from chatgate.resources import loadtests_dir
from chatgate.resources import slo_file as slo_file_default
from chatgate.targets import Target

__all__ = ["read_slo", "rejudge", "run_load", "run_load_at"]


def _model(o: LoadOptions, plan: RunPlan) -> ModelInfo:
    return ModelInfo(
        kind="open" if o.open_model else "closed",
        users=None if o.open_model else plan.users,
        spawn_rate=None if o.open_model else plan.spawn_rate,
        arrival_rate=o.arrival_rate,
        poisson=o.poisson,
        shape=o.shape,
        workers=o.processes if (o.master or o.workers) else 0,
        validate_sample=o.validate_sample,
        max_in_flight=plan.max_in_flight,
        warmup_s=o.warmup_s,
        stop_timeout_s=o.stop_timeout_s,
        max_requests=o.max_requests,
        abort_on_error_rate=o.abort_on_error_rate,
        remote_workers=o.master,
    )


def _no_start(options: LoadOptions, run_dir: RunDir) -> None:
    """The master ended without a run: name the workers that never connected, when that is why."""
    connected_file = run_dir.path(RAW_PARTIAL) / "workers-connected.json"
    if not options.master and not options.workers:
        return
    connected = json.loads(connected_file.read_text("utf-8")) if connected_file.exists() else []
    if len(connected) < options.processes:
        ids = ", ".join(str(c.get("id", "?")) for c in connected) or "none"
        where = f"{options.master_bind_host}:{options.master_bind_port}" if options.master else "127.0.0.1"
        raise TargetError(
            f"{len(connected)} of {options.processes} Locust workers connected to the master ({where}) "
            f"within --expect-workers-max-wait {options.expect_workers_max_wait_s:g}s (connected: {ids}); "
            "start every `chatgate load --worker --master-host ...` and check they reach the master"
        )


def _collect(options: LoadOptions, run_dir: RunDir) -> RawTotals:
    """Read what the run wrote, then keep it as ``raw/`` (replacing an earlier run's)."""
    partial = run_dir.path(RAW_PARTIAL)
    if not (partial / "manifest.json").exists():
        _no_start(options, run_dir)
        log = run_dir.path("locust.log")
        tail = (
            log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
            if log.exists()
            else []
        )
        raise UsageError(f"Locust produced no chatgate measurements ({' | '.join(tail)[:300]})")
    raw = read_raw(partial)
    final = run_dir.path("raw")
    shutil.rmtree(final, ignore_errors=True)
    partial.rename(final)
    return raw


@contextlib.contextmanager
def _targets_of(options: LoadOptions) -> Iterator[dict[ApiName, Target]]:
    """The targets of a local run; none for ``--master`` (its workers have theirs)."""
    if options.master:
        yield {}
        return
    with targets(options) as found:
        yield found


def _measure_only(table: ScenarioSlo) -> ScenarioSlo:
    """``table`` without its thresholds (``--no-slo``); its goodput bounds, deadlines and mix kept."""

    def bounds(r: ScenarioSlo | RequestSlo) -> dict[str, str]:
        return {k: v for k, v in r.sources.items() if k in r.goodput}

    requests = {n: replace(r, thresholds={}, sources=bounds(r)) for n, r in table.requests.items()}
    return replace(table, thresholds={}, requests=requests, sources=bounds(table))


def read_slo(slo_file: Path | None, scenario: str, *, no_slo: bool = False) -> SloFile:
    """The SLOs of one run: ``slo_file`` (``--slo``) layered over the shipped file (``loadtests/slo.toml``;
    without ``--slo``, that file alone), every table checked against the scenarios and their requests.

    ``no_slo`` (``--no-slo``): no threshold judges the run, it is measured only (deadlines, message mix,
    goodput bounds and budgets still apply). Without it, a run that would judge no threshold at all (every
    one ``"off"``) is a UsageError: it could only pass."""
    shipped = slo_file_default()
    slo = load_slo(slo_file if slo_file is not None else shipped, defaults=shipped)
    check_tables(slo, SCENARIO_REQUESTS)
    table = slo.scenario(scenario)
    if no_slo:
        return replace(slo, scenarios={**slo.scenarios, scenario: _measure_only(table)})
    if table.judges_nothing():
        raise UsageError(
            f"{slo.path}: the {scenario} run would judge no SLO: [scenario.{scenario}] and its request "
            'tables hold no threshold (each one "off" or left out); set one, or --no-slo to measure only'
        )
    return slo


def run_load(options: LoadOptions) -> LoadResult:
    """Run the scenario of ``options`` and judge it (its specs checked first: a bad one is exit 2)."""
    require_scenario(options.scenario)
    slo = read_slo(options.slo_file, options.scenario, no_slo=options.no_slo)
    with _targets_of(options) as found:
        return run_load_at(options, found, slo)


def run_load_at(options: LoadOptions, found: Mapping[ApiName, Target], slo: SloFile) -> LoadResult:
    """Run the scenario of ``options`` against ``found`` (resolved and probed) and judge it by ``slo``."""
    loadtests = loadtests_dir()
    plan = plan_run(options, slo)
    run_dir = RunDir(options.report_dir / options.scenario).ensure()
    shutil.rmtree(run_dir.path(RAW_PARTIAL), ignore_errors=True)
    env = locust_env(options, plan, found, run_dir.path(RAW_PARTIAL))
    api = SCENARIO_APIS[options.scenario][0]
    host = found[api].base_url if api in found else ""
    launched = run_locust(options, plan, env, host, run_dir, loadtests)
    secrets = tuple(t.key for t in found.values())
    target = " ".join(dict.fromkeys(t.base_url for t in found.values()))
    run_dir.scrub_logs(["locust.log"], secrets)
    raw = _collect(options, run_dir)
    if options.master:  # the targets the workers loaded (each its own; the master loads nothing)
        target = " ".join(dict.fromkeys(raw.manifest.get("worker_targets", {}).values())) or "?"
    # the run's own clock (the raw data's start, after the generator's start-up, to the stop) when kept
    manifest = raw.manifest
    run_s = float(manifest.get("stopped", 0.0)) - float(manifest["started"])
    if not 0 < run_s <= launched.elapsed_s:
        run_s = min(launched.elapsed_s, options.run_time_s)
    summary = summarize(
        raw,
        scenario=options.scenario,
        target=target,
        model=_model(options, plan),
        deadlines={
            "request_s": plan.deadlines.request_s,
            "stream_idle_s": plan.deadlines.stream_idle_s,
            "stream_s": plan.deadlines.stream_s,
        },
        duration_s=max(1e-3, run_s - options.warmup_s),
        raw_dir="raw",
        slo_window_s=plan.slo_window_s,
        rows=read_judged_rows(run_dir.path("raw")),
        slo=slo,
        embedded=any(t.embedded for t in found.values()),
        specs=tuple(spec_sources(SCENARIO_APIS[options.scenario])),
    )
    return LoadResult(summary, judge(summary, slo), Path(run_dir.root), secrets)


def rejudge(scenario_dir: Path, slo_file: Path | None = None, *, no_slo: bool = False) -> LoadResult:
    """Judge a kept run again (``<report-dir>/<scenario>/``: its ``summary.json`` and ``raw/``) by
    another SLO file (layered over the shipped one, as ``read_slo`` reads it): the summary is rebuilt
    from the raw data, goodput from the kept rows."""
    try:
        kept = json.loads((scenario_dir / "summary.json").read_text(encoding="utf-8"))
        raw_dir = scenario_dir / str(kept["raw"]["dir"])
        raw = read_raw(raw_dir)
        rows = read_judged_rows(raw_dir)
        model = ModelInfo(**kept["model"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{scenario_dir}: not a kept chatgate load run ({exc})") from None
    scenario = str(kept["scenario"])
    slo = read_slo(slo_file, scenario, no_slo=no_slo)
    summary = summarize(
        raw,
        scenario=scenario,
        target=str(kept["target"]),
        model=model,
        deadlines=kept["deadlines"],
        duration_s=float(kept["duration_s"]),
        raw_dir=str(kept["raw"]["dir"]),
        slo_window_s=slo.scenario(scenario).slo_window_s,
        rows=rows,
        slo=slo,
        embedded=bool(kept.get("embedded", False)),
        specs=tuple(kept.get("specs") or ()),
    )
    return LoadResult(summary, judge(summary, slo), scenario_dir)
