"""A Locust plugin for the CPU benchmarks (``locust -f SCENARIO,bench/load_cpu_probe.py``): the
process's own CPU time and its count of successful requests over the steady state only (after
``BENCH_WARM_S``, until the test stops), written as JSON to ``BENCH_OUT``."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import gevent
from locust import events

STATE: dict[str, Any] = {"ok": 0, "bytes": 0, "mark": None}


def _on_request(exception: object = None, response_length: int = 0, **_: Any) -> None:
    if exception is None:
        STATE["ok"] += 1
        STATE["bytes"] += response_length or 0


def _mark() -> None:
    gevent.sleep(float(os.environ.get("BENCH_WARM_S", "3")))
    STATE["mark"] = (time.process_time(), time.perf_counter(), STATE["ok"])


def _on_start(**_: Any) -> None:
    gevent.spawn(_mark)


def _on_stopping(**_: Any) -> None:
    if STATE["mark"] is None:
        return
    cpu0, wall0, ok0 = STATE["mark"]
    out = {
        "cpu_s": time.process_time() - cpu0,
        "wall_s": time.perf_counter() - wall0,
        "requests": STATE["ok"] - ok0,
    }
    with open(os.environ["BENCH_OUT"], "w", encoding="utf-8") as fh:
        json.dump(out, fh)


events.request.add_listener(_on_request)  # type: ignore[no-untyped-call]
events.test_start.add_listener(_on_start)  # type: ignore[no-untyped-call]
events.test_stopping.add_listener(_on_stopping)  # type: ignore[no-untyped-call]
