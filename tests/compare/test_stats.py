"""The statistics of ``chatgate compare`` on their own: the circular block bootstrap, the statistics, the
rule, and its false alarms on autocorrelated data (no server, no files)."""

from __future__ import annotations

import numpy as np
import pytest

from chatgate.compare.model import Comparison, Metric
from chatgate.compare.runner import compare_samples, holm, not_comparable, slo_notes
from chatgate.compare.stats import Sample, block_length, multiplicities, point, quantiles

TTFT = Metric("ttft_p95", None, "TTFT p95", "ttft", "percentile", 95.0, "ms", "higher", False, "p95_ttft_ms",
              (2000.0, 2000.0))  # fmt: skip
ERRORS = Metric("error_rate", None, "error rate", "errors", "share", 0.0, "share", "higher", True)
THROUGHPUT = Metric("throughput", None, "throughput", "throughput", "rate", 0.0, "req/s", "lower")


def sample(values: np.ndarray, windows: int, kind: str = "percentile", q: float = 95.0) -> Sample:
    """Values spread evenly over ``windows`` windows of 1 s, in order."""
    where = (np.arange(len(values)) * windows // len(values)).astype(np.int64)
    return Sample(kind, values.astype(np.float64), np.ones(len(values)), where, windows, 1.0, q)


def synthetic_run(
    rng: np.random.Generator, windows: int = 60, per_window: int = 20, scale: float = 1.0
) -> Sample:
    """TTFT-like values whose level drifts from second to second (AR(1), phi 0.8): neighbouring requests
    are slow together, as on a busy machine."""
    level = np.empty(windows)
    level[0] = 0.0
    for k in range(1, windows):
        level[k] = 0.8 * level[k - 1] + rng.normal(0, 0.06)
    values = 100.0 * scale * np.exp(level[:, None] + rng.normal(0, 0.1, size=(windows, per_window)))
    return sample(values.ravel(), windows)


def test_each_replicate_draws_n_windows_and_every_window_equally_often() -> None:
    counts = multiplicities(10, 3, 4000, np.random.default_rng(1))
    assert counts.shape == (4000, 10) and (counts.sum(axis=1) == 10).all()
    # circular blocks: the first and last windows are drawn as often as the middle ones
    assert np.allclose(counts.mean(axis=0), 1.0, atol=0.05)


def test_block_length_grows_with_autocorrelation() -> None:
    rng = np.random.default_rng(2)
    noise = rng.normal(size=64)
    assert block_length(noise) == 8  # ceil(2 * 64 ** (1/3))
    slow = np.sin(np.linspace(0, 2 * np.pi, 64)) + rng.normal(0, 0.1, size=64)  # one slow wave
    assert 8 < block_length(slow) <= 16  # at most n // 4
    assert block_length(np.full(8, np.nan)) == 2  # no data in any window: the n^(1/3) rule


def test_statistics_are_the_hdr_style_percentile_share_and_rate() -> None:
    values = np.arange(1.0, 101.0)
    s = sample(values, 10)
    assert point(s) == 95.0 == float(np.percentile(values, 95, method="inverted_cdf"))
    weighted = Sample(
        "percentile", np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 8.0]), np.zeros(3, np.int64), 1, 1.0, 10
    )
    assert point(weighted) == 1.0 and quantiles(weighted, np.array([0.0, 50.0, 100.0])).tolist() == [
        1.0,
        3.0,
        3.0,
    ]
    assert point(sample((values % 10 == 0).astype(float), 10, "share")) == pytest.approx(0.1)
    assert point(sample(np.ones(50), 10, "rate")) == 5.0  # 50 requests over 10 windows of 1 s


def test_identical_autocorrelated_runs_are_not_called_worse_at_the_default_threshold() -> None:
    rng = np.random.default_rng(3)
    alarms = 0
    for _ in range(40):
        c = compare_samples(TTFT, synthetic_run(rng), synthetic_run(rng), 0.10, 1000, rng)
        assert c.tested and c.low is not None and c.high is not None and c.low <= c.change <= c.high  # type: ignore[operator]
        alarms += c.regression
    assert alarms <= 1, alarms  # about 1% on this drifting data (bench/compare_false_alarms.py)


def test_the_interval_is_wider_when_neighbouring_requests_are_slow_together() -> None:
    """The same values in their time order (slow seconds together) and shuffled across the run: the
    block bootstrap sees the dependence and widens the interval; resampling as if independent would not."""
    rng = np.random.default_rng(8)
    a, b = synthetic_run(rng), synthetic_run(rng)
    sa, sb = (
        Sample(s.kind, rng.permutation(s.values), s.weights, s.window, s.windows, 1.0, s.q) for s in (a, b)
    )
    in_order = compare_samples(TTFT, a, b, 0.10, 2000, rng)
    mixed = compare_samples(TTFT, sa, sb, 0.10, 2000, rng)
    assert in_order.change == mixed.change  # the same values: the same p95s
    assert (
        in_order.high is not None
        and in_order.low is not None
        and mixed.high is not None
        and mixed.low is not None
    )
    assert in_order.high - in_order.low > 1.5 * (mixed.high - mixed.low), (in_order, mixed)


def test_a_real_slowdown_is_a_regression_and_the_threshold_is_respected() -> None:
    rng = np.random.default_rng(4)
    base, slower = synthetic_run(rng), synthetic_run(rng, scale=1.5)
    c = compare_samples(TTFT, base, slower, 0.10, 1000, rng)
    assert c.regression and c.change == pytest.approx(0.5, abs=0.15) and c.low > 0.10  # type: ignore[operator]
    assert not compare_samples(TTFT, base, slower, 1.0, 1000, rng).regression  # not beyond +100%
    assert not compare_samples(TTFT, slower, base, 0.10, 1000, rng).regression  # faster is no regression


def test_error_rates_are_compared_as_a_difference_against_an_absolute_rule() -> None:
    """The limit is max(--max-regression x the base rate, 0.5 percentage points), whatever the SLO."""
    rng = np.random.default_rng(5)
    clean = sample(np.zeros(1000), 20, "share")
    failing = sample((rng.random(1000) < 0.05).astype(float), 20, "share")
    c = compare_samples(ERRORS, clean, failing, 0.10, 1000, rng)
    assert c.limit == pytest.approx(0.005) and c.change == pytest.approx(point(failing))
    assert c.regression
    assert not compare_samples(ERRORS, clean, clean, 0.10, 1000, rng).regression  # 0 -> 0
    # 0 -> 0.3%: under the 0.5-point floor, however sure the bootstrap is
    slight = sample((np.arange(1000) % 333 == 0).astype(float), 20, "share")
    assert not compare_samples(ERRORS, clean, slight, 0.10, 1000, rng).regression
    # from a 20% base the limit is 10% of it: 2 points; 20% -> 30% is beyond, 20% -> 21% is not
    base = sample((np.arange(2000) % 5 == 0).astype(float), 40, "share")
    worse = sample((np.arange(2000) % 10 < 3).astype(float), 40, "share")
    near = sample((np.arange(2000) % 100 < 21).astype(float), 40, "share")
    assert compare_samples(ERRORS, base, worse, 0.10, 1000, rng).limit == pytest.approx(0.02)
    assert compare_samples(ERRORS, base, worse, 0.10, 1000, rng).regression
    assert not compare_samples(ERRORS, base, near, 0.10, 1000, rng).regression


def test_holm_keeps_the_familys_false_regressions_at_5_percent() -> None:
    """Sorted by p-value, the i-th of m is a regression while p <= 5% / (m - i + 1) holds for it and
    every one before it; the first that fails stops the rest."""

    def tested(p: float) -> Comparison:
        return Comparison(TTFT, 1.0, 1.0, 0.0, 0.0, 0.0, 0.1, p < 0.05, True, p_value=p, adjusted_p=p)

    family = holm(tuple(tested(p) for p in (0.04, 0.001, 0.3, 0.01)))
    assert [c.adjusted_p for c in family] == pytest.approx([0.08, 0.004, 0.3, 0.03])
    assert [c.regression for c in family] == [False, True, False, True]  # 0.04 alone would have been one
    untested = Comparison(TTFT, None, None, None, None, None, 0.1, False, False, "too few samples")
    assert holm((untested, tested(0.01)))[1].adjusted_p == pytest.approx(0.01)  # not counted in m


def test_lower_is_worse_for_throughput() -> None:
    rng = np.random.default_rng(6)
    c = compare_samples(
        THROUGHPUT, sample(np.ones(600), 30, "rate"), sample(np.ones(300), 30, "rate"), 0.1, 500, rng
    )
    assert c.change == pytest.approx(0.5) and c.regression


def test_too_little_data_is_shown_not_tested() -> None:
    rng = np.random.default_rng(7)
    few = sample(np.arange(100.0), 10, q=99.0)
    p99 = Metric("latency_p99", None, "latency p99", "latency", "percentile", 99.0, "ms", "higher")
    c = compare_samples(p99, few, few, 0.1, 200, rng)
    assert not c.tested and not c.regression and "200 needed" in c.note and c.base == 98.0
    short = sample(np.arange(100.0), 3)
    assert "windows" in compare_samples(TTFT, short, short, 0.1, 200, rng).note


def summary(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "scenario": "nara-stream-sends",
        "model": {"kind": "open", "arrival_rate": 10.0, "users": None, "spawn_rate": None, "poisson": False,
                  "shape": None, "workers": 0},
        "slo_applied": {"file": "a.toml", "thresholds": {"p95_ttft_ms": 2000.0}, "goodput": {},
                        "requests": {}},
        "deadlines": {"request_s": 30.0, "stream_idle_s": 30.0, "stream_s": 300.0},
    }  # fmt: skip
    return {**base, **changes}


def test_runs_are_comparable_with_the_same_scenario_model_and_deadlines_whatever_their_slo_files() -> None:
    a = summary()
    assert not_comparable(a, summary(slo_applied={**a["slo_applied"], "file": "elsewhere/b.toml"})) == []  # type: ignore[dict-item]
    assert not_comparable(a, summary(scenario="mixed")) == [
        "other scenario: base nara-stream-sends, new mixed"
    ]
    faster = summary(model={**a["model"], "arrival_rate": 20.0, "workers": 4})  # type: ignore[dict-item]
    assert not_comparable(a, faster) == ["other load model: arrival_rate 10.0 -> 20.0"]
    own = {"nara.stream": {"thresholds": {"p99_latency_ms": 9.0}, "goodput": {}}}
    tighter = {"file": "a.toml", "thresholds": {"p95_ttft_ms": 1500.0}, "goodput": {"goodput_ttft_ms": 1.0},
               "requests": own}  # fmt: skip
    assert not_comparable(a, summary(slo_applied=tighter)) == []  # thresholds are context (issue 21)
    assert slo_notes(a, summary(slo_applied=tighter)) == [
        "the runs' SLO files differ (p95_ttft_ms 2000.0 -> 1500.0, nara.stream: p99_latency_ms unset -> "
        "9.0): context only, every metric compared",
        "goodput bounds differ (goodput_ttft_ms unset -> 1.0): both runs' goodput by the new run's",
    ]
    shorter = summary(deadlines={"request_s": 30.0, "stream_idle_s": 30.0, "stream_s": 60.0})
    assert not_comparable(a, shorter) == ["other deadlines: stream_s 300.0 -> 60.0"]
    assert not_comparable(a, summary(slo_applied=None)) == []  # a run from an older chatgate still compares
