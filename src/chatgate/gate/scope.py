"""What a gate run covers: checks, operations, generation mode, extra headers, and the read-only profile.

The flags follow schemathesis' spellings (``--checks``, ``--exclude-checks``, ``--include-operation-id``,
``--exclude-operation-id``, ``--include-name 'METHOD /path'``, ``--exclude-name``, ``--mode``,
``-H/--header``). ``--read-only`` is the production smoke profile: only GET operations, no stateful
chains, no check that must create messages (the suite's writing tests are ``not_run``), so the run
creates no message. The suite reads its scope from the environment (``CHATGATE_SCOPE``, JSON), so
``pytest contracts/`` honours the same scope as ``chatgate contract``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from chatgate.errors import UsageError
from chatgate.gate.catalogue import CHECKS

__all__ = ["ENV_VAR", "Mode", "Scope", "looks_secret", "parse_header"]

ENV_VAR = "CHATGATE_SCOPE"
Mode = Literal["positive", "negative", "all"]
_SECRET_NAME = re.compile(r"auth|key|token|secret|cookie|session|passw|signature|credential", re.I)


def looks_secret(header_name: str) -> bool:
    """A header whose value is masked like an API key (``Authorization``, ``X-Token``, ``Cookie``...)."""
    return bool(_SECRET_NAME.search(header_name))


def parse_header(text: str) -> tuple[str, str]:
    """``'Name: value'`` -> (name, value); UsageError otherwise."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip() or not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name.strip()):
        raise UsageError(f"-H/--header: expected 'Name: value', got {text!r}")
    return name.strip(), value.strip()


@dataclass(frozen=True, slots=True)
class Scope:
    """The selection of one run. Empty include lists mean "everything"."""

    checks: tuple[str, ...] = ()
    exclude_checks: tuple[str, ...] = ()
    include_operation_ids: tuple[str, ...] = ()
    exclude_operation_ids: tuple[str, ...] = ()
    include_names: tuple[str, ...] = ()
    exclude_names: tuple[str, ...] = ()
    mode: Mode = "all"
    read_only: bool = False
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def check_selected(self, name: str) -> bool:
        if name in self.exclude_checks:
            return False
        if self.read_only and CHECKS.get(name) is not None and CHECKS[name].writes:
            return False
        return not self.checks or name in self.checks

    def why_not_selected(self, name: str) -> str | None:
        if name in self.exclude_checks:
            return "excluded (--exclude-checks)"
        if self.read_only and CHECKS.get(name) is not None and CHECKS[name].writes:
            return "needs to create messages (--read-only)"
        if self.checks and name not in self.checks:
            return "not selected (--checks)"
        return None

    def operation_selected(self, method: str, path: str, operation_id: str) -> bool:
        name = f"{method.upper()} {path}"
        if self.read_only and method.upper() != "GET":
            return False
        if operation_id in self.exclude_operation_ids or name in self.exclude_names:
            return False
        if not self.include_operation_ids and not self.include_names:
            return True
        return operation_id in self.include_operation_ids or name in self.include_names

    @property
    def secrets(self) -> list[str]:
        """Header values to mask in every output."""
        return [v for k, v in self.headers if looks_secret(k) and v]

    def describe(self) -> dict[str, object]:
        """The scope as reports show it (secret header values masked)."""
        return {
            "checks": list(self.checks),
            "exclude_checks": list(self.exclude_checks),
            "include_operation_ids": list(self.include_operation_ids),
            "exclude_operation_ids": list(self.exclude_operation_ids),
            "include_names": list(self.include_names),
            "exclude_names": list(self.exclude_names),
            "mode": self.mode,
            "read_only": self.read_only,
            "headers": [f"{k}: {'***' if looks_secret(k) else v}" for k, v in self.headers],
        }

    def to_env(self) -> dict[str, str]:
        data = {**self.describe(), "headers": [list(h) for h in self.headers]}
        return {ENV_VAR: json.dumps(data)}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Scope:
        raw = (environ if environ is not None else os.environ).get(ENV_VAR, "")
        if not raw:
            return cls()
        try:
            data = json.loads(raw)
            return cls(
                checks=tuple(data.get("checks", ())),
                exclude_checks=tuple(data.get("exclude_checks", ())),
                include_operation_ids=tuple(data.get("include_operation_ids", ())),
                exclude_operation_ids=tuple(data.get("exclude_operation_ids", ())),
                include_names=tuple(data.get("include_names", ())),
                exclude_names=tuple(data.get("exclude_names", ())),
                mode=data.get("mode", "all"),
                read_only=bool(data.get("read_only", False)),
                headers=tuple((str(k), str(v)) for k, v in data.get("headers", ())),
            )
        except (ValueError, TypeError, AttributeError) as exc:
            raise UsageError(f"{ENV_VAR}: not a valid scope ({exc})") from None

    def validate(self, operations: Iterable[tuple[str, str, str]]) -> None:
        """UsageError (exit 2) naming the valid values when a check or operation is unknown.

        ``operations``: (method, path, operationId) of every operation of the APIs tested.
        """
        for flag, names in (("--checks", self.checks), ("--exclude-checks", self.exclude_checks)):
            unknown = [n for n in names if n not in CHECKS]
            if unknown:
                raise UsageError(f"{flag}: unknown check {unknown[0]!r}; valid checks: {', '.join(CHECKS)}")
        ops = list(operations)
        ids = sorted({op_id for _, _, op_id in ops})
        labels = sorted({f"{m.upper()} {p}" for m, p, _ in ops})
        for flag, values, valid in (
            ("--include-operation-id", self.include_operation_ids, ids),
            ("--exclude-operation-id", self.exclude_operation_ids, ids),
            ("--include-name", self.include_names, labels),
            ("--exclude-name", self.exclude_names, labels),
        ):
            unknown = [v for v in values if v not in valid]
            if unknown:
                raise UsageError(f"{flag}: unknown operation {unknown[0]!r}; valid: {', '.join(valid)}")
        if not any(self.operation_selected(m, p, i) for m, p, i in ops):
            raise UsageError("the scope selects no operation (check the include/exclude flags)")
