"""What a lint run found: one ``FileResult`` per spec, gathered in a ``LintResult`` (immutable)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chatgate.specs import SpecProblem

__all__ = ["PASSES", "FileResult", "LintResult"]

PASSES = (
    "openapi-spec-validator",
    "examples",
    "x-chatgate",
)  # always run; "redocly recommended" when installed


@dataclass(frozen=True, slots=True)
class FileResult:
    """The problems of one spec, or ``unusable``: the one line saying why it could not be linted at all
    (unreadable, not YAML, not an OpenAPI 3.x document)."""

    path: Path
    problems: tuple[SpecProblem, ...] = ()
    unusable: str | None = None

    @property
    def errors(self) -> int:
        return 1 if self.unusable else sum(p.severity == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity == "warning" for p in self.problems)

    @property
    def valid(self) -> bool:
        return self.errors == 0


@dataclass(frozen=True, slots=True)
class LintResult:
    """Every spec's result; ``ruleset`` is None when Redocly CLI was not installed (pass not run)."""

    files: tuple[FileResult, ...]
    ruleset: str | None

    @property
    def valid(self) -> bool:
        return all(f.valid for f in self.files)

    @property
    def invalid(self) -> tuple[Path, ...]:
        return tuple(f.path for f in self.files if not f.valid)
