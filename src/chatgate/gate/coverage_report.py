"""The coverage of a gate run as people read it: shares per API, then a table per operation (never
exercised first). summary.md and report.html both render these rows; summary.json carries the data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chatgate.gate.coverage import KINDS, Coverage, Item, against
from chatgate.gate.result import GateResult

__all__ = ["ORDER", "Row", "Table", "newly_never", "share_rows", "tables"]

ORDER = {"never": 0, "undocumented": 1, "excluded": 2, "covered": 3}
STATE_TEXT = {
    "never": "never",
    "undocumented": "undocumented answer",
    "excluded": "excluded",
    "covered": "covered",
}


@dataclass(frozen=True, slots=True)
class Row:
    kind: str
    what: str
    seen: int | None  # answers, events or values sent (None: not counted for this kind)
    judged: int | None
    state: str  # covered | never | excluded | undocumented
    note: str  # why (never, excluded), or who judged it

    @property
    def state_text(self) -> str:
        return STATE_TEXT[self.state]


@dataclass(frozen=True, slots=True)
class Table:
    api: str
    operation: str
    rows: tuple[Row, ...]

    @property
    def never(self) -> int:
        return sum(r.state == "never" for r in self.rows)


def _checks(checks: Mapping[str, int]) -> str:
    return ", ".join(f"{c} {n}" for c, n in sorted(checks.items(), key=lambda kv: -kv[1])[:4])


def _item_row(
    kind: str, item: Item | None, what: str, seen: int | None, judged: int | None, note: str
) -> Row:
    state = item.state if item is not None else "undocumented"
    return Row(kind, what, seen, judged, state, item.reason if item is not None and item.reason else note)


def _rows(c: Coverage) -> dict[tuple[str, str], list[Row]]:
    out: dict[tuple[str, str], list[Row]] = {}
    for r in c.responses:
        what = f"{r.status} {r.media_type or ''}".strip() + (f" ({r.retried} retried)" if r.retried else "")
        out.setdefault((r.api, r.operation), []).append(
            _item_row("response", r.item, what, r.seen, r.judged, _checks(r.checks))
        )
    for e in c.events:
        row = _item_row("stream event", e.item, f"{e.event} ({e.status} {e.media_type})", e.seen, None, "")
        out.setdefault((e.api, e.operation), []).append(row)
    for p in c.parameters:
        counts = {
            "valid value": p.valid,
            "invalid value": p.invalid,
            **{f"value {v}": n for v, n in p.values},
        }
        for i in p.items:
            n = counts.get(i.what.split(": ", 1)[-1], 0)
            note = (
                f"{p.absent} request(s) left it out" if p.absent and i.what.endswith(": valid value") else ""
            )
            out.setdefault((p.api, p.operation), []).append(
                Row("parameter", i.what, n, None, i.state, i.reason or note)
            )
    for ru in c.rules:
        row = _item_row("rule", ru.item, ru.item.what, None, ru.judged, _checks(ru.checks))
        out.setdefault((ru.api, ru.operation), []).append(row)
    return out


def tables(c: Coverage) -> list[Table]:
    """One table per operation, its never-exercised items first; operations with the most never first."""
    found = [
        Table(api, op, tuple(sorted(rows, key=lambda r: ORDER[r.state])))
        for (api, op), rows in _rows(c).items()
    ]
    return sorted(found, key=lambda t: (-t.never, t.api, t.operation))


def share_rows(result: GateResult) -> list[tuple[str, list[str]]]:
    """Per API, each kind's share as text, with its change since the baseline's record when there is one."""
    c = result.coverage if result.coverage is not None else Coverage(result.apis)
    change: Mapping[str, Any] = (
        against(c, result.coverage_before)["share"] if result.coverage_before is not None else {}
    )
    out = []
    for api, kinds in c.share().items():
        cells = []
        for kind in KINDS:
            text = kinds[kind].text()
            moved = (change.get(api) or {}).get(kind) or {}
            if moved.get("change") is not None:
                points = round(moved["change"] * 100)
                text += f" · {'+' if points >= 0 else '−'}{abs(points)} pts since the baseline"
            cells.append(text)
        out.append((api, cells))
    return out


def newly_never(result: GateResult) -> list[str]:
    """The items never exercised in this run that the baseline's record had exercised (or did not have)."""
    if result.coverage is None or result.coverage_before is None:
        return []
    items = against(result.coverage, result.coverage_before)["newly_never"]
    return [f"{i['api']} {i['operation']} {i['what']}: {i['reason']}" for i in items]
