"""Wall time of the default gate for both APIs on a slow, LLM-paced target, beside an unpaced one.

    .venv/bin/python bench/contract_speed.py [--repeat 3] [--max-examples N] [--out FILE.md]

Two reference servers run for the whole session: one unpaced, one paced like a distant chat model
(``chatgate serve --added-latency-ms 200 --ttft-ms 500 --itl-ms 50 --reply-tokens 40``: every request
200 ms away, every reply, streamed or not, 0.5 s + 40 x 50 ms). Each round runs, one after another:

1. ``chatgate contract --api all --base-url <unpaced>`` at its default profile;
2. the same against the paced server (the issue-11 target: under 60 s; it took 440 s when the gate
   sent one request at a time);
3. ``chatgate contract --api all`` with no ``--base-url`` (the embedded server, as CI runs it);
4. ``st run`` of both specs against the unpaced server, with the same ``--max-examples`` and seed.

Rounds alternate, so a busy moment of the machine weighs on every row alike; the medians are reported
with the load average before and after. "Requests" are what the gate's transport sent (its summary's
``totals.requests``; ``st run``: its "N generated" cases).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from chatgate.embedded import EmbeddedServer  # noqa: E402
from chatgate.gate.runner import DEFAULT_MAX_EXAMPLES  # noqa: E402

KEYS = {"NARA_API_KEY": "nara-dev-key-1001", "NAVIGABLE_API_KEY": "navigable-dev-key", "NARA_USER_ID": "1001"}
PACED = ["--added-latency-ms", "200", "--ttft-ms", "500", "--itl-ms", "50", "--reply-tokens", "40"]
Row = tuple[float, int, int, int, int]  # seconds, requests, writes, findings, exit code


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NARA_", "NAVIGABLE_", "CHATGATE_"))}
    return {**base, **(extra or {})}


def gate(max_examples: int, seed: int, base_url: str | None) -> Row:
    """One ``chatgate contract --api all``."""
    with tempfile.TemporaryDirectory() as tmp:
        args = ["--api", "all", "--max-examples", str(max_examples), "--seed", str(seed), "--report-dir", tmp]
        if base_url:
            args += ["--base-url", base_url]
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "chatgate", "contract", *args],
            env=_env(KEYS if base_url else None),
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        seconds = time.perf_counter() - started
        totals = json.loads((Path(tmp) / "summary.json").read_text())["totals"]
    return seconds, totals["requests"], totals["writes"], totals["findings"], proc.returncode


def st_run(max_examples: int, seed: int, base_url: str) -> Row:
    """``st run`` over both specs, one after the other (generated cases; findings: not counted)."""
    st = str(Path(sys.executable).with_name("st"))
    total_cases, worst = 0, 0
    started = time.perf_counter()
    for spec, header in (
        ("nara", f"Authorization: Bearer {KEYS['NARA_API_KEY']}"),
        ("navigable", f"X-Api-Key: {KEYS['NAVIGABLE_API_KEY']}"),
    ):
        proc = subprocess.run(
            [st, "run", str(ROOT / "specs" / f"{spec}.openapi.yaml"), "--url", base_url, "-H", header,
             "--max-examples", str(max_examples), "--seed", str(seed), "--no-color"],
            env=_env(), capture_output=True, text=True, cwd=tempfile.gettempdir(),
        )  # fmt: skip
        found = re.search(r"(\d+) generated", proc.stdout)
        total_cases += int(found.group(1)) if found else 0
        worst = max(worst, proc.returncode)
    return time.perf_counter() - started, total_cases, 0, 0, worst


def _table(rows: dict[str, list[Row]], args: argparse.Namespace, load: tuple[float, float]) -> str:
    lines = [
        f"`chatgate contract --api all`, max examples {args.max_examples}, seed {args.seed}, default "
        f"concurrency; median of {args.repeat} alternating rounds; {os.cpu_count()} CPUs; load average "
        f"(1 min) {load[0]:.2f} before, {load[1]:.2f} after",
        "",
        "| run | wall time (s) | requests | writes | findings | exit codes |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, runs in rows.items():
        med = [statistics.median(r[i] for r in runs) for i in range(4)]
        codes = ",".join(str(r[4]) for r in runs)
        lines.append(f"| {name} | {med[0]:.1f} | {int(med[1])} | {int(med[2])} | {int(med[3])} | {codes} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-examples", type=int, default=DEFAULT_MAX_EXAMPLES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows: dict[str, list[Row]] = {
        "gate, unpaced server (--base-url)": [],
        "gate, paced server: +200 ms, TTFT 500 ms, ITL 50 ms x 40": [],
        "gate, embedded server (as CI runs it)": [],
        "st run, unpaced server (both specs)": [],
    }
    names = list(rows)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        plain_args = ["--db", str(Path(tmp) / "plain.sqlite3"), "--seed-messages", "50"]
        paced_args = ["--db", str(Path(tmp) / "paced.sqlite3"), "--seed-messages", "50", *PACED]
        with EmbeddedServer(plain_args) as plain, EmbeddedServer(paced_args) as paced:
            for _ in range(args.repeat):
                rows[names[0]].append(gate(args.max_examples, args.seed, plain.base_url))
                rows[names[1]].append(gate(args.max_examples, args.seed, paced.base_url))
                rows[names[2]].append(gate(args.max_examples, args.seed, None))
                rows[names[3]].append(st_run(args.max_examples, args.seed, plain.base_url))
    text = _table(rows, args, (load_before, os.getloadavg()[0]))
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
