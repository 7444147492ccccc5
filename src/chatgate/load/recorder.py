"""What one generator process measured, interval by interval (the Locust side; no Locust import here).

Per outcome: the histograms of its kind and the counters, and one row (``chatgate.load.raw``). Every
``interval_s`` the interval is rolled into a :class:`~chatgate.load.raw.Batch` and the histograms start
again empty, so memory never grows with the run's length.

Metric names (histograms, seconds in, microseconds stored), each also as ``warmup.<name>`` for the
outcomes of the warm-up:

``latency:<request>``   successful requests, from sent to the end of the answer (or stream)
``failed:<request>``    failed requests, from sent to the failure
``intended:<request>``  open model, successful requests, from their intended start
``intended_all``        open model, every arrival from its intended start: failures, ``unfinished`` and
                        never-sent arrivals included (the last two as lower bounds)
``headers``, ``ttft``, ``ttft_intended``, ``itl``, ``stream_mean_gap``, ``largest_gap``, ``terminal``
                        successful streams only; ``largest_gap`` includes the gap before the terminal
``walk``, ``visibility`` recorded by the scenarios; ``loop_lag``, ``schedule_slip`` by the monitor and
                        the arrival scheduler (never warm-up: they judge the generator)

Counters: ``requests``, ``requests:<name>``, ``errors:<class>``, ``events``, ``deltas``,
``deltas_timed``, ``events_validated``, ``comments``, ``buffered``, ``unfinished``, ``offered``,
``sent``, ``on_time``, ``late``, ``held_back``, ``not_sent:<cause>``, ``in_flight_peak`` (the
interval's peak, not a sum), ``cpu_samples``, ``cpu_pct_sum``, ``cpu_over``.
"""

from __future__ import annotations

import gzip
import time
from collections import defaultdict
from typing import Any

import orjson

from chatgate.load.outcome import Outcome
from chatgate.load.raw import Batch
from chatgate.metrics import Histogram

__all__ = ["Recorder"]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000.0, 3)


class Recorder:
    """One process's interval histograms, counters and rows; ``roll()`` hands them over."""

    def __init__(self, *, worker: int = 0, warmup_until: float = 0.0) -> None:
        self.worker = worker
        self.warmup_until = warmup_until  # perf_counter() before which outcomes are warm-up
        self.epoch_offset = time.time() - time.perf_counter()
        self._hists: dict[str, Histogram] = {}
        self.counters: defaultdict[str, int] = defaultdict(int)
        self._rows: list[bytes] = []
        self._keys: dict[tuple[str, str], tuple[str, str, str, str]] = {}
        self.interval_start = time.time()

    def hist(self, name: str) -> Histogram:
        h = self._hists.get(name)
        if h is None:
            h = self._hists[name] = Histogram()
        return h

    def epoch(self, perf: float | None) -> float | None:
        return None if perf is None else round(perf + self.epoch_offset, 6)

    def record(self, out: Outcome) -> None:
        """Record a finished request (success or failure)."""
        due = out.intended if out.intended is not None else out.sent
        p = "warmup." if due < self.warmup_until else ""
        c, keys = self.counters, self._names(p, out.name)
        c[p + "requests"] += 1
        c[keys[0]] += 1
        late = out.sent - out.intended if out.intended is not None else 0.0
        if out.error is None:
            self.hist(keys[1]).record(out.total_s)
            if out.intended is not None:
                self.hist(keys[2]).record(out.total_s + late)
            if out.ttft_s is not None:
                self._stream(p, out, late)
        else:
            self.hist(keys[3]).record(out.total_s)
            c[p + "errors:" + out.error] += 1
        if out.intended is not None:
            self.hist(p + "intended_all").record(out.total_s + late)
        if out.events:
            c[p + "events"] += out.events
            c[p + "events_validated"] += out.validated
            c[p + "comments"] += out.comments
            c[p + "buffered"] += out.buffered
        self._row(out, "ok" if out.error is None else "error", out.error, bool(p))

    def _names(self, p: str, name: str) -> tuple[str, str, str, str]:
        """The metric names of one request name (built once: they are looked up for every request)."""
        keys = self._keys.get((p, name))
        if keys is None:
            keys = (
                p + "requests:" + name,
                p + "latency:" + name,
                p + "intended:" + name,
                p + "failed:" + name,
            )
            self._keys[(p, name)] = keys
        return keys

    def _stream(self, p: str, out: Outcome, late: float) -> None:
        assert out.ttft_s is not None
        gaps = out.gaps
        if out.headers_s is not None:
            self.hist(p + "headers").record(out.headers_s)
        self.hist(p + "ttft").record(out.ttft_s)
        if out.intended is not None:
            self.hist(p + "ttft_intended").record(out.ttft_s + late)
        if gaps:
            self.hist(p + "itl").record_many(gaps)
            self.hist(p + "stream_mean_gap").record(sum(gaps) / len(gaps))
        every = max(gaps) if gaps else 0.0
        if out.tail_gap_s is not None:
            every = max(every, out.tail_gap_s)
        if gaps or out.tail_gap_s is not None:
            self.hist(p + "largest_gap").record(every)
        self.hist(p + "terminal").record(out.total_s)
        self.counters[p + "deltas"] += out.deltas
        self.counters[p + "deltas_timed"] += len(gaps) + 1  # the first delta timed as TTFT

    def _row(self, out: Outcome, state: str, error: str | None, warmup: bool) -> None:
        gaps = out.gaps
        every = [*gaps, out.tail_gap_s] if out.tail_gap_s is not None else gaps
        row: list[Any] = [
            self.worker,
            out.request_id,
            out.name,
            state,
            error,
            self.epoch(out.intended),
            self.epoch(out.sent) if out.sent else None,
            out.status,
            _ms(out.ttft_s),
            _ms(sum(gaps) / len(gaps)) if gaps else None,
            _ms(max(every)) if every else None,
            _ms(out.total_s),
            out.body_bytes,
            out.events,
            out.buffered,
            warmup,
        ]
        self._rows.append(orjson.dumps(row))

    def unfinished(self, out: Outcome, now: float) -> None:
        """A request still in flight when the run stopped: its elapsed time is a lower bound."""
        out.total_s = now - out.sent
        warm = (out.intended if out.intended is not None else out.sent) < self.warmup_until
        self.counters["warmup.unfinished" if warm else "unfinished"] += 1
        if out.intended is not None and not warm:
            self.hist("intended_all").record(now - out.intended)
        self._row(out, "unfinished", None, warm)

    def not_sent(self, name: str, intended: float, cause: str, now: float) -> None:
        """An arrival that was due but never sent (``held_back``: the cap stayed full; ``generator``)."""
        warm = intended < self.warmup_until
        self.counters[("warmup." if warm else "") + "not_sent:" + cause] += 1
        if not warm:
            self.hist("intended_all").record(now - intended)
        self._row(Outcome(name=name, intended=intended), "not_sent", cause, warm)

    def peak(self, name: str, value: int) -> None:
        if value > self.counters[name]:
            self.counters[name] = value

    def roll(self, end: float | None = None) -> Batch:
        """Close this interval: its batch, and a fresh interval from ``end`` (Unix seconds)."""
        end = time.time() if end is None else end
        hists = {name: (h.encode(), int(h.hdr.get_max_value())) for name, h in self._hists.items() if h.count}
        for h in self._hists.values():
            if h.count:
                h.clear()
        rows = gzip.compress(b"\n".join(self._rows) + b"\n", compresslevel=5) if self._rows else b""
        batch = Batch(self.worker, self.interval_start, end, hists, dict(self.counters), rows)
        self._rows = []
        self.counters = defaultdict(int)
        self.interval_start = end
        return batch
