"""Many machines, one verdict, across Linux network namespaces on this machine (issue 14, "Must show").

Topology (one per test module, made and removed by the ``net`` fixture; names carry the test
process's pid so parallel runs never meet)::

    ns tgt  10.77.0.1  chatgate serve (the target, paced like a small LLM)
    ns mst  10.77.0.2  chatgate load --master --expect-workers 2 --master-bind-host 10.77.0.2
    ns w1   10.77.0.3  chatgate load --worker --master-host 10.77.0.2 --base-url http://10.77.0.1:8080
    ns w2   10.77.0.4  (the same)
    ns br   bridge br0: one veth from each namespace above

Every address is private to namespaces this test creates on this machine (loopback-equivalent: no
packet leaves the machine). Needs root (``ip netns``); where namespaces cannot be created the tests skip
with the reason, except under ``CI=true``, where they fail. Namespaces and every process in them are
removed whatever happens (the fixture's finalizer).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chatgate.load.raw import read_rows
from tests.load.multihost import Node, Procs, chatgate, finish, kill_node, processes, summary_of, wait_running

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timing]  # measures load: alone

SUBNET = "10.77.0"
NODES = {"tgt": 1, "mst": 2, "w1": 3, "w2": 4}
TARGET = f"http://{SUBNET}.1:8080"
PACING = ("--ttft-ms", "50", "--itl-ms", "20", "--reply-tokens", "20")  # ~0.45 s streams


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=30)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"network namespaces are needed under CI=true: {reason}")
    pytest.skip(f"network namespaces cannot be created here: {reason}")


@dataclass
class Net:
    """The namespaces of one test module: a node per name, the bridge's namespace apart."""

    prefix: str
    nodes: dict[str, Node]

    def namespaces(self) -> list[str]:
        return [f"{self.prefix}-{n}" for n in (*NODES, "br")]


def _build(prefix: str) -> Net:
    br = f"{prefix}-br"
    _ip("netns", "add", br)
    _ip("-n", br, "link", "add", "br0", "type", "bridge")
    _ip("-n", br, "link", "set", "br0", "up")
    nodes = {}
    for name, host in NODES.items():
        ns, inside, outside = f"{prefix}-{name}", f"{prefix[-6:]}{name}", f"{prefix[-6:]}{name}b"
        _ip("netns", "add", ns)
        _ip("link", "add", inside, "type", "veth", "peer", "name", outside)
        _ip("link", "set", inside, "netns", ns)
        _ip("link", "set", outside, "netns", br)
        _ip("-n", br, "link", "set", outside, "master", "br0", "up")
        _ip("-n", ns, "addr", "add", f"{SUBNET}.{host}/24", "dev", inside)
        _ip("-n", ns, "link", "set", inside, "up")
        _ip("-n", ns, "link", "set", "lo", "up")
        nodes[name] = Node(name, f"{SUBNET}.{host}", ("ip", "netns", "exec", ns))
    return Net(prefix, nodes)


def _remove(net: Net) -> None:
    """Every process left in the namespaces (all started by this test), then the namespaces."""
    for ns in net.namespaces():
        pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True, check=False)
        for pid in pids.stdout.split():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
    for ns in net.namespaces():
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
    for name in NODES:  # a veth left in this namespace by a half-built topology
        subprocess.run(["ip", "link", "del", f"{net.prefix[-6:]}{name}"], capture_output=True, check=False)


@pytest.fixture(scope="module")
def net() -> Iterator[Net]:
    if shutil.which("ip") is None:
        _unavailable("the `ip` command (iproute2) is not installed")
    if os.geteuid() != 0:
        _unavailable("not root")
    prefix = f"cgmh{os.getpid() % 1_000_000}"
    partial = Net(prefix, {})
    try:
        built = _build(prefix)
    except (subprocess.CalledProcessError, OSError) as exc:
        _remove(partial)
        detail = exc.stderr.strip() if isinstance(exc, subprocess.CalledProcessError) else str(exc)
        _unavailable(f"{exc} {detail}")
    try:
        yield built
    finally:
        _remove(built)


def _in(node: Node, code: str) -> str:
    """Run a line of Python in a node's namespace (how the test, outside, reads the target)."""
    proc = subprocess.run(
        [*node.prefix, sys.executable, "-c", code], capture_output=True, text=True, timeout=30
    )
    return proc.stdout if proc.returncode == 0 else ""


def _stats(net: Net) -> str:
    """The target's own counts, read from the master's namespace (across the bridge); "" if unreachable."""
    url = f"{TARGET}/_chatgate/stats"
    return _in(
        net.nodes["mst"], f"import urllib.request as u; print(u.urlopen('{url}', timeout=2).read().decode())"
    )


def _served(net: Net) -> int:
    ops = json.loads(_stats(net))["requests"]["nara"]
    return sum(sum(by_status.values()) for op, by_status in ops.items() if op == "sendChatMessage")


def _start_target(procs: Procs, net: Net, tmp: Path) -> None:
    cmd = [sys.executable, "-m", "chatgate", "serve", "--host", net.nodes["tgt"].address, "--port", "8080"]
    procs.start(net.nodes["tgt"], [*cmd, *PACING, "--db", str(tmp / "target.sqlite3")], tmp / "target.out")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if _stats(net):
            return
        time.sleep(0.3)
    raise AssertionError(f"the target did not answer across the bridge:\n{(tmp / 'target.out').read_text()}")


def _flags(run_time: str) -> tuple[str, ...]:
    return (
        "--scenario",
        "nara-stream-sends",
        "--arrival-rate",
        "20",
        "--run-time",
        run_time,
        "--stop-timeout",
        "5s",
    )


def _launch(procs: Procs, net: Net, tmp: Path, slo: Path, run_time: str) -> dict[str, Any]:
    m = net.nodes["mst"]
    master = [
        *("--master", "--expect-workers", "2", "--expect-workers-max-wait", "90s"),
        *("--master-bind-host", m.address, "--slo", str(slo), "--report-dir", str(tmp / "master")),
    ]
    run = {"master": procs.start(m, chatgate(*master, *_flags(run_time)), tmp / "master.out")}
    for name in ("w1", "w2"):
        worker = (
            "--worker",
            "--master-host",
            m.address,
            "--base-url",
            TARGET,
            "--report-dir",
            str(tmp / name),
        )
        run[name] = procs.start(net.nodes[name], chatgate(*worker, *_flags(run_time)), tmp / f"{name}.out")
    return run


@pytest.mark.timing  # judges TTFT against the target's pacing
def test_master_two_workers_and_target_in_namespaces_give_one_verdict(
    net: Net, tmp_path: Path, lenient_slo: Path
) -> None:
    began = time.monotonic()
    with processes() as procs:
        _start_target(procs, net, tmp_path)
        before = _served(net)
        run = _launch(procs, net, tmp_path, lenient_slo, "10s")
        code, out = finish(run["master"], tmp_path / "master.out", 180)
        ends = {n: finish(run[n], tmp_path / f"{n}.out", 60) for n in ("w1", "w2")}
        answered = _served(net) - before
    assert code == 0, out
    for name, (worker_code, worker_out) in ends.items():
        assert worker_code == 0 and "ran their part" in worker_out, (name, worker_out)
    s: Any = summary_of(tmp_path / "master")
    assert [w["index"] for w in s["workers"]] == [0, 1]
    assert all(w["target"] == TARGET and w["lost"] is None for w in s["workers"]), s["workers"]
    assert s["target"] == TARGET and s["model"]["remote_workers"] and s["model"]["workers"] == 2
    assert s["requests"] + s["unfinished"] == answered  # one verdict over everything the target served
    assert s["offered"] == s["sent"] + sum(s["not_sent"].values())
    offered = [w["offered"] for w in s["workers"]]
    assert abs(offered[0] - offered[1]) <= 3 and sum(offered) >= 170, offered  # 10/s each for ~10 s
    assert s["achieved_rps"] >= 0.98 * s["offered_rps"], (s["achieved_rps"], s["offered_rps"])
    assert s["ttft"]["count"] > 150 and abs(s["ttft"]["p50"] - s["headers"]["p50"] - 50.0) <= 10.0
    print(f"namespace run: {time.monotonic() - began:.1f} s wall, {s['requests']} requests")


def test_a_worker_killed_mid_run_is_reported_and_the_run_invalid(
    net: Net, tmp_path: Path, lenient_slo: Path
) -> None:
    with processes() as procs:
        _start_target(procs, net, tmp_path)
        run = _launch(procs, net, tmp_path, lenient_slo, "14s")
        wait_running(tmp_path / "w2" / "nara-stream-sends")
        victim = json.loads((tmp_path / "w2" / "nara-stream-sends" / ".worker-0.json").read_text("utf-8"))
        time.sleep(5.0)
        killed = time.time()
        kill_node(run["w2"])  # the machine dies: its CLI and its Locust worker, SIGKILL
        code, out = finish(run["master"], tmp_path / "master.out", 180)
        survivor_code, survivor_out = finish(run["w1"], tmp_path / "w1.out", 60)
    assert run["w2"].returncode == -signal.SIGKILL
    assert survivor_code == 0, survivor_out
    assert code == 4, out
    s: Any = summary_of(tmp_path / "master")
    lost = next(w for w in s["workers"] if w["lost"])
    assert (lost["index"], lost["id"]) == (victim["index"], victim["id"])
    info, kill_s = lost["lost"], killed - s["started"]
    assert info["cause"] == "no_heartbeat", info
    assert 1.0 <= info["lost_at_s"] - kill_s <= 10.0, (info, kill_s)  # Locust's heartbeats: ~3-5 s
    assert kill_s - 2.5 <= info["last_data_s"] <= kill_s + 0.2, (info, kill_s)  # at most an interval lost
    stop_s = s["duration_s"]
    never_issued = 10.0 * (stop_s - info["last_data_s"])
    assert never_issued - 3 <= info["not_delivered"] <= never_issued + 15, (info, stop_s)
    assert s["not_sent"]["lost_worker"] == info["not_delivered"]
    assert s["offered"] == s["sent"] + sum(s["not_sent"].values())
    assert info["share"] > 0.2 and "lost" in s["invalid_reason"] and "no heartbeat" in s["invalid_reason"]
    rows = [
        r
        for r in read_rows(tmp_path / "master" / "nara-stream-sends" / "raw")
        if r["worker"] == lost["index"]
    ]
    assert len(rows) >= 30 and max(r["intended"] for r in rows) <= killed  # its data until then, kept
    assert lost["requests"] == sum(1 for r in rows if r["state"] in ("ok", "error"))
    md = (tmp_path / "master" / "nara-stream-sends" / "summary.md").read_text("utf-8")
    assert f"**Lost:** worker {lost['index']}" in md
    noticed = info["lost_at_s"] - kill_s
    print(f"killed at {kill_s:.1f} s, noticed {noticed:.1f} s later, last data {info['last_data_s']:.1f} s")
