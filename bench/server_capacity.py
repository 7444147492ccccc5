"""Capacity of the reference server on this machine (loopback only, bounded in time and connections).

1. Startup: seconds from spawning ``chatgate serve`` to the first 200 from ``/healthz`` (best of 3).
2. Reads per second, measured with wrk (Debian package ``wrk``) against one server, one endpoint after
   the other in the same run: ``/healthz`` (static: the ceiling), the Nara listing (20 rows of a user
   with --seed-messages rows) and the Navigable read (20 messages).
3. Concurrent SSE streams: N streamed Nara sends held open at once on a slow-paced server
   (--itl-ms, --reply-tokens), read by an asyncio/httpx client; every stream must end with
   ``message_end`` and every delta; the server's RSS (psutil) is sampled while they are open.

    .venv/bin/python bench/server_capacity.py [--duration 10] [--connections 32] [--streams 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from chatgate.embedded import EmbeddedServer

NARA = "Authorization: Bearer nara-dev-key-1001"
NAVIGABLE = "X-Api-Key: navigable-dev-key"
NARA_HEADERS = {"Authorization": "Bearer nara-dev-key-1001"}


def startup_seconds(tmp: Path, runs: int = 3) -> list[float]:
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        with EmbeddedServer(["--db", str(tmp / f"startup-{i}.sqlite3"), "--seed-messages", "200"]):
            times.append(time.perf_counter() - t0)
    return times


def _wrk(url: str, header: str | None, duration: int, connections: int) -> dict[str, Any]:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    if header:
        cmd += ["-H", header]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=duration + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    p50 = re.search(r"50%\s+(\S+)", out)
    p99 = re.search(r"99%\s+(\S+)", out)
    return {
        "rps": rps,
        "requests": total,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sock.group(1).strip() if sock else "none",
        "p50": p50.group(1) if p50 else "?",
        "p99": p99.group(1) if p99 else "?",
    }


def reads(tmp: Path, duration: int, connections: int) -> dict[str, dict[str, Any]]:
    results = {}
    with EmbeddedServer(["--db", str(tmp / "reads.sqlite3"), "--seed-messages", "200"]) as server:
        base = server.base_url
        targets = {
            "GET /healthz (ceiling)": (f"{base}/healthz", None),
            "GET /api/v1.0/chat/messages (Nara listing, 20 rows)": (
                f"{base}/api/v1.0/chat/messages?user_id=1001&rows_per_page=20&current_page=3",
                NARA,
            ),
            "GET /api/v1/chat (Navigable read, 20 messages)": (
                f"{base}/api/v1/chat?identifier=seed-1",
                NAVIGABLE,
            ),
        }
        for name, (url, header) in targets.items():
            _wrk(url, header, 2, connections)  # warm-up
            results[name] = _wrk(url, header, duration, connections)
            results[name]["server_rss_mb"] = _rss_mb(server)
    return results


def _rss_mb(server: EmbeddedServer) -> float:
    assert server.proc is not None
    return psutil.Process(server.proc.pid).memory_info().rss / 2**20


async def _streams(
    base: str, n: int, tokens: int, ramp_per_s: float, server: EmbeddedServer
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=n + 10)
    ok = 0
    errors: dict[str, int] = {}
    rss: list[float] = []
    peak_active = 0
    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(120, connect=60), limits=limits) as c:

        async def one(i: int) -> None:
            nonlocal ok
            await asyncio.sleep(i / ramp_per_s)
            body = {"message": f"stream {i}", "conversation_id": f"bench-{i}", "stream": True}
            try:
                async with c.stream("POST", "/api/v1.0/chat", json=body, headers=NARA_HEADERS) as r:
                    text = (await r.aread()).decode()
                names = re.findall(r"^event: (\w+)$", text, re.M)
                if r.status_code == 200 and names.count("delta") == tokens and names[-1:] == ["message_end"]:
                    ok += 1
                else:
                    key = f"http_{r.status_code}" if r.status_code != 200 else "incomplete_stream"
                    errors[key] = errors.get(key, 0) + 1
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1

        async def sample() -> None:
            nonlocal peak_active
            async with httpx.AsyncClient(base_url=base, timeout=30) as probe:
                while True:
                    await asyncio.sleep(1.0)
                    active = (await probe.get("/_chatgate/stats")).json()["streams"]["active"]
                    peak_active = max(peak_active, active)
                    rss.append(_rss_mb(server))

        sampler = asyncio.ensure_future(sample())
        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        elapsed = time.perf_counter() - t0
        sampler.cancel()
    return {
        "streams": n,
        "completed_ok": ok,
        "errors": errors,
        "peak_active_on_server": peak_active,
        "rss_mb_peak": max(rss) if rss else None,
        "seconds": round(elapsed, 1),
    }


def streams(tmp: Path, n: int, itl_ms: int, tokens: int, ramp_per_s: float) -> dict[str, Any]:
    args = ["--db", str(tmp / "streams.sqlite3"), "--itl-ms", str(itl_ms), "--reply-tokens", str(tokens)]
    with EmbeddedServer(args) as server:
        idle = _rss_mb(server)
        result = asyncio.run(_streams(server.base_url, n, tokens, ramp_per_s, server))
        result["rss_mb_idle"] = round(idle, 1)
        result["stream_seconds"] = itl_ms * (tokens - 1) / 1000
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=10, help="seconds of wrk per endpoint")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--streams", type=int, default=1000)
    ap.add_argument("--itl-ms", type=int, default=500)
    ap.add_argument("--tokens", type=int, default=30)
    ap.add_argument("--ramp", type=float, default=200.0, help="new streams per second while opening")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/server_capacity.py: needs wrk (apt-get install -y wrk)")
    with tempfile.TemporaryDirectory(prefix="chatgate-bench-") as d:
        tmp = Path(d)
        results = {
            "machine": {"cpus": psutil.cpu_count(), "load_avg_at_start": list(psutil.getloadavg())},
            "startup_s": [round(t, 3) for t in startup_seconds(tmp)],
            "reads": reads(tmp, args.duration, args.connections),
            "sse": streams(tmp, args.streams, args.itl_ms, args.tokens, args.ramp),
        }
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
