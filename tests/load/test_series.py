"""What the load report plots: only the judged run, interval by interval, with nothing invented at its
edges (the partial seconds at either end, an interval with nothing measured), and no chart without data."""

from __future__ import annotations

from collections import Counter

from chatgate.load.series import _windows
from chatgate.load.summary import RawTotals
from chatgate.pages import Html, e, table
from chatgate.plots import Chart, Limit, Series, draw


def _raw(starts: list[float]) -> RawTotals:
    raw = RawTotals({"interval_s": 1.0, "started": starts[0]})
    for s in starts:
        raw.interval_counters[s] = Counter({"requests": 10})
    return raw


def test_only_whole_intervals_inside_the_judged_run_are_drawn() -> None:
    # intervals aligned on whole seconds, the first partial (the run started at .607): judged from 2.636
    # (a 2 s warm-up) to 9.229 (the stop)
    raw = _raw([0.607, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    windows = _windows(raw, 2.636, 9.229)
    assert [w.key for w in windows] == [
        3.0,
        4.0,
        5.0,
        6.0,
        7.0,
        8.0,
    ]  # 2.0 (part warm-up), 9.0 (part drain) out
    assert windows[0].x == 0.864 and all(w.seconds == 1.0 for w in windows)
    # an interval that ends a few ms past the edge is inside; the run's first, partial, interval never
    assert [w.key for w in _windows(raw, 0.0, 3.01)] == [1.0, 2.0]


def test_a_chart_with_nothing_measured_is_empty_and_gaps_stay_gaps() -> None:
    nothing = Chart("ttft", "t", "s", "ms", (Series("p50", (1.0, 2.0), (None, None)),))
    assert nothing.empty
    gap = Chart("ttft", "t", "s", "ms", (Series("p50", (1.0, 2.0, 3.0), (5.0, None, float("nan"))),),
                limits=(Limit("SLO p95_ttft_ms = 2000 ms", 2000.0),))  # fmt: skip
    assert not gap.empty
    data = gap.to_json()
    assert data["series"][0]["y"] == [5.0, None, None] and data["limits"][0]["value"] == 2000.0
    assert draw(gap).startswith(b"\x89PNG")


def test_page_tables_escape_text_and_keep_html() -> None:
    html = table(["a<b"], [["<script>"], [Html("<b>ok</b>")]], numeric={0})
    assert "&lt;script&gt;" in html and "<b>ok</b>" in html and "a&lt;b" in html
    assert "class=num" in html and e(Html("<i>")) == "<i>" and e("<i>") == "&lt;i&gt;"
