"""The reporter of ``chatgate run``: ``reports/index.html``, ``reports/summary.json`` and the terminal table.

It reads only what the parts wrote (their ``summary.json`` and report files) and never runs anything.
The page is self-contained (inline CSS, no script, no network) and links every detailed report by a
relative path, so the whole ``reports/`` folder can be archived as a CI artifact and opened from disk.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from chatgate import __version__

if TYPE_CHECKING:
    from chatgate.runall import PartResult

__all__ = ["format_table", "headline", "write_index"]

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("chatgate", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    undefined=jinja2.StrictUndefined,
)


def _fmt_ms(value: Any) -> str:
    return f"{float(value):.1f} ms" if isinstance(value, int | float) else "n/a"


def _get(d: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def headline(part: PartResult) -> list[tuple[str, str]]:
    """The few figures that say how a part went, as (label, value) pairs."""
    s = part.summary
    if part.message and not s:
        return [("error", part.message)]
    if part.kind == "lint":
        files = s.get("files", [])
        return [
            ("specs", f"{sum(bool(f.get('valid')) for f in files)}/{len(files)} valid"),
            ("ruleset", str(s.get("ruleset") or "not run")),
        ]
    if part.kind == "contract":
        totals = s.get("totals", {})
        return [
            ("cases", str(totals.get("cases", "n/a"))),
            ("checks failed", str(totals.get("failed_checks", "n/a"))),
            ("new findings", str(totals.get("new_findings", totals.get("findings", "n/a")))),
        ]
    if part.kind == "load":
        out: list[tuple[str, str]] = []
        for name, label in (("ttft", "TTFT"), ("itl", "ITL"), ("latency", "latency"), ("walk", "full walk")):
            m = s.get(name)
            if isinstance(m, dict) and m.get("count"):
                figures = " / ".join(_fmt_ms(m.get(q)) for q in ("p50", "p95", "p99"))
                out.append((f"{label} p50 / p95 / p99", figures))
        rate = s.get("error_rate")
        if isinstance(rate, int | float):
            out.append(("error rate", f"{rate:.2%}"))
        rps = s.get("throughput_rps")
        if isinstance(rps, int | float):
            out.append(("throughput", f"{rps:.1f} req/s"))
        if s.get("invalid_reason"):
            out.append(("measurement invalid", str(s["invalid_reason"])))
        breached = [c.get("key") for c in s.get("slo", []) if isinstance(c, dict) and not c.get("ok")]
        if breached:
            out.append(("SLO breached", ", ".join(map(str, breached))))
        return out or [("summary", "see report")]
    if part.kind == "docs":
        pages = s.get("pages", [])
        return [("pages", str(len(pages)))]
    return []


def _links(part: PartResult, root: Path) -> list[tuple[str, str]]:
    if part.report_dir is None or not part.report_dir.exists():
        return []
    links = []
    for path in sorted(part.report_dir.rglob("*")):
        if path.suffix in {".html", ".md", ".json", ".xml", ".csv"} and path.is_file():
            links.append((path.name, os.path.relpath(path, root)))
    return links


def _plots(part: PartResult, root: Path) -> list[tuple[str, str]]:
    if part.report_dir is None or not part.report_dir.exists():
        return []
    return [
        (p.stem.replace("_", " "), os.path.relpath(p, root)) for p in sorted(part.report_dir.glob("*.png"))
    ]


def write_index(root: Path, parts: Iterable[PartResult]) -> Path:
    """Write ``root/index.html`` and ``root/summary.json``; returns the page's path."""
    parts = list(parts)
    root.mkdir(parents=True, exist_ok=True)
    code = max((p.exit_code for p in parts), default=0)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    rows: list[dict[str, Any]] = [
        {
            "name": p.name,
            "kind": p.kind,
            "verdict": p.verdict,
            "exit_code": p.exit_code,
            "seconds": round(p.seconds, 1),
            "message": p.message,
            "headline": headline(p),
            "links": _links(p, root),
            "plots": _plots(p, root),
        }
        for p in parts
    ]
    html = _TEMPLATES.get_template("index.html.j2").render(
        rows=rows,
        exit_code=code,
        verdict="PASS" if code == 0 else "FAIL",
        generated=generated,
        version=__version__,
    )
    page = root / "index.html"
    page.write_text(html, encoding="utf-8")
    summary = {
        "exit_code": code,
        "generated": generated,
        "parts": [
            {k: r[k] for k in ("name", "kind", "verdict", "exit_code", "seconds", "message")}
            | {"headline": dict(r["headline"]), "reports": [href for _, href in r["links"]]}
            for r in rows
        ],
    }
    (root / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return page


def format_table(parts: Iterable[PartResult]) -> str:
    """A plain-text summary table for the terminal."""
    rows = [("part", "verdict", "exit", "time", "headline")]
    for p in parts:
        figures = "; ".join(f"{k} {v}" for k, v in headline(p))
        rows.append((p.name, p.verdict, str(p.exit_code), f"{p.seconds:.0f}s", figures))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for i, r in enumerate(rows):
        lines.append("  ".join(r[j].ljust(widths[j]) for j in range(4)) + "  " + r[4])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 8)
    return "\n".join(lines)
