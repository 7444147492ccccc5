"""The test tiers' coverage floors (scripts/coverage_floor.py, read by scripts/test): each tier is judged
by its own, from pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from tests.conftest import ROOT


def _floor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "scripts/coverage_floor.py", *args], cwd=ROOT, capture_output=True, text=True
    )


def test_each_tier_is_judged_by_its_own_floor() -> None:
    floors = {tier: float(_floor(tier).stdout) for tier in ("default", "all", "e2e")}
    assert float(_floor().stdout) == floors["default"]  # scripts/test with no tier flag
    # The minimum, and no higher than both tiers together (the default tier samples their runs).
    assert 85 <= floors["default"] <= floors["all"]
    assert floors["e2e"] == 0  # judged only together with the default tier (--all)


def test_an_unknown_tier_is_a_one_line_error() -> None:
    proc = _floor("nightly")
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip() == "coverage_floor.py: unknown tier 'nightly' (one of: all, default, e2e)"


def test_the_tiers_table_holds_only_its_floor_and_coverage_keeps_its_report_settings() -> None:
    """A key written under the wrong table is read by nobody: ``[tool.chatgate.tests]`` once landed in the
    middle of ``[tool.coverage.report]`` and took ``exclude_also`` and ``skip_covered`` with it."""
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    assert set(tool["chatgate"]["tests"]) == {"default_tier_coverage_floor"}
    assert {"fail_under", "skip_covered", "exclude_also"} <= set(tool["coverage"]["report"])
