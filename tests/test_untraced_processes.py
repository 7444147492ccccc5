"""tests/untraced_processes.txt (written by scripts/untraced_processes.py) names only tests that exist: a
renamed test would otherwise silently trace its processes again, or a stale line would hide a typo."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT, listed_untraced_processes


def test_every_listed_test_is_collected() -> None:
    listed = listed_untraced_processes()
    assert listed == sorted(set(listed)), "one test a line, sorted"
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=True,
    ).stdout.splitlines()  # fmt: skip
    missing = set(listed) - set(collected)
    assert not missing, sorted(missing)[:10]
