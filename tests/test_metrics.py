"""chatgate.metrics: exact percentiles, lossless encode/merge."""

from __future__ import annotations

import json
import random

from chatgate.metrics import Histogram


def test_percentiles_microsecond_resolution() -> None:
    h = Histogram()
    for i in range(1, 1001):
        h.record(i / 1000.0)  # 1..1000 ms
    s = h.summary()
    assert s["count"] == 1000
    assert abs(s["p50"] - 500) <= 0.5
    assert abs(s["p99"] - 990) <= 1.0
    assert abs(s["max"] - 1000) <= 1.0
    small = Histogram()
    small.record(0.000123)
    assert small.percentile_ms(50) == 0.123


def test_encode_decode_merge_is_lossless() -> None:
    rng = random.Random(7)
    whole, a, b = Histogram(), Histogram(), Histogram()
    for i in range(5000):
        v = rng.expovariate(1 / 0.05)
        whole.record(v)
        (a if i % 2 else b).record(v)
    merged = Histogram()
    for part in (a, b):
        merged.merge(Histogram.decode(json.loads(json.dumps(part.encode()))))
    assert merged.count == 5000
    assert merged.summary() == whole.summary()


def test_empty_histogram_summary_is_zero() -> None:
    assert Histogram().summary()["p99"] == 0.0
    empty = Histogram()
    empty.merge(Histogram())
    assert empty.count == 0


def test_interval_histograms_merge_into_the_whole_run() -> None:
    # What the raw data keeps: one histogram per interval; the run's figures are their merge.
    rng = random.Random(11)
    whole = Histogram()
    intervals = [Histogram() for _ in range(30)]
    for i in range(6000):
        v = 0.001 * (1 + rng.random() * 300)
        whole.record(v)
        intervals[i % 30].record(v)
    merged = Histogram()
    for h in intervals:
        merged.merge(Histogram.decode(h.encode()))
    assert merged.summary() == whole.summary()


def test_our_record_is_hdrhistograms_own() -> None:
    rng = random.Random(3)
    values = [
        rng.choice([rng.random() * 1e-3, rng.expovariate(20), rng.random() * 700, 0.0]) for _ in range(5000)
    ]
    ours, theirs = Histogram(), Histogram()
    ours.record_many(values[:2500])
    for v in values[2500:]:
        ours.record(v)
    for v in values:
        theirs.hdr.record_value(max(1, min(600_000_000, round(v * 1_000_000))))
    assert ours.encode() == theirs.encode()
    assert ours.summary() == theirs.summary()


def test_a_cleared_histogram_is_as_good_as_new() -> None:
    used, fresh = Histogram(), Histogram()
    for v in (0.001, 0.5, 30.0):
        used.record(v)
    used.clear()
    assert used.count == 0 and used.summary() == fresh.summary() and used.encode() == fresh.encode()
    used.record(0.25)
    fresh.record(0.25)
    assert used.summary() == fresh.summary()
