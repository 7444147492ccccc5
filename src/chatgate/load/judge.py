"""Judge a load run (pure: summary + SLO file in, verdict out).

Order of the verdict, first match wins:

1. **Measurement invalid (exit 4)** when a generator process broke one of its budgets (``[monitor]``),
   each worker judged on its own: timer lag p99 and max, mean CPU, schedule slip p99, and in the open
   model the share of its arrivals it sent late (or never issued) while the in-flight cap had room.
   The reason names the worker and the budget. In a distributed run, also when workers left before
   the stop and took more of the offered load with them than ``max_lost_share`` allows (all lost
   workers together; ``chatgate.load.lost`` says how the share is computed): the reason names each
   lost worker, when and why it was lost. Lost within the budget: a note.
2. **The cap, not the server (exit 4)**: open model, more arrivals than the late budget were held back
   by a full ``--max-in-flight``, yet the requests filling the cap met every SLO measured from when they
   were sent. The server answered in time; the cap was too small for the offered load.
3. **SLO breached (exit 1)**: a threshold of the scenario missed over the whole judged run or in one of
   its windows (open model: latency and TTFT from the intended start, so arrivals held back by a cap
   full of slow or stalled requests are charged to the server), a threshold of a request name's own
   table (``[scenario.<s>.request."<name>"]``, judged over the whole run from that name's rows), or
   the run was stopped by ``--abort-on-error-rate``.
4. Otherwise **pass (exit 0)**.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from chatgate.errors import EXIT_FINDINGS, EXIT_MEASUREMENT_INVALID, EXIT_OK
from chatgate.load.model import Check, LoadSummary, LostWorker, Verdict, WorkerInfo
from chatgate.load.slo import MONITOR_KEYS, SLO_KEYS, ScenarioSlo, SloFile, slo_keys

__all__ = ["MIN_WINDOW_REQUESTS", "evaluate", "judge"]

MIN_WINDOW_REQUESTS = 20  # a window with fewer requests is not judged (its percentiles say little)


def _lookup(data: Mapping[str, Any], dotted: str) -> float | None:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return float(node) if isinstance(node, int | float) and not isinstance(node, bool) else None


def evaluate(
    data: Mapping[str, Any],
    thresholds: Mapping[str, float],
    keys: Mapping[str, tuple[str, str]],
    sources: Mapping[str, str] | None = None,
    **where: Any,
) -> list[Check]:
    """Thresholds against ``data`` (a summary as JSON); a metric with no samples passes a max.
    ``sources``: where each threshold came from (``default`` when not said)."""
    checks = []
    for key, threshold in thresholds.items():
        path, kind = keys[key]
        observed = _lookup(data, path)
        if observed is None:
            ok = kind == "max"
        else:
            ok = observed <= threshold if kind == "max" else observed >= threshold
        checks.append(
            Check(key, threshold, observed, ok, source=(sources or {}).get(key, "default"), **where)
        )
    return checks


def _worker_data(w: WorkerInfo, is_open: bool) -> dict[str, Any]:
    data = asdict(w)
    if is_open:
        data["late_rate"] = w.late / w.offered if w.offered else 0.0
    return data


def _monitor_checks(s: LoadSummary, monitor: Mapping[str, float], sources: Mapping[str, str]) -> list[Check]:
    is_open = s.model.kind == "open"
    keys = {k: v for k, v in MONITOR_KEYS.items() if (is_open or k != "max_late_arrival_rate")}
    keys.pop("max_lost_share", None)  # the run's, below
    budgets = {k: v for k, v in monitor.items() if k in keys}
    if not is_open:
        budgets.pop("max_schedule_slip_p99_ms", None)
    out: list[Check] = []
    for w in s.workers:
        out += evaluate(_worker_data(w, is_open), budgets, keys, sources, worker=w.index)
    lost = [w for w in s.workers if w.lost is not None]
    if lost:
        share = sum(w.lost.share for w in lost if w.lost is not None)
        budget = monitor.get("max_lost_share", 0.02)
        source = sources.get("max_lost_share", "default")
        out.append(Check("max_lost_share", budget, round(share, 6), share <= budget, source=source))
    return out


def _lost_text(w: WorkerInfo, lost: LostWorker) -> str:
    why = {"no_heartbeat": "no heartbeat", "quit": "it quit", "refused": "it refused the plan"}
    cause = why.get(lost.cause, lost.cause) + (f": {lost.reason}" if lost.reason else "")
    last = "no data" if lost.last_data_s is None else f"its last data at {lost.last_data_s:.1f} s"
    undelivered = f", {lost.not_delivered} arrival(s)" if lost.not_delivered else ""
    return (
        f"worker {w.index}" + (f" ({w.id})" if w.id else "")
        + f" lost {lost.lost_at_s:.1f} s into the run ({cause}; {last}): {lost.share:.1%} of the offered "
        f"load not delivered{undelivered}"
    )  # fmt: skip


def _invalid_reason(bad: list[Check], s: LoadSummary) -> str:
    parts = []
    for c in bad:
        if c.key == "max_lost_share":
            lost = "; ".join(_lost_text(w, w.lost) for w in s.workers if w.lost is not None)
            parts.append(f"{lost} (together {c.observed or 0:.1%} > the {c.threshold:.0%} budget)")
            continue
        w = next((w for w in s.workers if w.index == c.worker), None)
        who = f"worker {c.worker}" + (f" ({w.id})" if w and w.id and w.id != "local" else "")
        observed = "-" if c.observed is None else f"{c.observed:.3g}"
        parts.append(f"{who}: {c.key.removeprefix('max_')} {observed} > {c.threshold:g}")
    if s.not_sent.get("generator"):
        parts.append(f"{s.not_sent['generator']} arrival(s) due were never issued")
    return "; ".join(parts)


def _cap_limited(s: LoadSummary, slo: SloFile, thresholds: Mapping[str, float]) -> str:
    """Why the in-flight cap (not the server) limited the run, or "" when it did not."""
    if s.model.kind != "open" or not s.offered:
        return ""
    held = s.held_back + s.not_sent.get("held_back", 0)
    budget = slo.monitor.get("max_late_arrival_rate", 0.02)
    if held / s.offered <= budget:
        return ""
    from_sent = evaluate(s.to_json(), thresholds, SLO_KEYS)  # the server's own time, from sent
    if any(not c.ok for c in from_sent):
        return ""
    return (
        f"the in-flight cap (--max-in-flight {s.model.max_in_flight}) held back {held} of {s.offered} "
        f"arrivals ({held / s.offered:.1%} > {budget:.0%}) while the server met every SLO from when "
        f"requests were sent (in flight at peak {s.in_flight_peak}): raise the cap or lower the rate"
    )


def _request_checks(
    s: LoadSummary, scenario: ScenarioSlo, keys: Mapping[str, tuple[str, str]]
) -> list[Check]:
    """Each request name's own thresholds against its figures (a name with no requests: no samples)."""
    out: list[Check] = []
    for name, table in scenario.requests.items():
        figures = (s.by_name or {}).get(name)
        out += evaluate(
            asdict(figures) if figures else {}, table.thresholds, keys, table.sources, request=name
        )
    return out


def judge(s: LoadSummary, slo: SloFile) -> Verdict:
    """The verdict of a run (see the module docstring for the order of the rules)."""
    scenario = slo.scenario(s.scenario)
    data = s.to_json()
    keys = slo_keys(s.model.kind)
    checks = evaluate(data, scenario.thresholds, keys, scenario.sources) + _request_checks(s, scenario, keys)
    window_checks: list[Check] = []
    for w in s.slo_windows:
        if int(w.get("requests", 0)) >= MIN_WINDOW_REQUESTS:
            where = (w["start_s"], w["end_s"])
            window_checks += evaluate(w, scenario.thresholds, keys, scenario.sources, window=where)
    monitor = _monitor_checks(s, slo.monitor, slo.monitor_sources)
    notes = [*s.warnings]
    if scenario.judges_nothing():
        notes.append("no SLO judged this run (--no-slo): it was measured only")
    notes += [f"{_lost_text(w, w.lost)}: within the budget" for w in s.workers
              if w.lost is not None and all(c.ok for c in monitor if c.key == "max_lost_share")]  # fmt: skip
    bad = [c for c in monitor if not c.ok]
    if bad:
        reason = _invalid_reason(bad, s)
        return Verdict(EXIT_MEASUREMENT_INVALID, "measurement_invalid", reason, (*checks,),
                       (*window_checks,), (*monitor,), tuple(notes))  # fmt: skip
    cap = _cap_limited(s, slo, scenario.thresholds)
    if cap:
        return Verdict(EXIT_MEASUREMENT_INVALID, "measurement_invalid", cap, (*checks,),
                       (*window_checks,), (*monitor,), tuple(notes))  # fmt: skip
    held = s.held_back + s.not_sent.get("held_back", 0)
    if held:
        notes.append(f"{held} arrival(s) waited for a full in-flight cap: charged to the server")
    if s.stopped_early and s.stopped_early.startswith("error rate"):
        notes.append(f"stopped early: {s.stopped_early}")
        code = EXIT_FINDINGS
    else:
        code = EXIT_FINDINGS if any(not c.ok for c in (*checks, *window_checks)) else EXIT_OK
    verdict = "pass" if code == EXIT_OK else "slo_breached"
    return Verdict(code, verdict, "", (*checks,), (*window_checks,), (*monitor,), tuple(notes))
