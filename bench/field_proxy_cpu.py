"""CPU the field proxy (tests/field_proxy.py) adds per request, against the server it fronts.

    .venv/bin/python bench/field_proxy_cpu.py [--requests 1500] [--rounds 2]

A faulty server with no fault (the reference app in a thread) is started twice in this process, once
bare and once behind the field proxy with gzip on; a client in another process sends ``--requests``
Nara listing reads to each, 32 at a time (as the gate does), in alternating rounds. Reported: this
process's CPU (server, or server and proxy) per 1000 requests, and the wall time of each round. The
gate's field tests relay a few hundred requests per run through the proxy, so its cost per request is
what they pay.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.contract.conftest import FaultyServer  # noqa: E402
from tests.field_proxy import ProxyConfig  # noqa: E402

CLIENT = """
import concurrent.futures as cf, sys, httpx
headers = {"Authorization": "Bearer nara-dev-key-1001", "Accept-Encoding": "gzip"}
url = sys.argv[1] + "/api/v1.0/chat/messages?user_id=1001&page_size=5"
with httpx.Client(limits=httpx.Limits(max_connections=32)) as client, cf.ThreadPoolExecutor(32) as pool:
    list(pool.map(lambda _: client.get(url, headers=headers).raise_for_status(), range(int(sys.argv[2]))))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    servers = {
        "bare": FaultyServer("none", tmp),
        "proxied (gzip)": FaultyServer("none", tmp, proxy=ProxyConfig("gzip")),
    }
    print("| round | target | CPU s per 1000 requests | wall s |")
    print("| ---: | --- | ---: | ---: |")
    try:
        for i in range(args.rounds):
            for name, server in servers.items():
                before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
                cmd = [sys.executable, "-c", CLIENT, server.base_url, str(args.requests)]
                subprocess.run(cmd, check=True)
                after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - started
                cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                print(f"| {i + 1} | {name} | {cpu * 1000 / args.requests:.2f} | {wall:.2f} |", flush=True)
    finally:
        for server in servers.values():
            server.stop()


if __name__ == "__main__":
    main()
