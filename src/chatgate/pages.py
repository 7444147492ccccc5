"""The HTML pages of the load, capacity and compare reports: one look, real tables, figures that carry
their chart's data. Everything given as text is escaped; :class:`Html` marks what is already HTML.

    body = section("SLOs", table(["check", "observed"], [["p95_ttft_ms", 101.2]], numeric={1}))
    text = page("Load run: nara-stream-sends", verdict("PASS", ok=True), body)

A page opens from disk with no network: no script, no font, no stylesheet fetched.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["Html", "e", "figure", "headline", "links", "page", "plots", "section", "table", "verdict"]

STYLE = """
:root { --pass:#1a7f37; --fail:#cf222e; --warn:#9a6700; --ink:#1f2328; --mute:#59636e; --line:#d1d9e0;
        --bg:#f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); }
header { padding: 20px 32px; border-bottom: 1px solid var(--line); background: var(--bg); }
header h1 { margin: 0 0 6px; font-size: 24px; display: flex; gap: 12px; align-items: center;
            flex-wrap: wrap; }
header p { margin: 2px 0; color: var(--mute); }
main { padding: 20px 32px; max-width: 1240px; }
.badge { display: inline-block; padding: 3px 12px; border-radius: 12px; font-weight: 600; font-size: 14px;
         color: #fff; }
.ok { background: var(--pass); } .bad { background: var(--fail); } .warn { background: var(--warn); }
.banner { color: var(--fail); font-weight: 600; }
dl.headline { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 8px 16px;
              margin: 0 0 16px; }
dl.headline div { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
dl.headline dt { color: var(--mute); font-size: 13px; }
dl.headline dd { margin: 0; font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums;
                 white-space: nowrap; }
section { border: 1px solid var(--line); border-radius: 8px; padding: 14px 20px; margin-bottom: 20px; }
section h2 { margin: 0 0 10px; font-size: 18px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.breach td { background: #ffebe9; }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 14px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 6px; }
figure img { width: 100%; height: auto; display: block; }
figcaption { font-size: 13px; color: var(--mute); text-align: center; }
ul.notes { margin: 4px 0 12px; padding-left: 20px; }
.links a { margin-right: 14px; white-space: nowrap; }
p.mute { color: var(--mute); }
"""


class Html(str):
    """Text that is already HTML (not escaped again)."""


def e(value: object) -> str:
    """``value`` as HTML text: escaped unless it is :class:`Html`."""
    return value if isinstance(value, Html) else html.escape(str(value))


def verdict(text: str, *, ok: bool | None) -> Html:
    """The verdict badge: green when ``ok``, red when not, amber when neither (an invalid measurement)."""
    kind = "warn" if ok is None else ("ok" if ok else "bad")
    return Html(f'<span class="badge {kind}" id="verdict">{e(text)}</span>')


def headline(figures: Iterable[tuple[str, str]]) -> Html:
    """The figures a reader looks for first, each with its label."""
    cells = "".join(f"<div><dt>{e(k)}</dt><dd>{e(v)}</dd></div>" for k, v in figures)
    return Html(f'<dl class="headline">{cells}</dl>')


def table(
    head: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    numeric: Iterable[int] = (),
    breach: Sequence[bool] | None = None,
    id: str = "",
) -> Html:
    """A table; columns in ``numeric`` right-aligned; rows flagged in ``breach`` highlighted."""
    nums = set(numeric)
    ths = "".join(f"<th{' class=num' if i in nums else ''}>{e(h)}</th>" for i, h in enumerate(head))
    body = []
    for n, row in enumerate(rows):
        cls = ' class="breach"' if breach is not None and breach[n] else ""
        tds = "".join(f"<td{' class=num' if i in nums else ''}>{e(v)}</td>" for i, v in enumerate(row))
        body.append(f"<tr{cls}>{tds}</tr>")
    ident = f' id="{e(id)}"' if id else ""
    return Html(f"<table{ident}><thead><tr>{ths}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def figure(src: str, caption: str, chart: Mapping[str, Any]) -> Html:
    """A plot with its chart's data (series and SLO lines) as JSON in ``data-chart``; ``caption`` says
    how to read it."""
    data = html.escape(json.dumps(chart, allow_nan=False, default=str), quote=True)
    name = e(chart.get("name", src))
    return Html(
        f'<figure class="plot" id="plot-{name}" data-chart="{data}"><img src="{e(src)}" alt="{e(caption)}">'
        f"<figcaption>{e(caption)}</figcaption></figure>"
    )


def plots(figures: Iterable[tuple[str, str, Mapping[str, Any]]]) -> Html:
    """A grid of :func:`figure` s, two to a row at 1280 px: (file, caption, chart data) each."""
    return Html('<div class="plots">' + "".join(figure(*f) for f in figures) + "</div>")


def section(title: str, *parts: str, id: str = "") -> Html:
    ident = f' id="{e(id)}"' if id else ""
    return Html(f"<section{ident}><h2>{e(title)}</h2>{''.join(parts)}</section>")


def links(files: Iterable[tuple[str, str]]) -> Html:
    """Links to the report's other files (href, label)."""
    return Html('<p class="links">' + "".join(f'<a href="{e(h)}">{e(t)}</a>' for h, t in files) + "</p>")


def page(title: str, badge: str, body: str, *, subtitle: Iterable[str] = (), banner: str = "") -> str:
    """A whole page: the title and verdict first, then the body."""
    sub = "".join(f"<p>{e(line)}</p>" for line in subtitle)
    warn = f'<p class="banner">{e(banner)}</p>' if banner else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
        f"<title>{e(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{e(title)} {badge}</h1>{sub}{warn}</header><main>{body}</main></body></html>\n"
    )
