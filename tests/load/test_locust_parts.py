"""The Locust side on its own: load shapes, Poisson arrivals, plain ``locust -f``, and ``--ui``.

Anything that imports Locust runs in a child process: Locust patches the standard library with gevent
on import, which must never happen inside the test process.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chatgate.load.config import SCENARIOS
from chatgate.resources import loadtests_dir

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, **env: str) -> Any:
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=loadtests_dir(),
        env={**os.environ, **env},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


SHAPE_TICKS = """
import json, shapes
s = shapes.ChatgateShape()
out = []
for t in (0, 10, 50, 99, 100):
    s.get_run_time = lambda t=t: t
    tick = s.tick()
    out.append(list(tick) if tick else None)
print(json.dumps(out))
"""


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ("smoke", [[2, 2.0], [2, 2.0], [2, 2.0], [2, 2.0], None]),
        ("ramp", [[1, 40.0], [4, 40.0], [20, 40.0], [40, 40.0], None]),
        ("spike", [[10, 40.0], [10, 40.0], [40, 40.0], [10, 40.0], None]),
        ("soak", [[40, 40.0], [40, 40.0], [40, 40.0], [40, 40.0], None]),
    ],
)
def test_shapes_follow_their_curve_and_stop(shape: str, expected: list[Any]) -> None:
    ticks = _python(SHAPE_TICKS, CHATGATE_SHAPE=shape, CHATGATE_SHAPE_USERS="40", CHATGATE_SHAPE_TIME="100")
    assert ticks == expected


ARRIVALS = """
import dataclasses, json, statistics
import locust  # first, as under `locust -f`: it patches the standard library
from chatgate.load.arrivals import OpenModel
from chatgate.load.generator import Generator, Settings
out = {}
for poisson in (False, True):
    settings = dataclasses.replace(Settings.from_env(None), poisson=poisson)
    gen = Generator(settings, on_done=lambda o: None)
    gen.rng.seed(7)
    model = OpenModel(gen, (), rate=100.0, cap=1)
    gaps = [model._gap() for _ in range(20000)]
    out[str(poisson)] = [statistics.mean(gaps), statistics.pstdev(gaps)]
print(json.dumps(out))
"""


def test_constant_and_poisson_arrivals_have_the_rate_and_their_spread() -> None:
    stats = _python(ARRIVALS)
    mean, sd = stats["False"]
    assert mean == pytest.approx(0.01, rel=1e-6) and sd == pytest.approx(0.0, abs=1e-9)
    mean, sd = stats["True"]
    assert mean == pytest.approx(0.01, rel=0.03)
    assert sd == pytest.approx(mean, rel=0.05)  # exponential gaps: standard deviation = mean


STOP_RACE = """
import json, sys, time
import locust  # first, as under `locust -f`: it patches the standard library
import gevent
from chatgate.load import users
from chatgate.load.arrivals import OpenModel
from chatgate.load.generator import Generator, Settings

class Runner:  # Locust's stop(): its inspect.stack() holds the loop before test_stopping fires
    def stop(self):
        end = time.perf_counter() + 0.1
        while time.perf_counter() < end:
            pass
        users._on_stopping()

gen = users._State.gen = Generator(Settings.from_env(None), on_done=lambda o: None)
model = users._State.model = OpenModel(gen, [(1.0, lambda g, a: None)], rate=100.0, cap=10)
users._State.stopping = False
runner = Runner()
if sys.argv[1] == "marked":
    users._mark_stop_when_it_begins(runner)
scheduler = gevent.spawn(model.run)
gevent.sleep(0.5)
runner.stop()
scheduler.join()
c = gen.recorder.counters
print(json.dumps({"offered": c["offered"], "generator": c["not_sent:generator"]}))
"""


@pytest.mark.parametrize("marked", [True, False], ids=["in-locusts-stop", "a-stall-then-the-stop"])
def test_arrivals_due_while_locust_stops_are_not_the_generators(marked: bool) -> None:
    """Locust's stop() holds the event loop (~25 ms of inspect.stack(); 100 ms here) before it fires
    test_stopping: the arrivals due then are not ones the generator failed to send, and are not offered
    (the stop is marked when stop() begins). The same stall before a stop that is only marked at
    test_stopping is the generator's: ~10 arrivals due and never issued (how the race was counted)."""
    proc = subprocess.run(
        [sys.executable, "-c", STOP_RACE, "marked" if marked else "late"],
        capture_output=True, text=True, timeout=120, cwd=loadtests_dir(), check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    counts = json.loads(proc.stdout.strip().splitlines()[-1])
    if marked:
        assert counts["generator"] == 0 and 45 <= counts["offered"] <= 55, counts  # 0.5 s at 100/s
    else:
        assert counts["generator"] >= 5 and counts["offered"] >= 55, counts


@pytest.mark.slow
# The streaming, sending and mixed scenarios in the default tier, the two read scenarios in the e2e tier
# (.ci/run runs both; the default tier's load runs read both APIs).
@pytest.mark.parametrize(
    "scenario",
    [pytest.param(s, marks=pytest.mark.e2e if s.endswith("-reads") else ()) for s in SCENARIOS],
)
def test_each_scenario_runs_with_plain_locust(scenario: str, shared_server: Any, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHATGATE_", "NARA_", "NAVIGABLE_"))}
    prefix = tmp_path / "plain"
    proc = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(loadtests_dir() / SCENARIOS[scenario]), "--headless",
         "-u", "2", "-r", "2", "-t", "3s", "-H", shared_server.base_url, "--csv", str(prefix),
         "--only-summary", "--loglevel", "WARNING"],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        total = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    assert int(total["Request Count"]) > 0 and int(total["Failure Count"]) == 0, total


@pytest.mark.e2e
@pytest.mark.slow
def test_ui_mode_runs_and_reports_like_headless(tmp_path: Path, lenient_slo: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "chatgate", "load", "--ui", "--scenario", "navigable-reads",
         "--arrival-rate", "5", "--run-time", "3s", "--report-dir", str(tmp_path), "--slo", str(lenient_slo)],
        capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads((tmp_path / "navigable-reads" / "summary.json").read_text(encoding="utf-8"))
    assert summary["requests"] >= 10 and summary["error_rate"] == 0.0
    assert (tmp_path / "navigable-reads" / "locust.html").stat().st_size > 0


def test_locust_gets_whole_seconds_rounded_up(tmp_path: Path) -> None:
    """Locust rejects "12.5" as a time span: a fractional drain (capacity's steps) or run time is rounded
    up, so a run is never cut short and Locust never exits on its own flags."""
    from chatgate.load.config import load_options, plan_run
    from chatgate.load.launch import _commands
    from chatgate.load.slo import load_slo
    from chatgate.resources import loadtests_dir

    options = load_options(arrival_rate=4.0, run_time_s=8.5, stop_timeout_s=12.25, report_dir=tmp_path)
    plan = plan_run(options, load_slo(loadtests_dir() / "slo.toml"))
    master = _commands(options, plan, tmp_path / "locustfile.py", "http://127.0.0.1:9", tmp_path)[0]
    assert master[master.index("--stop-timeout") + 1] == "13"
    assert master[master.index("-t") + 1] == "9s"
