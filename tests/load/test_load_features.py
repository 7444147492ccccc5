"""What a load run keeps and how it stays in budget: raw data beside the reports, warm-up apart,
--max-requests, --abort-on-error-rate, the message-length mix. Loopback only, bounded runs."""

from __future__ import annotations

import dataclasses
import gzip
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from chatgate.load.generator import Generator, Settings
from chatgate.load.raw import ROW_FIELDS, read_manifest, read_rows
from chatgate.load.summary import read_raw
from tests.load.conftest import run_judged

# Tiers: raw data, --max-requests and the length mix in the default tier; warm-up and
# --abort-on-error-rate (marked e2e) in the e2e tier, which .ci/run runs too.
pytestmark = pytest.mark.slow


def test_raw_data_is_kept_and_agrees_with_the_summary(shared_server: Any, tmp_path: Path) -> None:
    _, s = run_judged(
        "navigable-reads", tmp_path, arrival_rate=30, run_time="3s", base_url=shared_server.base_url
    )
    raw = tmp_path / "navigable-reads" / "raw"
    with gzip.open(raw / "requests.jsonl.gz", "rt") as fh:
        header = json.loads(fh.readline())
    assert header == {"format": "chatgate-load-requests", "version": 1, "fields": list(ROW_FIELDS)}
    rows = list(read_rows(raw))
    states = Counter(r["state"] for r in rows)
    assert states["ok"] + states["error"] == s["requests"] and states["not_sent"] == sum(
        s["not_sent"].values()
    )
    assert len({r["request_id"] for r in rows if r["request_id"]}) == s["sent"]
    assert all(r["intended"] <= r["sent"] for r in rows if r["sent"])
    manifest = read_manifest(raw)
    assert manifest["workers"] == [{"index": 0, "id": "local"}] and s["raw"] == {"dir": "raw", "version": 1}
    # the HDR logs alone rebuild the figures of the summary
    hists = read_raw(raw).hists
    assert hists["latency:navigable.read"].count == s["latency_by_name"]["navigable.read"]["count"]
    assert hists["latency:navigable.read"].percentile_ms(99) == s["latency"]["p99"]
    assert (raw / "hdr" / "w0" / "loop_lag.hlog").read_text().startswith("#chatgate metric: loop_lag")


@pytest.mark.e2e
def test_warmup_is_measured_apart_and_not_judged(shared_server: Any, tmp_path: Path) -> None:
    _, s = run_judged(
        "navigable-reads",
        tmp_path,
        arrival_rate=20,
        run_time="4s",
        warmup_s=2.0,
        base_url=shared_server.base_url,
    )
    # the judged part: from the end of the warm-up to the stop, on the run's own clock (Locust's --run-time
    # also covers the generator's start-up)
    assert 0.5 <= s["duration_s"] <= 2.1, s["duration_s"]
    assert 35 <= s["warmup"]["requests"] <= 45, s["warmup"]
    assert s["requests"] == pytest.approx(20 * s["duration_s"], abs=4)
    assert s["throughput_rps"] == pytest.approx(20, rel=0.2)
    rows = list(read_rows(tmp_path / "navigable-reads" / "raw"))
    assert sum(r["warmup"] for r in rows) == s["warmup"]["requests"]


def test_max_requests_stops_the_run_after_that_many(shared_server: Any, tmp_path: Path) -> None:
    started = time.monotonic()
    _, s = run_judged(
        "navigable-reads", tmp_path, users=2, run_time="30s", max_requests=25, base_url=shared_server.base_url
    )
    assert s["requests"] == 25 and s["stopped_early"] == "max requests reached (25)"
    assert time.monotonic() - started < 20


@pytest.mark.e2e
def test_abort_on_error_rate_stops_early_and_says_so(serve: Any, tmp_path: Path, lenient_slo: Path) -> None:
    server = serve("--fault-500-rate", "0.5")
    started = time.monotonic()
    result, s = run_judged(
        "navigable-reads",
        tmp_path,
        arrival_rate=50,
        run_time="30s",
        abort_on_error_rate=0.1,
        slo_file=lenient_slo,
        base_url=server.base_url,
    )
    assert result.exit_code == 1
    assert s["stopped_early"].startswith("error rate 5") and "> 10.0%" in s["stopped_early"], s[
        "stopped_early"
    ]
    assert time.monotonic() - started < 20


def test_sends_follow_the_message_length_mix() -> None:
    settings = dataclasses.replace(Settings.from_env(None), message_lengths=((10, 3.0), (1000, 1.0)))
    gen = Generator(settings, on_done=lambda out: None)
    gen.rng.seed(5)
    lengths = Counter(len(gen.message()) for _ in range(4000))
    assert set(lengths) == {10, 1000}
    assert lengths[10] / 4000 == pytest.approx(0.75, abs=0.03)
