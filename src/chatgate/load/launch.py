"""Start Locust in child processes (one local process; a master and N local workers; a master alone for
remote workers, ``--master``) and wait for them. ``chatgate load --worker`` starts its worker processes
with :func:`worker_command` (``chatgate.load.worker``).

Locust never runs in the CLI's own process, so gevent's monkey-patching stays out of it. Its processes
run in the folder of the Locust files (:func:`locust_cwd`), with every path they are given absolute:
Locust puts its working directory first on the import path, and a user's ``chatgate/`` folder or
``locust.py`` there would be imported in place of chatgate's or Locust's own. What the
children write while they run goes to the run directory: ``locust.log`` (a live file of the run's
``RunDir``), Locust's CSVs and HTML, and the raw data (``RAW_PARTIAL``, moved to ``raw/`` only once
the run has been read, so a failed run never leaves a half-written ``raw/`` over a good one).
"""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from chatgate.apis import ApiName, scheme_variable
from chatgate.artifacts import RunDir
from chatgate.contract_model import model_for
from chatgate.embedded import EmbeddedServer, free_port
from chatgate.errors import TargetError
from chatgate.load.config import SCENARIO_APIS, SCENARIOS, LoadOptions, RunPlan
from chatgate.probe import check_target
from chatgate.resources import python_command
from chatgate.targets import Target, credentials, resolve_targets

__all__ = ["RAW_PARTIAL", "Launched", "locust_cwd", "locust_env", "run_locust", "targets", "worker_command"]

RAW_PARTIAL = ".raw-partial"
DEFAULT_SEED_MESSAGES = 300
START_MARGIN_S = 60.0  # Locust's own start-up and shutdown, on top of run time and drain


@contextlib.contextmanager
def targets(options: LoadOptions) -> Iterator[dict[ApiName, Target]]:
    """The target of each API the scenario calls: real ones probed, the embedded server where none is set.

    Keys are checked before anything starts (a missing key for a real target is a UsageError naming its
    variable); the embedded server, when needed, is started once and gets the dev keys.
    """
    apis = SCENARIO_APIS[options.scenario]
    urls, _origins = resolve_targets(list(apis), options.base_url)
    for api in apis:
        if urls[api] is not None:
            credentials(api, str(urls[api]), embedded=False)
    with contextlib.ExitStack() as stack:
        embedded_url = ""
        if any(u is None for u in urls.values()):
            args = [a for arg in options.server_args for a in arg.split()]
            if "--seed-messages" not in args:
                args += ["--seed-messages", str(DEFAULT_SEED_MESSAGES)]
            embedded_url = stack.enter_context(EmbeddedServer(args)).base_url
        found = {api: credentials(api, urls[api] or embedded_url, urls[api] is None) for api in apis}
        yield {api: check_target(target)[0] for api, target in found.items()}


def locust_env(
    options: LoadOptions, plan: RunPlan, found: Mapping[ApiName, Target], raw_dir: Path | None
) -> dict[str, str]:
    """The environment of the Locust processes (what ``chatgate.load.generator.Settings`` reads; the
    raw data's directory only where the master or the single process writes it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATGATE_")}
    if raw_dir is not None:
        env["CHATGATE_RAW_DIR"] = str(raw_dir.resolve())
    env.update(
        {
            "CHATGATE_SCENARIO": options.scenario,
            "CHATGATE_RUN_TIME": f"{options.run_time_s:g}",
            "CHATGATE_WORKERS": str(options.processes),
            "CHATGATE_VALIDATE_SAMPLE": str(options.validate_sample),
            "CHATGATE_INTERVAL": str(plan.interval_s),
            "CHATGATE_WARMUP": str(options.warmup_s),
            "CHATGATE_REQUEST_TIMEOUT": str(plan.deadlines.request_s),
            "CHATGATE_STREAM_IDLE_TIMEOUT": str(plan.deadlines.stream_idle_s),
            "CHATGATE_STREAM_TIMEOUT": str(plan.deadlines.stream_s),
            "PYTHONUNBUFFERED": "1",
        }
    )
    for name in ("CHATGATE_LOADTESTS", "CHATGATE_SPECS_DIR"):  # folders: absolute (see locust_cwd)
        if os.environ.get(name, "").strip():
            env[name] = str(Path(os.environ[name].strip()).resolve())
    if "CHATGATE_CPU_BUDGET" in os.environ:
        env["CHATGATE_CPU_BUDGET"] = os.environ["CHATGATE_CPU_BUDGET"]
    if options.arrival_rate is not None:
        env["CHATGATE_ARRIVAL_RATE"] = str(options.arrival_rate)
        env["CHATGATE_POISSON"] = "1" if options.poisson else "0"
        env["CHATGATE_MAX_IN_FLIGHT"] = str(plan.max_in_flight)
    if options.shape is not None:
        env.update(CHATGATE_SHAPE=options.shape, CHATGATE_SHAPE_USERS=str(plan.users))
        env["CHATGATE_SHAPE_TIME"] = str(options.run_time_s)
    if options.max_requests is not None:
        env["CHATGATE_MAX_REQUESTS"] = str(options.max_requests)
    if options.abort_on_error_rate is not None:
        env["CHATGATE_ABORT_ON_ERROR_RATE"] = str(options.abort_on_error_rate)
    if plan.message_lengths:
        env["CHATGATE_MESSAGE_LENGTHS"] = ",".join(f"{c}:{w:g}" for c, w in plan.message_lengths)
    for api, t in found.items():  # what the locustfiles read
        env[f"{api.upper()}_BASE_URL"] = t.base_url
        env[f"{api.upper()}_API_KEY"] = t.key
        if t.scheme is not None:
            env[scheme_variable(api)] = t.scheme
        identity = model_for(api).identity_variable()  # the variable the spec's identity is read from
        if t.user_id is not None and identity is not None:
            env[identity] = str(t.user_id)
    env.update(options.extra_env)
    return env


def locust_cwd(loadtests: Path) -> Path:
    """The working directory of the Locust processes: the folder of the Locust files (chatgate's own;
    Locust puts it on the import path anyway), never the user's (see the module docstring)."""
    return loadtests.resolve()


def _base(options: LoadOptions, locustfile: Path) -> list[str]:
    return [
        *options.generator_prefix,
        *python_command(),  # -P: a locust.py or chatgate/ in the working directory is not imported
        "-m",
        "locust",
        "-f",
        str(locustfile.resolve()),
        "--loglevel",
        "WARNING",
    ]


def worker_command(options: LoadOptions, locustfile: Path, master_host: str, master_port: int) -> list[str]:
    """One Locust worker process connecting to the master at ``master_host:master_port``."""
    return [
        *_base(options, locustfile),
        "--worker",
        "--master-host",
        master_host,
        "--master-port",
        str(master_port),
    ]


def _commands(options: LoadOptions, plan: RunPlan, locustfile: Path, host: str, out: Path) -> list[list[str]]:
    """The master first (or the single process), then any local workers."""
    # Locust takes whole seconds only ("12.5" is a usage error): round up, never cut a run or a drain short
    stop, run_time = math.ceil(options.stop_timeout_s), math.ceil(options.run_time_s)
    run = ["--stop-timeout", str(stop), "-t", f"{run_time}s"]
    run += ["-H", host] if host else []
    if options.shape is None:
        run += ["-u", str(plan.users), "-r", f"{plan.spawn_rate:g}"]
    run += ["--csv", str(out / "locust"), "--csv-full-history", "--html", str(out / "locust.html")]
    if options.ui:
        run += ["--web-host", "127.0.0.1", "--web-port", str(free_port()), "--autostart", "--autoquit", "5"]
    else:
        run += ["--headless", "--only-summary"]
    base = _base(options, locustfile)
    if not options.workers and not options.master:
        return [[*base, *run]]
    bind, port = (
        (options.master_bind_host, options.master_bind_port) if options.master else ("127.0.0.1", free_port())
    )
    master = [*run, "--master", "--master-bind-host", bind, "--master-bind-port", str(port)]
    master += ["--expect-workers", str(options.processes)]
    master += ["--expect-workers-max-wait", f"{max(1, round(options.expect_workers_max_wait_s))}"]
    local = [worker_command(options, locustfile, "127.0.0.1", port) for _ in range(options.workers)]
    return [[*base, *master], *local]


@dataclass(frozen=True)
class Launched:
    """When the Locust run started (Unix seconds) and how long it took (wall seconds)."""

    started: float
    elapsed_s: float


def run_locust(
    options: LoadOptions, plan: RunPlan, env: Mapping[str, str], host: str, run_dir: RunDir, loadtests: Path
) -> Launched:
    """Run Locust to its end (bounded: run time + drain + a start-up margin, else TargetError)."""
    cmds = _commands(options, plan, loadtests / SCENARIOS[options.scenario], host, run_dir.root.resolve())
    limit = options.run_time_s + options.stop_timeout_s + START_MARGIN_S
    if options.master or options.workers:
        limit += options.expect_workers_max_wait_s
    started, wall = time.time(), time.perf_counter()
    procs: list[subprocess.Popen[bytes]] = []
    with run_dir.log("locust.log") as log:
        try:
            for i, cmd in enumerate(cmds):
                out = log if i == 0 else subprocess.DEVNULL
                cwd = locust_cwd(loadtests)
                procs.append(
                    subprocess.Popen(
                        cmd, env=dict(env), cwd=cwd, stdout=out, stderr=log, stdin=subprocess.DEVNULL
                    )
                )
            deadline = time.monotonic() + limit
            for p in procs:
                p.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise TargetError(
                f"Locust did not finish within {limit:.0f}s; see {run_dir.path('locust.log')}"
            ) from None
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
    return Launched(started, time.perf_counter() - wall)
