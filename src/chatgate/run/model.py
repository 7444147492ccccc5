"""What the main job produced: one ``PartResult`` per part, gathered in a ``RunResult`` (immutable)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chatgate.errors import EXIT_OK, EXIT_USAGE

__all__ = ["VERDICTS", "PartResult", "RunResult"]

VERDICTS = {0: "PASS", 1: "FAIL", 2: "ERROR", 3: "UNREACHABLE", 4: "INVALID"}


@dataclass(frozen=True, slots=True)
class PartResult:
    """One part: its exit code and time, the ``summary.json`` it wrote (empty when none), and its
    report files and plots as paths relative to the job's report folder (``/``-separated)."""

    name: str
    kind: str  # lint | contract | load | docs
    exit_code: int
    seconds: float
    summary: Mapping[str, Any]
    reports: tuple[str, ...] = ()
    plots: tuple[str, ...] = ()
    message: str = ""  # the part's last ``chatgate: error:`` line when it failed to run

    @property
    def verdict(self) -> str:
        return VERDICTS.get(self.exit_code, "ERROR")


@dataclass(frozen=True, slots=True)
class RunResult:
    """Every part, in the order they ran."""

    parts: tuple[PartResult, ...]

    @property
    def exit_code(self) -> int:
        """The highest of the parts' codes (an unknown code counts as a usage error)."""
        code = max((p.exit_code for p in self.parts), default=EXIT_OK)
        return code if code in VERDICTS else EXIT_USAGE

    @property
    def verdict(self) -> str:
        return "PASS" if self.exit_code == EXIT_OK else "FAIL"

    @property
    def embedded(self) -> bool:
        """A part's target was the embedded reference server (its summary.json says so)."""
        return any(p.summary.get("embedded") is True for p in self.parts)
