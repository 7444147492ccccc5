"""Goodput, output tokens and per-request-name SLOs (issue 13.3, 13.4): computed from the kept rows, so
a kept run can be judged again by another SLO file without running it again."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatgate.errors import UsageError
from chatgate.load.judge import judge
from chatgate.load.model import RequestFigures, Stats
from chatgate.load.raw import read_rows
from chatgate.load.rows import exact_stats, good_mask, goodput_of, request_figures, rows_from, tokens_of
from chatgate.load.runner import read_slo, rejudge
from chatgate.load.slo import RequestSlo, ScenarioSlo, load_slo
from tests.load.conftest import LENIENT_MONITOR, run_judged
from tests.load.test_judge import slo as reads_slo
from tests.load.test_judge import summary
from tests.summary_schemas import assert_valid_summary

T0 = 1_700_000_000.0


# Tiers: goodput from kept rows in the default tier; the two live runs (marked e2e) in the e2e tier,
# which .ci/run runs too.


def row(name: str = "nara.stream", state: str = "ok", late_ms: float = 0.0, **values: Any) -> dict[str, Any]:
    """One kept row (open model: intended at T0, sent ``late_ms`` later; never sent when not_sent)."""
    sent = None if state == "not_sent" else T0 + late_ms / 1000.0
    base = {"name": name, "state": state, "intended": T0, "sent": sent, "warmup": False,
            "ttft_ms": None, "mean_gap_ms": None, "max_gap_ms": None, "total_ms": None}  # fmt: skip
    return {**base, **values}


def test_goodput_counts_requests_meeting_every_bound_from_their_intended_start() -> None:
    rows = rows_from(
        [
            row(ttft_ms=100, mean_gap_ms=20, total_ms=900),  # good
            row(ttft_ms=100, mean_gap_ms=20, total_ms=900, late_ms=450),  # TTFT 550 from intended: not good
            row(ttft_ms=100, mean_gap_ms=60, total_ms=900),  # gaps too slow
            row(state="error", total_ms=5),  # failed
            row(state="unfinished", total_ms=30_000),  # no answer at the stop
            row(name="arrival", state="not_sent"),  # never sent: counted in the denominator
            row(ttft_ms=1, total_ms=1, warmup=True),  # warm-up: not judged at all
        ]
    )
    slo = ScenarioSlo(goodput={"goodput_ttft_ms": 500, "goodput_mean_gap_ms": 50})
    assert good_mask(rows, slo).tolist() == [True, False, False, False, False, False]
    g = goodput_of(rows, slo, duration_s=2.0)
    assert (g.good, g.judged, g.rps, g.share) == (1, 6, 0.5, 1 / 6)
    # no bounds: every successful request is good
    assert goodput_of(rows, ScenarioSlo(), 2.0).good == 3


def test_a_request_names_bounds_override_the_scenarios_and_apply_only_where_they_can() -> None:
    rows = rows_from([row(ttft_ms=100, total_ms=2500), row(name="nara.page", total_ms=800)])
    base = {"goodput_ttft_ms": 500, "goodput_latency_ms": 1000}
    # the stream's latency (2.5 s) breaks the scenario's latency bound; the page has no TTFT to judge
    assert good_mask(rows, ScenarioSlo(goodput=base)).tolist() == [False, True]
    table = load_slo_text(
        "[scenario.mixed]\ngoodput_ttft_ms = 500\ngoodput_latency_ms = 1000\n\n"
        '[scenario.mixed.request."nara.stream"]\ngoodput_latency_ms = 3000\n'
    ).scenario("mixed")
    assert table.goodput_for("nara.stream") == {"goodput_ttft_ms": 500, "goodput_latency_ms": 3000}
    assert good_mask(rows, table).tolist() == [True, True]


def test_tokens_and_exact_per_name_figures() -> None:
    rows = rows_from(
        [row(ttft_ms=100 + i, mean_gap_ms=20.0, max_gap_ms=40, total_ms=1000, late_ms=10) for i in range(99)]
        + [row(state="error", total_ms=3), row(name="nara.page", total_ms=7)]
    )
    t = tokens_of(rows, deltas=99 * 50, duration_s=10.0)
    assert t.output == 4950 and t.per_second == 495.0
    assert (t.per_stream.count, t.per_stream.p50) == (99, 50.0)  # 1000 / 20 ms
    figures = request_figures(rows, ScenarioSlo(), duration_s=10.0)
    stream = figures["nara.stream"]
    assert (stream.requests, stream.errors, stream.error_rate) == (100, 1, 0.01)
    assert (stream.ttft.p50, stream.ttft.max, stream.ttft_intended.p50) == (149.0, 198.0, 159.0)
    assert stream.largest_gap.p99 == 40.0 and stream.throughput_rps == 10.0
    assert figures["nara.page"].latency == exact_stats(rows.total[rows.name == "nara.page"])


def load_slo_text(text: str) -> Any:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "slo.toml"
        path.write_text(text, encoding="utf-8")
        return load_slo(path)


@pytest.mark.parametrize(
    "text, message",
    [
        ('[scenario.mixed.request."nara.stream"]\np99_itl_ms = 5\n', "ITL is judged per scenario only"),
        ('[scenario.mixed.request."nara.stream"]\nwhatever = 5\n', "unknown key 'whatever'"),
        ('[scenario.mixed.request."nara.stream"]\ngoodput_ttft_ms = -5\n', "non-negative"),
        ("[scenario.mixed]\nrequest = 3\n", "must hold tables"),
    ],
)
def test_bad_request_tables_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        load_slo_text(text)


def test_a_request_name_the_scenario_never_sends_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "slo.toml"
    path.write_text('[scenario.mixed.request."navigable.reed"]\np99_latency_ms = 5\n', encoding="utf-8")
    with pytest.raises(
        UsageError,
        match=r"mixed sends no request named 'navigable.reed'; did you mean 'navigable.read'\? \(its",
    ):
        read_slo(path, "mixed")
    with pytest.raises(UsageError, match=r"navigable\.reed"):  # whichever scenario runs (issue 21)
        read_slo(path, "nara-stream-sends")


def test_a_request_names_own_threshold_is_judged_apart_and_named() -> None:
    slow = RequestFigures(requests=500, latency=Stats(500, 10, 20, 30, 900.0, 950, 12))
    s = summary(by_name={"navigable.read": slow, "navigable.send": RequestFigures(requests=10)})
    base = reads_slo(p99_latency_ms=1000)  # the scenario's own p99 (120 ms) is fine
    own = {
        "navigable.read": RequestSlo({"p99_latency_ms": 500}),
        "navigable.send": RequestSlo({"p99_latency_ms": 5}),
    }
    table = dataclasses.replace(base.scenario("navigable-reads"), requests=own)
    v = judge(s, dataclasses.replace(base, scenarios={"navigable-reads": table}))
    assert v.exit_code == 1
    assert [(c.key, c.request, c.observed) for c in v.breaches] == [
        ("p99_latency_ms", "navigable.read", 900.0)
    ]
    assert [c.request for c in v.checks] == [None, "navigable.read", "navigable.send"]


# One real run of the mixed scenario, then judged again from its kept rows alone.


@pytest.fixture(scope="module")
def kept_mixed_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    mp = pytest.MonkeyPatch()
    mp.setenv("NARA_API_KEY", "nara-dev-key-1001")
    mp.setenv("NARA_USER_ID", "1001")
    mp.setenv("NAVIGABLE_API_KEY", "navigable-dev-key")
    out = tmp_path_factory.mktemp("kept-mixed")
    result, _ = run_judged(
        "mixed",
        out,
        arrival_rate=15,
        run_time="5s",
        server_args=("--ttft-ms 40 --itl-ms 5 --reply-tokens 6",),
    )
    yield out / "mixed", result
    mp.undo()


@pytest.mark.e2e
@pytest.mark.slow
def test_a_live_run_reports_goodput_tokens_and_judges_a_request_name(
    kept_mixed_run: tuple[Path, Any],
) -> None:
    run_dir, result = kept_mixed_run
    s = result.summary
    assert s.goodput.judged == sum(1 for r in read_rows(run_dir / "raw") if not r["warmup"])
    assert s.tokens.output == s.streams.deltas > 0
    assert s.tokens.per_stream.p50 == pytest.approx(200.0, rel=0.2)  # 5 ms between deltas
    assert set(s.by_name) >= {"nara.stream", "nara.page", "navigable.read"}
    assert sum(f.requests for f in s.by_name.values()) == s.requests
    # the shipped SLO file judges the session read of the mix apart
    assert [c.request for c in result.verdict.checks if c.request] == ["navigable.read"]
    assert "| nara.stream |" in (run_dir / "summary.md").read_text(encoding="utf-8")


@pytest.mark.e2e
@pytest.mark.slow
def test_goodput_falls_when_an_slo_is_tightened_on_the_same_run_data(
    kept_mixed_run: tuple[Path, Any], tmp_path: Path
) -> None:
    run_dir, result = kept_mixed_run
    ttft_p50 = result.summary.by_name["nara.stream"].ttft_intended.p50
    loose, tight = tmp_path / "loose.toml", tmp_path / "tight.toml"
    # the generator's budgets relaxed: a busy machine's lag would make the verdict exit 4, not the subject
    loose.write_text(LENIENT_MONITOR + "[scenario.mixed]\ngoodput_ttft_ms = 2000\n", encoding="utf-8")
    tight.write_text(
        LENIENT_MONITOR + f"[scenario.mixed]\ngoodput_ttft_ms = {ttft_p50}\n\n"
        '[scenario.mixed.request."navigable.read"]\np99_latency_ms = 0.001\n',
        encoding="utf-8",
    )
    a, b = rejudge(run_dir, loose), rejudge(run_dir, tight)
    assert a.summary.requests == b.summary.requests == result.summary.requests  # the same data, not re-run
    streams_a, streams_b = a.summary.by_name["nara.stream"].goodput, b.summary.by_name["nara.stream"].goodput
    assert streams_a.good == streams_a.judged > 10
    assert 0 < streams_b.good < streams_a.good  # about half the streams are slower than their median
    assert b.summary.goodput.rps < a.summary.goodput.rps and b.summary.goodput.share < a.summary.goodput.share
    # only the streams are judged by a TTFT bound: the other names keep their goodput
    assert b.summary.goodput.good == a.summary.goodput.good - (streams_a.good - streams_b.good)
    assert b.exit_code == 1 and [c.request for c in b.breaches] == ["navigable.read"]
    assert_valid_summary("load", json.loads(json.dumps(b.to_json())))


def test_rejudging_a_directory_without_a_kept_run_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a kept chatgate load run"):
        rejudge(tmp_path)
