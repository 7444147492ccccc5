"""The statistics of ``chatgate compare``: a circular block bootstrap over time windows.

Requests of one load run are not independent: a slow second (a garbage collection, a noisy neighbour,
a queue) makes many neighbouring requests slow together. Resampling single requests would treat them
as independent and make every small wobble look significant. So each run is cut into its time windows
(the raw data's intervals, 1 s by default) and **whole blocks of consecutive windows** are resampled:

- **Block length** (in windows): the larger of ``ceil(2 n ** (1/3))`` (twice the usual rate for a
  block bootstrap of n windows: longer blocks keep more of the dependence and widen the interval, and a
  false alarm is the costly error in CI) and the first lag at which the autocorrelation of the
  per-window values falls inside the noise band ``2 / sqrt(n)``; at most ``n // 4`` (at least four
  blocks per run).
- **One replicate**: ``ceil(n / block)`` block starts drawn uniformly, each block wrapping around the
  end of the run (circular, so the first and last windows are drawn as often as the others), cut to n
  windows. A window drawn k times weighs k: the statistic is computed on the weighted values.
- **Statistics**: a percentile (the smallest value with at least p% of the weight at or below it, as
  an HDR histogram reports it), a share (weighted mean of 0/1 flags), a rate (weight per second).

The two runs are resampled independently (``resamples`` replicates each, a fixed seed: the same two
directories always give the same answer) and the change is computed replicate by replicate. The
runner (``chatgate.compare.runner``) turns that distribution into the verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["CHUNK", "Sample", "block_length", "multiplicities", "point", "quantiles", "replicates"]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
CHUNK = 128  # replicates computed at once (bounds memory: CHUNK x samples weights)


@dataclass(frozen=True)
class Sample:
    """One metric of one run: values with weights, each in a time window (0 .. windows - 1).

    ``kind`` is ``percentile`` (with ``q``), ``share`` (values 0 or 1) or ``rate`` (weight per second).
    """

    kind: str
    values: Floats
    weights: Floats
    window: Ints
    windows: int
    window_s: float
    q: float = 50.0

    @property
    def size(self) -> float:
        return float(self.weights.sum())

    def per_window(self) -> Floats:
        """The per-window series the block length is chosen from (weighted mean, or weight for rates)."""
        weight: Floats = np.bincount(self.window, weights=self.weights, minlength=self.windows).astype(
            np.float64
        )
        if self.kind == "rate":
            return weight
        total = np.bincount(self.window, weights=self.weights * self.values, minlength=self.windows)
        mean = np.full(self.windows, np.nan)
        np.divide(total, weight, out=mean, where=weight > 0)
        return mean


def block_length(series: Floats) -> int:
    """Windows per block for ``series`` (NaN for windows without samples)."""
    n = len(series)
    base = math.ceil(2 * n ** (1 / 3)) if n else 1
    cap = max(1, n // 4)
    x = np.where(np.isnan(series), np.nanmean(series) if np.any(~np.isnan(series)) else 0.0, series)
    x = x - x.mean()
    denom = float((x * x).sum())
    lag = 1
    if denom > 0:
        band = 2.0 / math.sqrt(n)
        while lag < cap and float((x[:-lag] * x[lag:]).sum()) / denom >= band:
            lag += 1
    return max(1, min(cap, max(base, lag)))


def multiplicities(n: int, block: int, reps: int, rng: np.random.Generator) -> Ints:
    """How often each of ``n`` windows is drawn in each of ``reps`` circular block replicates (reps x n)."""
    blocks = math.ceil(n / block)
    starts = rng.integers(0, n, size=(reps, blocks))
    idx = ((starts[:, :, None] + np.arange(block)[None, None, :]) % n).reshape(reps, blocks * block)[:, :n]
    flat = (idx + n * np.arange(reps)[:, None]).ravel()
    counts: Ints = np.bincount(flat, minlength=reps * n).reshape(reps, n).astype(np.int64)
    return counts


def _statistic(sample: Sample, order: Ints, weights: Floats) -> Floats:
    """The statistic under each row of ``weights`` (reps x values, in ``order``)."""
    total = weights.sum(axis=1)
    if sample.kind == "rate":
        out: Floats = total / (sample.windows * sample.window_s)
        return out
    with np.errstate(invalid="ignore", divide="ignore"):
        if sample.kind == "share":
            share: Floats = (weights * sample.values[order][None, :]).sum(axis=1) / total
            return share
        cum = np.cumsum(weights, axis=1)
        target = sample.q / 100.0 * total
        idx = np.argmax(cum >= target[:, None] * (1 - 1e-12), axis=1)
    pct: Floats = np.where(total > 0, sample.values[order][idx], np.nan)
    return pct


def point(sample: Sample) -> float:
    """The statistic of the run as measured (every window once)."""
    order = np.argsort(sample.values, kind="stable")
    return float(_statistic(sample, order, sample.weights[order][None, :])[0])


def quantiles(sample: Sample, qs: Floats) -> Floats:
    """The weighted percentiles ``qs`` of the values (for plots)."""
    order = np.argsort(sample.values, kind="stable")
    cum = np.cumsum(sample.weights[order])
    if not cum.size or cum[-1] <= 0:
        return np.full(len(qs), np.nan)
    idx = np.searchsorted(cum, qs / 100.0 * cum[-1] * (1 - 1e-12), side="left")
    out: Floats = sample.values[order][np.clip(idx, 0, len(cum) - 1)]
    return out


def replicates(sample: Sample, block: int, reps: int, rng: np.random.Generator) -> Floats:
    """The statistic of ``reps`` replicates of ``sample`` resampled in blocks of ``block`` windows."""
    counts = multiplicities(sample.windows, block, reps, rng)
    order = np.argsort(sample.values, kind="stable")
    base_w, win = sample.weights[order], sample.window[order]
    out = np.empty(reps)
    for lo in range(0, reps, CHUNK):
        m = counts[lo : lo + CHUNK]
        out[lo : lo + CHUNK] = _statistic(sample, order, base_w[None, :] * m[:, win])
    return out
