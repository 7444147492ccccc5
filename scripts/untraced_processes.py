"""Choose the tests whose started processes need no coverage tracing: tests/untraced_processes.txt.

    .venv/bin/python scripts/untraced_processes.py [--workers 3]     # ~12 min; rewrites the list

Coverage's tracer roughly doubles the CPU of every process a test starts (a gate's suite child, a
``chatgate`` CLI run, a reference server, Locust). Most of those processes run code paths that other
tests' processes run too. This runs every test that is not ``timing`` once, traced, with the processes
each test starts writing their coverage data under a directory of that test's own
(``CHATGATE_TESTS_PROCESS_COVERAGE_DIR``, tests/conftest.py). Then it picks, greedily, the fewest tests
whose processes cover every arc that processes cover and the test processes themselves do not
(set cover). Every other test with traced processes is written to the list: tests/conftest.py runs
their processes untraced. The tests themselves stay traced.

A test added later is not in the list, so its processes are traced. The coverage floor catches a list
gone stale (a kept test whose processes were the only ones to reach some code, now untraced): run this
again.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from coverage import CoverageData

ROOT = Path(__file__).resolve().parents[1]
LIST = ROOT / "tests" / "untraced_processes.txt"
HEADER = """\
# Tests whose started processes run without coverage tracing (tests/conftest.py): every arc their
# processes reach, other tests' traced processes or the test processes reach too (measured by
# scripts/untraced_processes.py, which rewrites this file; see its docstring). One test id a line.
"""

Arc = tuple[str, tuple[int, int]]


def _arcs(files: list[Path]) -> set[Arc]:
    out: set[Arc] = set()
    for file in files:
        data = CoverageData(basename=str(file))
        data.read()
        for source in data.measured_files():
            out.update((source, arc) for arc in data.arcs(source) or [])
    return out


def _measure(workers: int, where: Path) -> tuple[set[Arc], dict[str, set[Arc]]]:
    per_test = where / "tests"
    env = {
        **os.environ,
        "CHATGATE_TESTS_PROCESS_COVERAGE_DIR": str(per_test),
        "COVERAGE_FILE": str(where / ".c"),
    }
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", str(workers), "-m",
               "not timing", "--cov", "--cov-report=", "--cov-fail-under=0"]  # fmt: skip
    code = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
    if code != 0:  # the data of the tests that ran is still good; a failing test is for the suite to say
        print(f"untraced_processes: pytest exited {code}; choosing from the tests that ran", file=sys.stderr)
    in_tests = _arcs([where / ".c"])
    started: dict[str, set[Arc]] = {}
    for directory in per_test.iterdir():
        files = sorted(directory.glob(".c*"))
        if files:
            started[(directory / "nodeid").read_text(encoding="utf-8")] = _arcs(files)
    return in_tests, started


def choose(in_tests: set[Arc], started: dict[str, set[Arc]]) -> tuple[list[str], int]:
    """The tests whose processes stay traced (greedy set cover of what only processes reach), and the
    number of arcs only processes reach."""
    left = set().union(*started.values()) - in_tests if started else set()
    needed, kept = len(left), []
    while left:
        best = max(sorted(started), key=lambda t: len(started[t] & left))
        if not started[best] & left:
            break
        kept.append(best)
        left -= started[best]
    return kept, needed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    where = Path(tempfile.mkdtemp(prefix="chatgate-processes-"))
    try:
        in_tests, started = _measure(args.workers, where)
    finally:
        shutil.rmtree(where, ignore_errors=True)
    kept, needed = choose(in_tests, started)
    untraced = sorted(set(started) - set(kept))
    LIST.write_text(HEADER + "".join(f"{t}\n" for t in untraced), encoding="utf-8")
    print(f"{len(started)} tests start traced processes; {needed} arcs only processes reach;")
    print(f"{len(kept)} tests' processes cover them and stay traced; {len(untraced)} listed in {LIST.name}")


if __name__ == "__main__":
    main()
