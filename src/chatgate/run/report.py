"""The reporter of ``chatgate run``: ``index.html``, ``summary.json`` and the terminal table.

Pure functions of a ``RunResult`` (what the parts wrote was read by the runner); ``publish_index``
writes the two files atomically through a ``RunDir``. The page is self-contained (inline CSS, no script,
no network) and links every detailed report by a relative path, so the whole report folder can be
archived as a CI artifact and opened from disk.

``summary.json`` (schema ``chatgate/schemas/run.summary.schema.json``)::

    {"schema_version": 1, "exit_code": 0, "verdict": "PASS", "generated": "...", "embedded": true,
     "parts": [{"name", "kind", "verdict", "exit_code", "seconds", "message",
                "headline": {"ttft_p50_ms": 101.2, "error_rate": 0.0, ...},
                "reports": ["load/x/summary.json", ...]}]}

Headline values are JSON numbers (milliseconds, shares, counts) or strings, ``null`` when a part's
summary did not say.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from chatgate import __version__
from chatgate.artifacts import RunDir
from chatgate.run.model import PartResult, RunResult
from chatgate.targets import EMBEDDED_BANNER

__all__ = [
    "COVERAGE_KINDS",
    "SCHEMA_VERSION",
    "Figure",
    "coverage_rows",
    "headline",
    "index_html",
    "publish_index",
    "summary",
    "terminal_table",
]

SCHEMA_VERSION = 1
Value = int | float | str | None

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("chatgate", "run/templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    undefined=jinja2.StrictUndefined,
)
COVERAGE_KINDS = ("responses", "events", "parameters", "rules")  # chatgate.gate.coverage.KINDS
_LOAD_METRICS = (("ttft", "TTFT"), ("itl", "ITL"), ("latency", "latency"), ("walk", "full walk"))


@dataclass(frozen=True, slots=True)
class Figure:
    """One headline figure: a stable ``key`` for machines, a ``label`` and ``unit`` for people."""

    key: str
    label: str
    value: Value
    unit: str = ""  # "ms", "%", "req/s" or ""

    def text(self) -> str:
        if self.value is None:
            return "n/a"
        if self.unit == "ms" and isinstance(self.value, int | float):
            return f"{self.value:.1f} ms"
        if self.unit == "%" and isinstance(self.value, int | float):
            return f"{self.value:.2%}"
        if self.unit == "req/s" and isinstance(self.value, int | float):
            return f"{self.value:.1f} req/s"
        return str(self.value)


def _mapping(s: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = s.get(key)
    return value if isinstance(value, Mapping) else {}


def _list(s: Mapping[str, Any], key: str) -> list[Any]:
    value = s.get(key)
    return value if isinstance(value, list) else []


def _number(value: Any) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _load_figures(s: Mapping[str, Any]) -> list[Figure]:
    out: list[Figure] = []
    for name, label in _LOAD_METRICS:
        m = s.get(name)
        if isinstance(m, Mapping) and m.get("count"):
            out += [
                Figure(f"{name}_{q}_ms", f"{label} {q}", _number(m.get(q)), "ms")
                for q in ("p50", "p95", "p99")
            ]
    if _number(s.get("error_rate")) is not None:
        out.append(Figure("error_rate", "error rate", _number(s["error_rate"]), "%"))
    if _number(s.get("throughput_rps")) is not None:
        out.append(Figure("throughput_rps", "throughput", _number(s["throughput_rps"]), "req/s"))
    if s.get("invalid_reason"):
        out.append(Figure("invalid_reason", "measurement invalid", str(s["invalid_reason"])))
    slo = s.get("slo")
    breached = (
        [str(c.get("key")) for c in slo if isinstance(c, Mapping) and not c.get("ok")]
        if isinstance(slo, list)
        else []
    )
    if breached:
        out.append(Figure("slo_breached", "SLO breached", ", ".join(breached)))
    return out


def _coverage_figures(c: Mapping[str, Any]) -> list[Figure]:
    """The gate's spec coverage over both APIs, per kind; what was never exercised; a floor not met."""
    if not c:
        return []
    out = []
    for kind in COVERAGE_KINDS:
        shares = [k.get(kind) for k in _mapping(c, "share").values() if isinstance(k, Mapping)]
        covered = sum(int(x.get("covered", 0)) for x in shares if isinstance(x, Mapping))
        total = sum(int(x.get("total", 0)) for x in shares if isinstance(x, Mapping))
        out.append(Figure(f"coverage_{kind}", f"coverage {kind}", covered / total if total else None, "%"))
    out.append(Figure("coverage_never", "never exercised", len(_list(c, "never"))))
    short = _list(_mapping(c, "min_coverage"), "shortfalls")
    if short:
        out.append(Figure("coverage_below_floor", "below --min-coverage", "; ".join(str(x) for x in short)))
    return out


def coverage_rows(part: PartResult) -> list[tuple[str, list[str]]]:
    """A contract part's coverage per API and kind, as the index shows it (empty for other parts)."""
    shares = _mapping(_mapping(part.summary, "coverage"), "share") if part.kind == "contract" else {}
    rows = []
    for api, kinds in sorted(shares.items()):
        cells = []
        for kind in COVERAGE_KINDS:
            k = kinds.get(kind) if isinstance(kinds, Mapping) else None
            f = _number(k.get("fraction")) if isinstance(k, Mapping) else None
            cells.append(
                "n/a" if f is None or not isinstance(k, Mapping) else f"{f:.0%} ({k['covered']}/{k['total']})"
            )
        rows.append((str(api), cells))
    return rows


def headline(part: PartResult) -> tuple[Figure, ...]:
    """The few figures that say how a part went."""
    s = part.summary
    if part.message and not s:
        return (Figure("error", "error", part.message),)
    if part.kind == "lint":
        files = _list(s, "files")
        valid = sum(bool(f.get("valid")) for f in files if isinstance(f, Mapping))
        ruleset = s.get("ruleset") if isinstance(s.get("ruleset"), str) else None
        return (
            Figure("specs_valid", "specs valid", valid),
            Figure("specs", "specs", len(files)),
            Figure("ruleset", "ruleset", ruleset or "not run"),
        )
    if part.kind == "contract":
        totals = _mapping(s, "totals")
        new = totals.get("new_findings", totals.get("findings"))
        return (
            Figure("cases", "cases generated", _number(totals.get("generated_cases"))),
            Figure("failed_checks", "checks failed", _number(totals.get("failed_checks"))),
            Figure("new_findings", "new findings", _number(new)),
            *_coverage_figures(_mapping(s, "coverage")),
        )
    if part.kind == "load":
        return tuple(_load_figures(s))
    if part.kind == "docs":
        return (Figure("pages", "pages", len(_list(s, "pages"))),)
    return ()


def _display(figures: tuple[Figure, ...]) -> list[tuple[str, str]]:
    """Figures for people: the percentiles of one metric on one line ("TTFT p50 / p95 / p99")."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(figures):
        f = figures[i]
        if f.key.endswith("_p50_ms") and i + 2 < len(figures):
            group = figures[i : i + 3]
            out.append(
                (f.label.removesuffix(" p50") + " p50 / p95 / p99", " / ".join(g.text() for g in group))
            )
            i += 3
            continue
        out.append((f.label, f.text()))
        i += 1
    return out


def summary(result: RunResult, generated: str) -> dict[str, Any]:
    """The job's ``summary.json``."""
    return {
        "schema_version": SCHEMA_VERSION,
        "exit_code": result.exit_code,
        "verdict": result.verdict,
        "generated": generated,
        "embedded": result.embedded,
        "parts": [
            {
                "name": p.name,
                "kind": p.kind,
                "verdict": p.verdict,
                "exit_code": p.exit_code,
                "seconds": round(p.seconds, 1),
                "message": p.message,
                "headline": {f.key: f.value for f in headline(p)},
                "reports": list(p.reports),
            }
            for p in result.parts
        ],
    }


def index_html(result: RunResult, generated: str) -> str:
    """``index.html``: the verdict of each part, its headline, plots and links to its reports."""
    rows = [
        {
            "name": p.name,
            "verdict": p.verdict,
            "exit_code": p.exit_code,
            "seconds": round(p.seconds, 1),
            "message": p.message,
            "headline": _display(headline(p)),
            "links": [(Path(r).name, r) for r in p.reports],
            "plots": [(Path(r).stem.replace("_", " "), r) for r in p.plots],
            "coverage": coverage_rows(p),
        }
        for p in result.parts
    ]
    return _TEMPLATES.get_template("index.html.j2").render(
        rows=rows,
        exit_code=result.exit_code,
        verdict=result.verdict,
        generated=generated,
        version=__version__,
        embedded=result.embedded,
        embedded_banner=EMBEDDED_BANNER,
        coverage_kinds=COVERAGE_KINDS,
    )


def terminal_table(result: RunResult) -> str:
    """A plain-text summary table for the terminal."""
    rows = [("part", "verdict", "exit", "time", "headline")]
    for p in result.parts:
        figures = "; ".join(f"{k} {v}" for k, v in _display(headline(p)))
        rows.append((p.name, p.verdict, str(p.exit_code), f"{p.seconds:.0f}s", figures))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for i, r in enumerate(rows):
        lines.append("  ".join(r[j].ljust(widths[j]) for j in range(4)) + "  " + r[4])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 8)
    return "\n".join(lines)


def publish_index(result: RunResult, run_dir: RunDir, generated: str) -> dict[str, Path]:
    """Write ``index.html`` and ``summary.json`` atomically; returns their paths."""
    return run_dir.publish(
        {
            "index.html": index_html(result, generated),
            "summary.json": json.dumps(summary(result, generated), indent=2) + "\n",
        }
    )
