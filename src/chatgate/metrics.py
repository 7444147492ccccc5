"""Mergeable latency histograms (HDR, microsecond resolution) and their wire form.

Locust's own statistics round response times into buckets; chatgate keeps its own HDR histograms so
percentiles are exact to 3 significant digits, and ships them from workers to the master as base64
HDR encodings (``encode``/``decode``, one per metric and interval in the raw data) that merge without
loss::

    h = Histogram()
    h.record(0.2013)                  # seconds in, microseconds stored
    wire = h.encode()                 # str, the HdrHistogram encoding (also a line of an .hlog)
    whole.merge(Histogram.decode(wire))
    whole.summary()                   # {"count", "p50", "p90", "p95", "p99", "max", "mean"} in ms
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Iterable

from hdrh.histogram import HdrHistogram

__all__ = ["HIGHEST_US", "PERCENTILES", "Histogram"]

HIGHEST_US = 600_000_000  # 10 minutes, in microseconds
PERCENTILES = (50.0, 90.0, 95.0, 99.0)


class Histogram:
    """One HDR histogram of durations; record seconds, report milliseconds.

    ``record``/``record_many`` compute the HDR counts index themselves (the same arithmetic as
    ``HdrHistogram.record_value``, a test keeps them equal) at a third of its cost: a stream's gaps are
    recorded on the generator's hot path.
    """

    def __init__(self, hdr: HdrHistogram | None = None) -> None:
        self.hdr = h = hdr or HdrHistogram(1, HIGHEST_US, 3)
        self._mask = h.sub_bucket_mask
        self._unit = h.unit_magnitude
        self._half_mag = h.sub_bucket_half_count_magnitude
        self._shift = h.unit_magnitude + h.sub_bucket_half_count_magnitude + 1
        self._half = h.sub_bucket_half_count

    def record(self, seconds: float) -> None:
        self.record_many((seconds,))

    def record_many(self, seconds: Iterable[float]) -> None:
        """Record several values at once (a stream's gaps, added when the stream ends)."""
        h = self.hdr
        counts, mask, unit, half_mag, shift, half = (
            h.counts,
            self._mask,
            self._unit,
            self._half_mag,
            self._shift,
            self._half,
        )
        lo, hi, n = h.min_value, h.max_value, 0
        for s in seconds:
            us = int(s * 1_000_000 + 0.5)
            us = 1 if us < 1 else HIGHEST_US if us > HIGHEST_US else us
            bucket = (us | mask).bit_length() - shift
            counts[((bucket + 1) << half_mag) + (us >> (bucket + unit)) - half] += 1
            n += 1
            if us < lo:
                lo = us
            if us > hi:
                hi = us
        h.total_count += n
        h.min_value, h.max_value = lo, hi

    def clear(self) -> None:
        """Empty it in place (a memset: ``HdrHistogram.reset`` loops in Python over 21,504 counters).

        Reusing the histogram also keeps its counts array out of the garbage: an HdrHistogram and its
        encoder refer to each other, so a dropped one waits for a full collection with its 172 KB."""
        h = self.hdr
        ctypes.memset(ctypes.addressof(h.counts), 0, ctypes.sizeof(h.counts))
        h.total_count, h.min_value, h.max_value = 0, sys.maxsize, 0

    @property
    def count(self) -> int:
        return int(self.hdr.get_total_count())

    def merge(self, other: Histogram) -> None:
        if other.count:
            self.hdr.add(other.hdr)

    def percentile_ms(self, p: float) -> float:
        return float(self.hdr.get_value_at_percentile(p)) / 1000.0 if self.count else 0.0

    def max_ms(self) -> float:
        return float(self.hdr.get_max_value()) / 1000.0 if self.count else 0.0

    def summary(self) -> dict[str, float]:
        out: dict[str, float] = {"count": float(self.count)}
        for p in PERCENTILES:
            out[f"p{int(p)}"] = self.percentile_ms(p)
        out["max"] = self.max_ms()
        out["mean"] = float(self.hdr.get_mean_value()) / 1000.0 if self.count else 0.0
        return out

    def encode(self) -> str:
        return bytes(self.hdr.encode()).decode("ascii")

    @classmethod
    def decode(cls, text: str) -> Histogram:
        return cls(HdrHistogram.decode(text.encode("ascii")))
