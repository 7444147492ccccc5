"""Many machines, one verdict, through the real CLI on this machine's loopback: a master and two
``chatgate load --worker`` processes (each would be its own machine), a worker that cannot run the
master's plan, and a master whose workers do not all come. The network-namespace runs (a worker killed
mid-run) are in test_multihost_netns.py."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from chatgate.embedded import free_port
from chatgate.resources import loadtests_dir
from tests.load.conftest import served
from tests.load.multihost import Node, chatgate, finish, processes, summary_of, wait_running

# Tiers: the master with two worker machines in the default tier, the failures in the e2e tier.
pytestmark = pytest.mark.slow

HOST = Node("host")
FLAGS = ("--scenario", "nara-stream-sends", "--arrival-rate", "10", "--run-time", "6s")
FLAGS += ("--stop-timeout", "5s")


def _master(tmp: Path, port: int, slo: Path, *extra: str, workers: int = 2) -> list[str]:
    return chatgate(
        "--master", "--expect-workers", str(workers), "--master-bind-host", "127.0.0.1", "--master-bind-port",
        str(port), "--slo", str(slo), "--report-dir", str(tmp / "master"), *FLAGS, *extra,
    )  # fmt: skip


def _worker(tmp: Path, name: str, port: int, base_url: str, *flags: str) -> list[str]:
    return chatgate(
        "--worker", "--master-host", "127.0.0.1", "--master-port", str(port), "--base-url", base_url,
        "--report-dir", str(tmp / name), *(flags or FLAGS),
    )  # fmt: skip


def test_a_master_and_two_worker_machines_give_one_verdict(
    serve: Any, tmp_path: Path, lenient_slo: Path
) -> None:
    """Machine w1 runs two worker processes (--workers 2), w2 one: the master expects three."""
    server = serve("--ttft-ms", "50", "--itl-ms", "10", "--reply-tokens", "10")
    before = served(server.base_url, "nara", "sendChatMessage")
    port = free_port()
    with processes() as procs:
        master = procs.start(HOST, _master(tmp_path, port, lenient_slo, workers=3), tmp_path / "master.out")
        workers = [
            procs.start(HOST, _worker(tmp_path, "w1", port, server.base_url, *FLAGS, "--workers", "2"),
                        tmp_path / "w1.out"),
            procs.start(HOST, _worker(tmp_path, "w2", port, server.base_url), tmp_path / "w2.out"),
        ]  # fmt: skip
        code, out = finish(master, tmp_path / "master.out", 150)
        ends = [finish(w, tmp_path / f"w{i}.out", 60) for i, w in zip((1, 2), workers, strict=True)]
    assert code == 0, out
    for (worker_code, worker_out), n, name in zip(ends, (2, 1), ("w1", "w2"), strict=True):
        assert worker_code == 0 and f"{n} process(es)" in worker_out, worker_out
        assert "ran their part of nara-stream-sends" in worker_out
        record = json.loads((tmp_path / name / "nara-stream-sends" / "worker.json").read_text("utf-8"))
        assert record["exit_code"] == 0 and [p["state"] for p in record["processes"]] == ["done"] * n
    s: Any = summary_of(tmp_path / "master")
    assert s["model"]["remote_workers"] is True and s["model"]["workers"] == 3
    assert [w["index"] for w in s["workers"]] == [0, 1, 2]
    assert all(w["target"] == server.base_url and w["lost"] is None for w in s["workers"])
    assert s["target"] == server.base_url
    answered = served(server.base_url, "nara", "sendChatMessage") - before
    assert s["requests"] + s["unfinished"] == answered  # every request the target saw, merged
    assert s["offered"] == s["sent"] + sum(s["not_sent"].values())
    thirds = [w["offered"] for w in s["workers"]]
    assert max(thirds) - min(thirds) <= 2 and sum(thirds) >= 50, thirds  # 10/3 per second each for ~6 s
    run = tmp_path / "master" / "nara-stream-sends"
    for name in ("summary.md", "report.html", "locust.html", "latency.png", "raw/manifest.json"):
        assert (run / name).stat().st_size > 0, name


@pytest.mark.e2e
def test_a_worker_stopped_mid_run_hands_its_data_over_and_is_reported(
    serve: Any, tmp_path: Path, lenient_slo: Path
) -> None:
    """SIGTERM (a pod being deleted): the worker stops its Locust processes gracefully, so the master gets
    its last data and sees it quit; what it would have sent after that is not delivered."""
    server = serve("--ttft-ms", "50", "--itl-ms", "10", "--reply-tokens", "10")
    port = free_port()
    with processes() as procs:
        master = procs.start(HOST, _master(tmp_path, port, lenient_slo), tmp_path / "master.out")
        stay = procs.start(HOST, _worker(tmp_path, "w1", port, server.base_url), tmp_path / "w1.out")
        leave = procs.start(HOST, _worker(tmp_path, "w2", port, server.base_url), tmp_path / "w2.out")
        wait_running(tmp_path / "w2" / "nara-stream-sends")
        time.sleep(2.0)
        stopped = time.time()
        leave.send_signal(signal.SIGTERM)
        leave_code, leave_out = finish(leave, tmp_path / "w2.out", 30)
        code, out = finish(master, tmp_path / "master.out", 150)
        finish(stay, tmp_path / "w1.out", 60)
    assert leave_code == 3 and "stopped before the master ended the run" in leave_out, leave_out
    assert code == 4, out
    s: Any = summary_of(tmp_path / "master")
    (gone,) = [w for w in s["workers"] if w["lost"]]
    info, stop_s = gone["lost"], stopped - s["started"]
    assert info["cause"] == "quit" and abs(info["lost_at_s"] - stop_s) <= 2.0, (info, stop_s)
    assert abs(info["last_data_s"] - stop_s) <= 1.0, (info, stop_s)  # its last interval arrived too
    assert gone["requests"] > 0 and "it quit" in s["invalid_reason"]
    assert s["offered"] == s["sent"] + sum(s["not_sent"].values())


@pytest.mark.e2e
def test_a_worker_that_cannot_run_the_plan_refuses_and_the_master_reports_it(
    serve: Any, tmp_path: Path, lenient_slo: Path
) -> None:
    server = serve("--ttft-ms", "20", "--itl-ms", "5", "--reply-tokens", "4")
    port = free_port()
    closed = ("--scenario", "nara-stream-sends", "--users", "2", "--run-time", "6s")
    with processes() as procs:
        master = procs.start(HOST, _master(tmp_path, port, lenient_slo), tmp_path / "master.out")
        good = procs.start(HOST, _worker(tmp_path, "w1", port, server.base_url), tmp_path / "w1.out")
        bad = procs.start(HOST, _worker(tmp_path, "w2", port, server.base_url, *closed), tmp_path / "w2.out")
        code, out = finish(master, tmp_path / "master.out", 150)
        bad_code, bad_out = finish(bad, tmp_path / "w2.out", 60)
        finish(good, tmp_path / "w1.out", 60)
    assert bad_code == 2, bad_out
    errors = [line for line in bad_out.splitlines() if line.startswith("chatgate: error:")]
    assert len(errors) == 1 and "the master runs the open model (--arrival-rate)" in errors[0], bad_out
    assert "Traceback" not in bad_out
    assert code == 4, out
    s: Any = summary_of(tmp_path / "master")
    lost = [w for w in s["workers"] if w["lost"]]
    assert len(lost) == 1 and lost[0]["lost"]["cause"] == "refused", s["workers"]
    assert "the closed model" in lost[0]["lost"]["reason"]
    assert lost[0]["lost"]["share"] > 0.4  # its half of the run, never delivered
    assert "it refused the plan" in s["invalid_reason"]


@pytest.mark.e2e
def test_a_master_whose_workers_do_not_all_come_exits_3_naming_them(tmp_path: Path, serve: Any) -> None:
    server = serve()
    port = free_port()
    with processes() as procs:  # the worker first: it connects as soon as the master listens
        worker = procs.start(HOST, _worker(tmp_path, "w1", port, server.base_url), tmp_path / "w1.out")
        master_cmd = _master(tmp_path, port, loadtests_dir() / "slo.toml", "--expect-workers-max-wait", "12s")
        master = procs.start(HOST, master_cmd, tmp_path / "master.out")
        code, out = finish(master, tmp_path / "master.out", 90)
        worker_code, worker_out = finish(worker, tmp_path / "w1.out", 60)
    errors = [line for line in out.splitlines() if line.startswith("chatgate: error:")]
    assert code == 3 and len(errors) == 1, out
    assert "1 of 2 Locust workers connected" in errors[0] and "--expect-workers-max-wait 12s" in errors[0]
    assert worker_code == 3 and "ended before the run started" in worker_out, worker_out
