"""SLO files (``loadtests/slo.toml``): per-scenario thresholds and the generator's own budgets.

::

    [monitor]                       # past these the run is "measurement invalid" (exit 4)
    max_loop_lag_p99_ms = 25        # p99 of how late a 50 ms sleep wakes up in the generator
    max_cpu_mean_percent = 90       # mean CPU of a generator process
    max_schedule_slip_p99_ms = 250  # open model: p99 of how late the generator woke for a due arrival

    [scenario.nara-stream-sends]    # exit 1 when any is breached
    p95_ttft_ms = 2000
    p99_itl_ms = 250
    max_gap_ms = 2000
    max_error_rate = 0.01
    min_throughput_rps = 1
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatgate.errors import UsageError

__all__ = [
    "MONITOR_KEYS",
    "OPEN_MODEL_PATHS",
    "SLO_KEYS",
    "Check",
    "SloFile",
    "evaluate",
    "load_slo",
    "slo_keys",
]

# key -> (summary path, comparison): "max" means observed must be <= threshold, "min" >=.
SLO_KEYS: dict[str, tuple[str, str]] = {
    "p95_ttft_ms": ("ttft.p95", "max"),
    "p99_ttft_ms": ("ttft.p99", "max"),
    "p99_itl_ms": ("itl.p99", "max"),
    "max_gap_ms": ("largest_gap.max", "max"),
    "p95_latency_ms": ("latency.p95", "max"),
    "p99_latency_ms": ("latency.p99", "max"),
    "max_error_rate": ("error_rate", "max"),
    "min_throughput_rps": ("throughput_rps", "min"),
}
# In the open model, latency and TTFT are judged from each request's intended start (coordinated
# omission: a server that stalls delays the requests behind it, and their wait is its latency too).
OPEN_MODEL_PATHS = {
    "p95_ttft_ms": "ttft_intended.p95",
    "p99_ttft_ms": "ttft_intended.p99",
    "p95_latency_ms": "intended.p95",
    "p99_latency_ms": "intended.p99",
}


def slo_keys(model_kind: str) -> dict[str, tuple[str, str]]:
    """The summary path each SLO key reads, for a closed or open model run."""
    if model_kind != "open":
        return SLO_KEYS
    return {k: (OPEN_MODEL_PATHS.get(k, path), kind) for k, (path, kind) in SLO_KEYS.items()}


MONITOR_KEYS: dict[str, tuple[str, str]] = {
    "max_loop_lag_p99_ms": ("monitor.loop_lag_p99_ms", "max"),
    "max_cpu_mean_percent": ("monitor.cpu_mean_percent", "max"),
    "max_schedule_slip_p99_ms": ("monitor.schedule_slip_p99_ms", "max"),
}
DEFAULT_MONITOR = {
    "max_loop_lag_p99_ms": 25.0,
    "max_cpu_mean_percent": 90.0,
    "max_schedule_slip_p99_ms": 250.0,
}


@dataclass(frozen=True)
class Check:
    key: str
    threshold: float
    observed: float | None
    ok: bool


@dataclass(frozen=True)
class SloFile:
    path: Path | None
    scenarios: dict[str, dict[str, float]]
    monitor: dict[str, float]


def _numbers(table: Any, allowed: dict[str, tuple[str, str]], where: str, path: Path) -> dict[str, float]:
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [{where}] must be a table")
    out: dict[str, float] = {}
    for key, value in table.items():
        if key not in allowed:
            raise UsageError(f"{path}: [{where}] unknown key {key!r} (known: {', '.join(sorted(allowed))})")
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise UsageError(f"{path}: [{where}] {key} must be a non-negative number, got {value!r}")
        out[key] = float(value)
    return out


def load_slo(path: Path) -> SloFile:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read SLO file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"invalid SLO file {path}: {exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"invalid SLO file {path}: not UTF-8 text") from None
    unknown = set(raw) - {"monitor", "scenario"}
    if unknown:
        raise UsageError(f"{path}: unknown table(s) {', '.join(sorted(unknown))}")
    monitor = dict(DEFAULT_MONITOR)
    monitor.update(_numbers(raw.get("monitor", {}), MONITOR_KEYS, "monitor", path))
    scen_raw = raw.get("scenario", {})
    if not isinstance(scen_raw, dict):
        raise UsageError(f"{path}: [scenario] must be a table of scenarios")
    scenarios = {
        name: _numbers(table, SLO_KEYS, f"scenario.{name}", path) for name, table in scen_raw.items()
    }
    return SloFile(path, scenarios, monitor)


def _lookup(summary: dict[str, Any], dotted: str) -> float | None:
    node: Any = summary
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return float(node) if isinstance(node, int | float) else None


def evaluate(
    summary: dict[str, Any], thresholds: dict[str, float], keys: dict[str, tuple[str, str]]
) -> list[Check]:
    """Compare a run summary against thresholds; a metric with no samples passes (nothing observed)."""
    checks = []
    for key, threshold in thresholds.items():
        path, kind = keys[key]
        observed = _lookup(summary, path)
        if observed is None:
            ok = kind == "max"
        else:
            ok = observed <= threshold if kind == "max" else observed >= threshold
        checks.append(Check(key, threshold, observed, ok))
    return checks
