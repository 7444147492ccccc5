"""chatgate.metrics: exact percentiles, lossless encode/merge."""

from __future__ import annotations

import json
import random

from chatgate.metrics import Histogram, Metrics


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
    whole, a, b = Metrics(), Metrics(), Metrics()
    for i in range(5000):
        v = rng.expovariate(1 / 0.05)
        whole.record("ttft", v)
        (a if i % 2 else b).record("ttft", v)
        (a if i % 2 else b).count("requests")
    wire_a = json.loads(json.dumps(a.encode()))
    wire_b = json.loads(json.dumps(b.encode()))
    merged = Metrics()
    merged.merge(Metrics.decode(wire_a))
    merged.merge(Metrics.decode(wire_b))
    assert merged.counters["requests"] == 5000
    assert merged.summary("ttft") == whole.summary("ttft")


def test_empty_histogram_summary_is_zero() -> None:
    assert Histogram().summary()["p99"] == 0.0
    assert Metrics.decode(Metrics().encode()).hists == {}


def test_timeline_windows_are_smaller_and_still_merge_losslessly() -> None:
    whole, a, b = Metrics(), Metrics(), Metrics()
    for i in range(2000):
        v = 0.001 * (1 + i % 300)
        for m in (whole, a if i % 2 else b):
            m.record("tl:42:lat", v)
            m.record("ttft", v)
    assert whole.hist("tl:42:lat").hdr.counts_len * 4 < whole.hist("ttft").hdr.counts_len
    merged = Metrics()
    for part in (a, b):
        merged.merge(Metrics.decode(json.loads(json.dumps(part.encode()))))
    assert merged.summary("tl:42:lat") == whole.summary("tl:42:lat")
    exact = whole.summary("ttft")["p50"]
    assert abs(whole.summary("tl:42:lat")["p50"] - exact) <= exact * 0.01  # 2 significant digits


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
