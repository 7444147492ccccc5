"""``report.html``: the gate's report for a person, one self-contained page (Jinja2, autoescaped)."""

from __future__ import annotations

from typing import Any

import jinja2

from chatgate.gate.catalogue import describe
from chatgate.gate.coverage import KINDS
from chatgate.gate.coverage_report import newly_never, share_rows, tables
from chatgate.gate.result import GateResult

__all__ = ["render_html"]


def render_html(result: GateResult, summary: dict[str, Any]) -> str:
    """``summary``: the result as :func:`chatgate.gate.summary.summary_dict` renders it."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("chatgate.gate", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    tallies = [
        {"api": a, "operation": o, "check": c, "cases": t.cases, "failures": t.failures, "seconds": t.seconds}
        for (a, o, c), t in sorted(result.tallies.items())
        if t.cases
    ]
    coverage = tables(result.coverage) if result.coverage is not None else []
    return env.get_template("contract.html.j2").render(
        s=summary,
        tallies=tallies,
        describe=describe,
        kinds=KINDS,
        shares=share_rows(result),
        coverage=coverage,
        dropped=newly_never(result),
    )
