"""Mergeable latency histograms (HDR, microsecond resolution) and their wire form.

Locust's own statistics round response times into buckets; chatgate keeps its own HDR histograms so
percentiles are exact to 3 significant digits, and ships them from workers to the master as base64
HDR encodings (``encode``/``decode``) that merge without loss::

    m = Metrics()
    m.record("ttft", 0.2013)          # seconds in, microseconds stored
    wire = m.encode()                 # dict[str, str], JSON-safe
    master.merge(Metrics.decode(wire))
    master.summary("ttft")            # {"count", "p50", "p90", "p95", "p99", "max", "mean"} in ms
"""

from __future__ import annotations

from collections.abc import Iterable

from hdrh.histogram import HdrHistogram

__all__ = ["HIGHEST_US", "PERCENTILES", "Histogram", "Metrics"]

HIGHEST_US = 600_000_000  # 10 minutes, in microseconds
TIMELINE_DIGITS = 2
PERCENTILES = (50.0, 90.0, 95.0, 99.0)


class Histogram:
    """One HDR histogram of durations; record seconds, report milliseconds.

    ``record``/``record_many`` compute the HDR counts index themselves (the same arithmetic as
    ``HdrHistogram.record_value``, a test keeps them equal) at a third of its cost: a stream's gaps are
    recorded on the generator's hot path.
    """

    def __init__(self, hdr: HdrHistogram | None = None, digits: int = 3) -> None:
        self.hdr = h = hdr or HdrHistogram(1, HIGHEST_US, digits)
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


class Metrics:
    """A named set of histograms plus integer counters, mergeable across processes."""

    def __init__(self) -> None:
        self.hists: dict[str, Histogram] = {}
        self.counters: dict[str, int] = {}

    def hist(self, name: str) -> Histogram:
        h = self.hists.get(name)
        if h is None:
            # Timeline windows ("tl:...") only feed the over-time plots: 2 significant digits there
            # keep each window's histogram at ~25 KB instead of ~160 KB, so a long run's memory
            # grows by windows, slowly, never by samples.
            h = self.hists[name] = Histogram(digits=TIMELINE_DIGITS if name.startswith("tl:") else 3)
        return h

    def record(self, name: str, seconds: float) -> None:
        self.hist(name).record(seconds)

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + n

    def merge(self, other: Metrics) -> None:
        for name, h in other.hists.items():
            self.hist(name).merge(h)
        for name, n in other.counters.items():
            self.count(name, n)

    def summary(self, name: str) -> dict[str, float]:
        return self.hist(name).summary()

    def encode(self) -> dict[str, object]:
        """JSON-safe wire form: {"h": {name: base64 HDR}, "c": {name: int}}."""
        return {
            "h": {k: h.encode() for k, h in self.hists.items() if h.count},
            "c": dict(self.counters),
        }

    @classmethod
    def decode(cls, wire: dict[str, object]) -> Metrics:
        m = cls()
        hists = wire.get("h", {})
        counters = wire.get("c", {})
        if isinstance(hists, dict):
            for k, v in hists.items():
                m.hists[str(k)] = Histogram.decode(str(v))
        if isinstance(counters, dict):
            for k, v in counters.items():
                m.counters[str(k)] = int(v)
        return m

    def reset(self) -> None:
        self.hists.clear()
        self.counters.clear()
