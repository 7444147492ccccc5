"""Per-request figures from the kept rows (``raw/requests.jsonl.gz``, :mod:`chatgate.load.raw`): goodput,
each stream's output rate, and each request name's own figures for the SLO file's request tables.

The rows of the judged part of a run (``warmup`` false) are read once into columns. Percentiles here
are exact (numpy's ``inverted_cdf``: the smallest value with at least p% of the values at or below it,
which is what an HDR histogram reports, without its 0.1% bucket error).

**From the intended start.** A row keeps when its arrival was due (``intended``, open model) and when
it was sent; ``late`` is the difference (0 in the closed model). The open model's SLOs judge latency
and TTFT from the intended start (``chatgate.load.slo.OPEN_MODEL_PATHS``), and so does goodput: a
request that waited in the generator's queue for a full in-flight cap waited for the server.

**Goodput** (``goodput_for``): a request is good when it succeeded (``state`` ok) and met every
per-request bound of its name that applies to it: ``goodput_ttft_ms`` and ``goodput_mean_gap_ms`` to
streams (rows with a TTFT / a mean gap), ``goodput_latency_ms`` to every request. Without bounds every
successful request is good. ``rps`` is good requests per second of the judged run; ``share`` is good
requests over the judged arrivals: finished, ``unfinished`` at the stop and ``not_sent`` alike (an
arrival that never got an answer was not served well).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from chatgate.load.model import Goodput, RequestFigures, Stats, Tokens
from chatgate.load.raw import read_rows
from chatgate.load.slo import ScenarioSlo

__all__ = [
    "Rows",
    "exact_stats",
    "good_mask",
    "goodput_of",
    "read_judged_rows",
    "request_figures",
    "tokens_of",
]

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Rows:
    """The judged rows as columns (times in ms; NaN where a row has no such value)."""

    name: npt.NDArray[np.str_]
    state: npt.NDArray[np.str_]
    ttft: Floats
    mean_gap: Floats
    max_gap: Floats
    total: Floats
    late: Floats  # sent - intended (0 in the closed model; NaN when never sent)
    at: Floats  # Unix seconds: intended start, else sent

    def __len__(self) -> int:
        return len(self.state)

    @property
    def ok(self) -> Bools:
        mask: Bools = self.state == "ok"
        return mask

    @property
    def finished(self) -> Bools:
        mask: Bools = (self.state == "ok") | (self.state == "error")
        return mask

    def select(self, mask: Bools) -> Rows:
        return Rows(*(getattr(self, f)[mask] for f in Rows.__dataclass_fields__))


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else float("nan")


def rows_from(records: Iterable[Mapping[str, Any]]) -> Rows:
    """Columns of the rows given (each a dict by field name, as ``raw.read_rows`` yields), warm-up
    rows left out."""
    cols: dict[str, list[Any]] = {f: [] for f in Rows.__dataclass_fields__}
    for r in records:
        if r.get("warmup"):
            continue
        intended, sent = _num(r.get("intended")), _num(r.get("sent"))
        cols["name"].append(str(r.get("name") or ""))
        cols["state"].append(str(r.get("state") or ""))
        for f, key in (("ttft", "ttft_ms"), ("mean_gap", "mean_gap_ms"), ("max_gap", "max_gap_ms")):
            cols[f].append(_num(r.get(key)))
        cols["total"].append(_num(r.get("total_ms")))
        if math.isnan(intended):  # the closed model: due when sent
            cols["late"].append(0.0)
            cols["at"].append(sent)
        else:  # late is NaN for an arrival never sent
            cols["late"].append((sent - intended) * 1000.0)
            cols["at"].append(intended)
    return Rows(
        np.array(cols["name"], dtype=np.str_),
        np.array(cols["state"], dtype=np.str_),
        *(
            np.array(cols[f], dtype=np.float64)
            for f in ("ttft", "mean_gap", "max_gap", "total", "late", "at")
        ),
    )


def read_judged_rows(raw_dir: Path) -> Rows:
    """The judged rows of a run's ``raw/`` directory."""
    return rows_from(read_rows(raw_dir))


def exact_stats(values: Floats) -> Stats:
    """A :class:`Stats` of ``values`` (NaN left out), exact percentiles."""
    v = values[~np.isnan(values)]
    if not v.size:
        return Stats()
    p50, p90, p95, p99 = (float(x) for x in np.percentile(v, [50, 90, 95, 99], method="inverted_cdf"))
    return Stats(int(v.size), round(p50, 3), round(p90, 3), round(p95, 3), round(p99, 3),
                 round(float(v.max()), 3), round(float(v.mean()), 3))  # fmt: skip


def _within(values: Floats, bound: float | None) -> Bools:
    """True where ``bound`` does not apply (no bound, or no value of that kind) or is met."""
    if bound is None:
        return np.ones(values.shape, dtype=np.bool_)
    return np.isnan(values) | (values <= bound)


def good_mask(rows: Rows, slo: ScenarioSlo) -> Bools:
    """Which judged arrivals were good (see the module docstring), each by its own name's bounds."""
    good = rows.ok.copy()
    for name in np.unique(rows.name):
        bounds = slo.goodput_for(str(name))
        if not bounds:
            continue
        mine = rows.name == name
        sub = rows.select(mine)
        keep = _within(sub.ttft + sub.late, bounds.get("goodput_ttft_ms"))
        keep &= _within(sub.mean_gap, bounds.get("goodput_mean_gap_ms"))
        keep &= _within(sub.total + sub.late, bounds.get("goodput_latency_ms"))
        good[mine] &= keep
    return good


def goodput_of(rows: Rows, slo: ScenarioSlo, duration_s: float) -> Goodput:
    """Goodput of the judged rows over ``duration_s`` seconds, by the bounds of ``slo``."""
    good = int(good_mask(rows, slo).sum())
    judged = len(rows)
    return Goodput(
        rps=good / duration_s if duration_s > 0 else 0.0,
        share=good / judged if judged else 0.0,
        good=good,
        judged=judged,
        bounds=dict(slo.goodput),
    )


def tokens_of(rows: Rows, deltas: int, duration_s: float) -> Tokens:
    """Output deltas: ``deltas`` (the run's count of successful streams' deltas) per second, and each
    successful stream's rate after its first delta (1000 / its mean gap)."""
    gaps = rows.mean_gap[rows.ok & ~np.isnan(rows.mean_gap) & (rows.mean_gap > 0)]
    return Tokens(
        output=deltas,
        per_second=deltas / duration_s if duration_s > 0 else 0.0,
        per_stream=exact_stats(1000.0 / gaps),
    )


def request_figures(rows: Rows, slo: ScenarioSlo, duration_s: float) -> dict[str, RequestFigures]:
    """Each request name's figures (names with at least one finished request)."""
    out: dict[str, RequestFigures] = {}
    good = good_mask(rows, slo)
    for name in sorted(str(n) for n in np.unique(rows.name[rows.finished])):
        mine = rows.name == name
        sub = rows.select(mine)
        ok, n = sub.ok, int(sub.finished.sum())
        errors = int((sub.state == "error").sum())
        n_good = int(good[mine].sum())
        out[name] = RequestFigures(
            requests=n,
            errors=errors,
            error_rate=errors / n if n else 0.0,
            throughput_rps=n / duration_s if duration_s > 0 else 0.0,
            latency=exact_stats(sub.total[ok]),
            intended=exact_stats((sub.total + sub.late)[ok]),
            ttft=exact_stats(sub.ttft[ok]),
            ttft_intended=exact_stats((sub.ttft + sub.late)[ok]),
            largest_gap=exact_stats(sub.max_gap[ok]),
            goodput=Goodput(
                rps=n_good / duration_s if duration_s > 0 else 0.0,
                share=n_good / len(sub) if len(sub) else 0.0,
                good=n_good,
                judged=len(sub),
                bounds=slo.goodput_for(name),
            ),
        )
    return out
