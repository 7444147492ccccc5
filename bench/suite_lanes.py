"""Would the timing tests measure as if alone with the rest of the suite running beside them?

    sudo .venv/bin/python bench/suite_lanes.py [--rounds 2] [--seconds 8] [--bulk gate|spin] [--out FILE]

Tried for scripts/test, and dropped (BENCHMARKS.md): the tests marked ``timing`` (load runs judged on
their figures) at normal priority, every other test beside them at a low priority (a cpu cgroup with a
quarter of a task's share, or nice 19 / ionice idle). This measures what each priority costs the timing
side. Each round runs one open-model load run (``chatgate load --scenario nara-stream-sends
--arrival-rate 20`` against the embedded server paced at TTFT 100 ms, then 10 deltas 20 ms apart) in
each condition, in rotating order:

- ``alone``: nothing else running;
- ``beside, cpu cgroup (shares 256), own sessions``: two bulk processes in a cgroup-v1 cpu group with
  ``cpu.shares`` 256 (a nice-0 task has 1024), each in its own session (root);
- ``beside, nice 19, same session``: the two at nice 19 / ionice idle, in this session (the fallback);
- ``beside, nice 19, own sessions``: the same, each starting a session (the autogroup pitfall: nice
  then only ranks tasks inside the session's own scheduling group);
- ``beside, nice 0``: the two at normal priority (how the suite's phases used to contend on CI).

The bulk (``--bulk``): ``gate`` loops ``chatgate contract --max-examples 2`` runs on their own embedded
servers (the bulk lane's real work: subprocesses, sockets, SQLite, allocation), ``spin`` a pure CPU
loop. Reported per condition: the median over rounds of TTFT p50 and p99 minus the truth, ITL p99
minus the truth, the generator's loop lag p99 and max and its schedule slip p99, and the verdicts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TTFT_MS, ITL_MS = 100.0, 20.0
PACING = f"--ttft-ms {TTFT_MS:g} --itl-ms {ITL_MS:g} --reply-tokens 10"
KEYS = {"NARA_API_KEY": "nara-dev-key-1001", "NAVIGABLE_API_KEY": "navigable-dev-key", "NARA_USER_ID": "1001"}
CONDITIONS = (
    "alone",
    "beside, cpu cgroup (shares 256), own sessions",
    "beside, nice 19, same session",
    "beside, nice 19, own sessions",
    "beside, nice 0",
)
GATE_LOOP = (
    "import subprocess, sys, tempfile\n"
    "while True:\n"
    "    with tempfile.TemporaryDirectory() as d:\n"
    "        subprocess.run([sys.executable, '-m', 'chatgate', 'contract', '--max-examples', '2',"
    " '--report-dir', d], capture_output=True)\n"
)
SPIN = "while True:\n    pass\n"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NARA_", "NAVIGABLE_", "CHATGATE_"))}
    return {**env, **KEYS}


def _cgroup() -> Path | None:
    """A cgroup-v1 cpu group with a quarter of a task's share (root only)."""
    root = Path("/sys/fs/cgroup/cpu")
    if not (root / "cpu.shares").is_file() or not os.access(root, os.W_OK):
        return None
    group = root / f"chatgate-bench-{os.getpid()}"
    group.mkdir(exist_ok=True)
    (group / "cpu.shares").write_text("256")
    return group


@contextmanager
def bulk(condition: str, kind: str) -> Iterator[None]:
    """Two bulk processes for the condition (none when ``alone``), stopped (with their children) after.

    "own sessions": each bulk process starts a session, as Playwright's browser and the multi-host
    tests' processes do. With autogroup scheduling (on here, and Linux's default on desktops) a session
    is its own group, and nice then only ranks tasks inside it: the bulk competes as a peer again."""
    if condition == "alone":
        yield
        return
    low = ["nice", "-n", "19"] + (["ionice", "-c", "3"] if shutil.which("ionice") else [])
    prefix = low if "nice 19" in condition else []
    group = _cgroup() if "cgroup" in condition else None
    if "cgroup" in condition and group is None:
        raise SystemExit("the cgroup condition needs root and a cgroup-v1 cpu hierarchy")
    code = GATE_LOOP if kind == "gate" else SPIN
    own = "own sessions" in condition
    procs = []
    for _ in range(2):
        proc = subprocess.Popen(
            [*prefix, sys.executable, "-c", code],
            env=_env(),
            start_new_session=own,
            process_group=None if own else 0,
        )
        if group is not None:
            (group / "cgroup.procs").write_text(str(proc.pid))  # its children are born in the group
        procs.append(proc)
    time.sleep(3)  # the bulk under way (its first gate runs started) before the measured run
    try:
        yield
    finally:
        for proc in procs:
            os.killpg(proc.pid, 15)
        for proc in procs:
            proc.wait()
        if group is not None:
            time.sleep(0.5)
            with contextlib.suppress(OSError):
                group.rmdir()


def load_run(seconds: int, out: Path) -> dict[str, Any]:
    cmd = [
        sys.executable, "-m", "chatgate", "load", "--scenario", "nara-stream-sends", "--arrival-rate", "20",
        "--run-time", f"{seconds}s", "--server-arg", PACING, "--report-dir", str(out),
    ]  # fmt: skip
    subprocess.run(cmd, env=_env(), capture_output=True, text=True, check=False, timeout=seconds + 120)
    summary: dict[str, Any] = json.loads((out / "nara-stream-sends" / "summary.json").read_text("utf-8"))
    return summary


def figures(s: dict[str, Any]) -> dict[str, float]:
    m = s["monitor"]
    return {
        "ttft_p50_err": s["ttft"]["p50"] - TTFT_MS,
        "ttft_p99_err": s["ttft"]["p99"] - TTFT_MS,
        "itl_p99_err": s["itl"]["p99"] - ITL_MS,
        "lag_p99": m["loop_lag_p99_ms"],
        "lag_max": m["loop_lag_max_ms"],
        "slip_p99": m["schedule_slip_p99_ms"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--bulk", choices=("gate", "spin"), default="gate")
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args()
    rows: dict[str, list[dict[str, float]]] = {c: [] for c in CONDITIONS}
    verdicts: dict[str, list[str]] = {c: [] for c in CONDITIONS}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            order = CONDITIONS[i % len(CONDITIONS) :] + CONDITIONS[: i % len(CONDITIONS)]
            for condition in order:
                with bulk(condition, args.bulk):
                    s = load_run(args.seconds, Path(tmp) / f"{i}-{condition.replace(' ', '-')}")
                rows[condition].append(figures(s))
                verdicts[condition].append(s["verdict"])
                print(f"round {i + 1} {condition}: {figures(s)} {s['verdict']}", file=sys.stderr, flush=True)
    keys = ("ttft_p50_err", "ttft_p99_err", "itl_p99_err", "lag_p99", "lag_max", "slip_p99")
    lines = [
        f"# suite_lanes: {args.rounds} rounds, {args.seconds} s open-model runs at 20/s, bulk={args.bulk}, "
        f"{platform.python_version()}, {os.cpu_count()} CPUs",
        "",
        "| condition | TTFT p50 err ms | TTFT p99 err ms | ITL p99 err ms | loop lag p99 ms "
        "| loop lag max ms | schedule slip p99 ms | verdicts |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for condition in CONDITIONS:
        med = {k: statistics.median(r[k] for r in rows[condition]) for k in keys}
        cells = " | ".join(f"{med[k]:+.1f}" if k.endswith("err") else f"{med[k]:.1f}" for k in keys)
        lines.append(f"| {condition} | {cells} | {', '.join(verdicts[condition])} |")
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        args.out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
