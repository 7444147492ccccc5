"""Workers lost mid-run: what the master saw (the raw data's manifest), turned into what was not delivered.

The master records facts (``chatgate.load.distributed``): which worker, the cause, when it noticed,
the worker's users, and when it came back or Locust gave its users to the others. The intervals each
worker sent (``intervals.jsonl.gz``) say until when its data is there. From both:

- **The gap** of a lost worker: from the end of its last interval received before the loss (or the
  start of the judged part, after ``--warmup``, when that is later) to the stop, less any intervals it
  sent after it came back. In the closed model the gap ends when Locust gave its users to the other
  workers (a worker that quits hands them over at once, a silent one after about a minute).
- **Open model**: each worker process issues ``rate / processes`` arrivals a second and nobody takes
  over a lost worker's share, so ``not_delivered`` = ``rate / processes x gap`` (arrivals never issued)
  + the arrivals it had issued whose outcome never arrived (offered - sent - not sent, from its own
  counters: in flight when it died). ``share`` = ``not_delivered / (rate x judged seconds)``.
- **Closed model**: ``share`` = its users / all users x gap / judged seconds (user-seconds missing).

``chatgate.load.judge`` makes the run invalid (exit 4) when the shares add up past the ``[monitor]``
budget ``max_lost_share`` (default 2%, the same bar as late arrivals: an open-model run delivers what
it offers).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chatgate.load.model import LostWorker

__all__ = ["LoadPlan", "lost_workers", "not_issued", "uncovered"]


@dataclass(frozen=True)
class LoadPlan:
    """What the run offered, and the judged part of it (Unix seconds)."""

    started: float
    judged_from: float
    stopped: float
    open_model: bool
    arrival_rate: float
    processes: int
    users: int


def uncovered(start: float, end: float, spans: Iterable[tuple[float, float]]) -> float:
    """Seconds of ``[start, end]`` that no span covers."""
    if end <= start:
        return 0.0
    covered, cursor = 0.0, start
    for lo, hi in sorted(spans):
        lo, hi = max(lo, cursor), min(hi, end)
        if hi > lo:
            covered += hi - lo
            cursor = hi
    return max(0.0, (end - start) - covered)


def _in_flight(counters: Mapping[str, int]) -> int:
    not_sent = sum(v for k, v in counters.items() if k.startswith("not_sent:"))
    return max(0, counters.get("offered", 0) - counters.get("sent", 0) - not_sent)


def _one(
    record: Mapping[str, Any],
    spans: list[tuple[float, float]],
    counters: Mapping[str, int],
    plan: LoadPlan,
) -> LostWorker:
    lost_at = float(record["lost_at"])
    before = [end for start, end in spans if start < lost_at]
    last = max(before) if before else None
    gap_end = plan.stopped
    restored = record.get("restored_at")
    if not plan.open_model and restored is not None:
        gap_end = min(gap_end, float(restored))
    gap_start = max(plan.judged_from, last if last is not None else plan.started)
    gap = uncovered(gap_start, gap_end, [s for s in spans if s[0] >= (last or plan.started)])
    judged = max(1e-9, plan.stopped - plan.judged_from)
    if plan.open_model:
        not_delivered = round(plan.arrival_rate / plan.processes * gap) + _in_flight(counters)
        share = not_delivered / max(1e-9, plan.arrival_rate * judged)
    else:
        users = int(record.get("users") or 0) or max(1, plan.users // plan.processes)
        not_delivered, share = 0, users / max(1, plan.users) * gap / judged

    def rel(t: Any) -> float | None:
        return None if t is None else round(float(t) - plan.started, 3)

    return LostWorker(
        cause=str(record.get("cause", "")),
        reason=str(record.get("reason", "")),
        lost_at_s=round(lost_at - plan.started, 3),
        last_data_s=rel(last),
        rejoined_at_s=rel(record.get("rejoined_at")),
        restored_at_s=None if plan.open_model else rel(restored),  # nobody takes over arrivals
        share=min(1.0, share),
        not_delivered=not_delivered,
    )


def lost_workers(
    manifest: Mapping[str, Any],
    spans: Mapping[int, list[tuple[float, float]]],
    counters: Mapping[int, Mapping[str, int]],
    plan: LoadPlan,
) -> dict[int, LostWorker]:
    """Each lost worker of the manifest by index (none in a single-process or undisturbed run)."""
    out = {}
    for record in manifest.get("lost_workers", []):
        index = int(record["index"])
        out[index] = _one(record, spans.get(index, []), counters.get(index, {}), plan)
    return out


def not_issued(lost: Mapping[int, LostWorker], counters: Mapping[int, Mapping[str, int]]) -> int:
    """Open model: the lost workers' arrivals that were never issued (those in flight were offered)."""
    return sum(w.not_delivered - _in_flight(counters.get(i, {})) for i, w in lost.items())
