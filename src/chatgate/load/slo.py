"""SLO files (``loadtests/slo.toml``): per-scenario thresholds, deadlines and workload, and the generator's
own budgets.

::

    [monitor]                        # past these the run is "measurement invalid" (exit 4), per worker
    max_loop_lag_p99_ms = 20         # p99 of how late a known 10 ms sleep wakes up in a generator process
    max_loop_lag_max_ms = 250        # its worst case
    max_cpu_mean_percent = 90        # mean CPU of a generator process
    max_schedule_slip_p99_ms = 250   # open model: p99 of how late the scheduler woke for an arrival
    max_late_arrival_rate = 0.02     # open model: share of arrivals not sent on time (blame: see judge)
    max_lost_share = 0.02            # distributed: share of the offered load lost with workers that
                                     # left mid-run (chatgate.load.lost), all workers together

    [scenario.nara-stream-sends]     # exit 1 when any is breached (whole run, and per window)
    p95_ttft_ms = 2000
    p99_itl_ms = 250
    max_gap_ms = 2000
    max_error_rate = 0.01
    min_throughput_rps = 1
    request_timeout = "30s"          # deadlines (the same as --request-timeout...; a flag wins)
    stream_idle_timeout = "30s"
    stream_timeout = "5m"
    slo_window = "1m"                # SLOs are also judged per window of this length
    message_lengths = [[40, 6], [400, 3], [4000, 1]]   # sends: [characters, weight]
    goodput_ttft_ms = 2000           # goodput: a request is good when it succeeded and met every
    goodput_mean_gap_ms = 250        # per-request bound that applies to it (TTFT and mean gap: streams;
    goodput_latency_ms = 30000       # latency: every request), from the intended start in the open model

    [scenario.mixed.request."navigable.read"]   # one request name judged apart (whole run only)
    p99_latency_ms = 500             # any key above but p99_itl_ms (gaps are not kept per request)
    goodput_latency_ms = 500         # overrides the scenario's goodput bound for this name

Goodput is a measurement, not a threshold: it says how many requests per second met their per-request
bounds (``goodput`` in summary.json), and it is recomputed from the kept rows when the bounds change
(``chatgate.load.runner.rejudge``).

**A user's file layers over the shipped one** (``load_slo(path, defaults=...)``), key by key: a key it
sets wins, a key it leaves out keeps the shipped value, a scenario or request table it leaves out is
the shipped table; ``"off"`` (that exact string) drops a shipped threshold or goodput bound, in scenario
and request tables alike. Each threshold and bound knows where it came from (``sources``: ``default``
or ``file``). Every key, with its meaning, is in ``docs/slo-reference.md``, generated from the lists of
this module (``chatgate.load.slo_reference``).
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatgate.errors import UsageError
from chatgate.options import parse_duration

__all__ = [
    "DEADLINE_KEYS",
    "DEFAULT_MONITOR",
    "GOODPUT_KEYS",
    "MONITOR_KEYS",
    "OFF",
    "OPEN_MODEL_PATHS",
    "REQUEST_SLO_KEYS",
    "SLO_KEYS",
    "TABLE_KEYS",
    "RequestSlo",
    "ScenarioSlo",
    "SloFile",
    "check_tables",
    "load_slo",
    "slo_keys",
]

OFF = "off"  # the value that drops a shipped threshold or goodput bound

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
DEADLINE_KEYS = ("request_timeout", "stream_idle_timeout", "stream_timeout")
# Per-request bounds of goodput (ms): TTFT and the stream's mean gap apply to streams, latency to all.
GOODPUT_KEYS = ("goodput_ttft_ms", "goodput_mean_gap_ms", "goodput_latency_ms")
# What a request name's own table may judge: every SLO key but the ITL percentile (the gaps are kept in
# the scenario-wide histogram only; each request's mean and largest gap are in its row).
REQUEST_SLO_KEYS = tuple(k for k in SLO_KEYS if k != "p99_itl_ms")
# The other keys of a scenario's table: how the run goes rather than what judges it.
TABLE_KEYS = ("slo_window", "message_lengths", "request")


def slo_keys(model_kind: str) -> dict[str, tuple[str, str]]:
    """The summary path each SLO key reads, for a closed or open model run."""
    if model_kind != "open":
        return SLO_KEYS
    return {k: (OPEN_MODEL_PATHS.get(k, path), kind) for k, (path, kind) in SLO_KEYS.items()}


# Budgets of the generator, judged per worker process (``workers[i]`` in the summary).
MONITOR_KEYS: dict[str, tuple[str, str]] = {
    "max_loop_lag_p99_ms": ("loop_lag.p99", "max"),
    "max_loop_lag_max_ms": ("loop_lag.max", "max"),
    "max_cpu_mean_percent": ("cpu_mean_percent", "max"),
    "max_schedule_slip_p99_ms": ("schedule_slip.p99", "max"),
    "max_late_arrival_rate": ("late_rate", "max"),
    "max_lost_share": ("lost_share", "max"),  # judged over the run, not per worker (chatgate.load.judge)
}
DEFAULT_MONITOR = {
    "max_loop_lag_p99_ms": 20.0,
    "max_loop_lag_max_ms": 250.0,
    "max_cpu_mean_percent": 90.0,
    "max_schedule_slip_p99_ms": 250.0,
    "max_late_arrival_rate": 0.02,
    "max_lost_share": 0.02,
}


@dataclass(frozen=True)
class RequestSlo:
    """One request name's table (``[scenario.<name>.request."<request>"]``): its own thresholds, and
    goodput bounds that override the scenario's for that name. ``sources``: where each came from
    (``default``: the shipped file, ``file``: the user's); ``dropped``: keys the file turned ``"off"``."""

    thresholds: Mapping[str, float] = field(default_factory=dict)
    goodput: Mapping[str, float] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    dropped: frozenset[str] = frozenset()

    def applied(self) -> dict[str, object]:
        return {
            "thresholds": dict(sorted(self.thresholds.items())),
            "goodput": dict(sorted(self.goodput.items())),
            "sources": dict(sorted(self.sources.items())),
            "dropped": sorted(self.dropped),
        }


@dataclass(frozen=True)
class ScenarioSlo:
    """One scenario's table: thresholds, goodput bounds, per-request-name tables, and what the run itself
    should use. ``sources`` and ``dropped`` as in :class:`RequestSlo`; ``given``: the keys the table set
    (so a layer knows which of its window and message mix to keep)."""

    thresholds: Mapping[str, float] = field(default_factory=dict)
    deadlines: Mapping[str, float] = field(default_factory=dict)  # seconds, by DEADLINE_KEYS
    slo_window_s: float = 60.0
    message_lengths: tuple[tuple[int, float], ...] = ()
    goodput: Mapping[str, float] = field(default_factory=dict)
    requests: Mapping[str, RequestSlo] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    dropped: frozenset[str] = frozenset()
    given: frozenset[str] = frozenset()

    def goodput_for(self, name: str) -> dict[str, float]:
        """The goodput bounds of one request name: the scenario's, overridden by the name's own."""
        own = self.requests.get(name)
        return {**self.goodput, **(own.goodput if own else {})}

    def judges_nothing(self) -> bool:
        """No threshold at all, of the scenario or of any of its request names."""
        return not self.thresholds and not any(r.thresholds for r in self.requests.values())

    def applied(self) -> dict[str, object]:
        """What judges a run, as JSON (kept in summary.json; ``chatgate compare`` shows it)."""
        return {
            **RequestSlo(self.thresholds, self.goodput, self.sources, self.dropped).applied(),
            "requests": {name: r.applied() for name, r in sorted(self.requests.items())},
        }


@dataclass(frozen=True)
class SloFile:
    """An SLO file as read: ``path`` (the user's file, or the shipped one), and ``defaults``: the shipped
    file it was layered over (None when it was read alone)."""

    path: Path | None
    scenarios: Mapping[str, ScenarioSlo]
    monitor: Mapping[str, float]
    defaults: Path | None = None
    monitor_sources: Mapping[str, str] = field(default_factory=dict)  # budget -> default | file

    def scenario(self, name: str) -> ScenarioSlo:
        return self.scenarios.get(name, ScenarioSlo())


def _number(value: Any, key: str, where: str, path: Path, also: str = "") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise UsageError(f"{path}: [{where}] {key} must be a non-negative number{also}, got {value!r}")
    return float(value)


def _monitor(table: Any, path: Path) -> dict[str, float]:
    """The budgets the table sets (the caller fills in the rest)."""
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [monitor] must be a table")
    out = {}
    for key, value in table.items():
        if key not in MONITOR_KEYS:
            known = ", ".join(sorted(MONITOR_KEYS))
            raise UsageError(f"{path}: [monitor] unknown key {key!r} (known: {known})")
        if value == OFF:
            raise UsageError(f'{path}: [monitor] {key} cannot be "{OFF}" (a budget keeps the figures valid)')
        out[key] = _number(value, key, "monitor", path)
    return out


def _lengths(value: Any, where: str, path: Path) -> tuple[tuple[int, float], ...]:
    bad = UsageError(f"{path}: [{where}] message_lengths must be a list of [characters, weight] pairs")
    if not isinstance(value, list) or not value:
        raise bad
    out = []
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], int) and pair[0] > 0):
            raise bad
        out.append((pair[0], _number(pair[1], "message_lengths weight", where, path)))
    return tuple(out)


def _bound(key: str, value: Any, where: str, path: Path, into: dict[str, float], dropped: set[str]) -> None:
    """A threshold or goodput bound into ``into``, or its key into ``dropped`` for ``"off"``."""
    if value == OFF:
        dropped.add(key)
    else:
        into[key] = _number(value, key, where, path, f' (or "{OFF}" to drop it)')


def _request(table: Any, where: str, path: Path, source: str) -> RequestSlo:
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [{where}] must be a table")
    thresholds: dict[str, float] = {}
    goodput: dict[str, float] = {}
    dropped: set[str] = set()
    for key, value in table.items():
        if key in (*REQUEST_SLO_KEYS, *GOODPUT_KEYS):
            _bound(key, value, where, path, thresholds if key in SLO_KEYS else goodput, dropped)
        else:
            known = ", ".join([*REQUEST_SLO_KEYS, *GOODPUT_KEYS])
            why = " (ITL is judged per scenario only)" if key == "p99_itl_ms" else ""
            raise UsageError(f"{path}: [{where}] unknown key {key!r}{why} (known: {known})")
    sources = dict.fromkeys([*thresholds, *goodput], source)
    return RequestSlo(thresholds, goodput, sources, frozenset(dropped))


def _requests(value: Any, where: str, path: Path, source: str) -> dict[str, RequestSlo]:
    if not isinstance(value, dict):
        raise UsageError(
            f'{path}: [{where}.request] must hold tables such as [{where}.request."nara.stream"]'
        )
    return {name: _request(t, f'{where}.request."{name}"', path, source) for name, t in value.items()}


def _scenario(table: Any, where: str, path: Path, source: str) -> ScenarioSlo:
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [{where}] must be a table")
    thresholds: dict[str, float] = {}
    deadlines: dict[str, float] = {}
    goodput: dict[str, float] = {}
    requests: dict[str, RequestSlo] = {}
    dropped: set[str] = set()
    window = 60.0
    lengths: tuple[tuple[int, float], ...] = ()
    for key, value in table.items():
        if key in SLO_KEYS or key in GOODPUT_KEYS:
            _bound(key, value, where, path, thresholds if key in SLO_KEYS else goodput, dropped)
        elif key == "request":
            requests = _requests(value, where, path, source)
        elif key in (*DEADLINE_KEYS, "slo_window"):
            seconds = parse_duration(str(value), f"{path}: [{where}] {key}")
            if key == "slo_window":
                window = seconds
            else:
                deadlines[key] = seconds
        elif key == "message_lengths":
            lengths = _lengths(value, where, path)
        else:
            known = ", ".join([*sorted(SLO_KEYS), *GOODPUT_KEYS, *DEADLINE_KEYS, *TABLE_KEYS])
            raise UsageError(f"{path}: [{where}] unknown key {key!r} (known: {known})")
    sources = dict.fromkeys([*thresholds, *goodput], source)
    return ScenarioSlo(thresholds, deadlines, window, lengths, goodput, requests, sources,
                       frozenset(dropped), frozenset(table))  # fmt: skip


def _layer_request(base: RequestSlo | None, top: RequestSlo | None) -> RequestSlo:
    if base is None or top is None:
        return top or base or RequestSlo()
    thresholds = {k: v for k, v in {**base.thresholds, **top.thresholds}.items() if k not in top.dropped}
    goodput = {k: v for k, v in {**base.goodput, **top.goodput}.items() if k not in top.dropped}
    sources = {k: v for k, v in {**base.sources, **top.sources}.items() if k in thresholds or k in goodput}
    return RequestSlo(thresholds, goodput, sources, top.dropped)


def _layer(base: ScenarioSlo | None, top: ScenarioSlo | None) -> ScenarioSlo:
    """``top`` (the user's table) over ``base`` (the shipped one), key by key."""
    if base is None or top is None:
        return top or base or ScenarioSlo()
    own = _layer_request(
        RequestSlo(base.thresholds, base.goodput, base.sources),
        RequestSlo(top.thresholds, top.goodput, top.sources, top.dropped),
    )
    names = dict.fromkeys([*base.requests, *top.requests])
    return ScenarioSlo(
        thresholds=own.thresholds,
        deadlines={**base.deadlines, **top.deadlines},
        slo_window_s=top.slo_window_s if "slo_window" in top.given else base.slo_window_s,
        message_lengths=top.message_lengths if "message_lengths" in top.given else base.message_lengths,
        goodput=own.goodput,
        requests={n: _layer_request(base.requests.get(n), top.requests.get(n)) for n in names},
        sources=own.sources,
        dropped=top.dropped,
        given=base.given | top.given,
    )


def check_tables(slo: SloFile, requests: Mapping[str, tuple[str, ...]]) -> None:
    """Every table of the file names a scenario (``requests``: each scenario's request names) and each
    request table one of that scenario's requests: a typo would never be judged (UsageError, exit 2,
    with the closest valid name)."""
    for scenario, table in slo.scenarios.items():
        if scenario not in requests:
            close = difflib.get_close_matches(scenario, list(requests), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UsageError(
                f"{slo.path}: [scenario.{scenario}]: no scenario is named {scenario!r} ({hint}scenarios: "
                f"{', '.join(requests)})"
            )
        names = requests[scenario]
        for name in table.requests:
            if name not in names:
                close = difflib.get_close_matches(name, list(names), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise UsageError(
                    f'{slo.path}: [scenario.{scenario}.request."{name}"]: {scenario} sends no request named '
                    f"{name!r}{hint} (its requests: {', '.join(names)})"
                )


def _read(path: Path, source: str) -> tuple[dict[str, ScenarioSlo], dict[str, float]]:
    """One file's scenario tables and the budgets it sets."""
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
    scen_raw = raw.get("scenario", {})
    if not isinstance(scen_raw, dict):
        raise UsageError(f"{path}: [scenario] must be a table of scenarios")
    scenarios = {name: _scenario(table, f"scenario.{name}", path, source) for name, table in scen_raw.items()}
    return scenarios, _monitor(raw.get("monitor", {}), path)


def load_slo(path: Path, defaults: Path | None = None) -> SloFile:
    """The SLO file at ``path``, layered over ``defaults`` (the shipped file) when given and another
    file: see the module docstring. UsageError (exit 2) for a file that cannot be used."""
    if defaults is None or path.resolve() == defaults.resolve():
        source = "default" if defaults is not None else "file"
        scenarios, monitor = _read(path, source)
        return SloFile(
            path, scenarios, {**DEFAULT_MONITOR, **monitor}, defaults, dict.fromkeys(monitor, source)
        )
    base, base_monitor = _read(defaults, "default")
    top, top_monitor = _read(path, "file")
    layered = {name: _layer(base.get(name), top.get(name)) for name in dict.fromkeys([*base, *top])}
    sources = {**dict.fromkeys(base_monitor, "default"), **dict.fromkeys(top_monitor, "file")}
    return SloFile(path, layered, {**DEFAULT_MONITOR, **base_monitor, **top_monitor}, defaults, sources)
