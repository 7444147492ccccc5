"""Wall time and cases per second of ``chatgate contract --api all`` beside a plain ``st run``.

    .venv/bin/python bench/contract_speed.py [--repeat 3] [--max-examples N] [--out FILE.md]

Three measurements, each repeated (median reported):

1. ``chatgate contract --api all`` at its default profile, no ``--base-url``: the whole gate as CI runs
   it, starting and stopping the embedded server.
2. The same against an already running reference server (``--base-url``): the gate alone.
3. ``st run`` of both specs against that same server, with the same ``--max-examples`` and seed and the
   same keys: schemathesis' own CLI with every default check and phase.

"Cases" are requests sent for the gate (its summary's ``totals.requests``) and generated test cases for
``st run`` (its "N generated" line). Target: the default gate for both APIs under 60 s on 2 cores.
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


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NARA_", "NAVIGABLE_", "CHATGATE_"))}
    return {**base, **(extra or {})}


def gate(max_examples: int, seed: int, base_url: str | None) -> tuple[float, int, int]:
    """(seconds, cases, exit code) of one ``chatgate contract --api all``."""
    with tempfile.TemporaryDirectory() as tmp:
        args = ["--api", "all", "--max-examples", str(max_examples), "--seed", str(seed), "--report-dir", tmp]
        env = _env(KEYS if base_url else None)
        if base_url:
            args += ["--base-url", base_url]
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "chatgate", "contract", *args],
            env=env,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        seconds = time.perf_counter() - started
        cases = json.loads((Path(tmp) / "summary.json").read_text())["totals"]["requests"]
    return seconds, int(cases), proc.returncode


def st_run(max_examples: int, seed: int, base_url: str) -> tuple[float, int, int]:
    """(seconds, generated cases, worst exit code) of ``st run`` over both specs, one after the other."""
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
    return time.perf_counter() - started, total_cases, worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-examples", type=int, default=DEFAULT_MAX_EXAMPLES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows: dict[str, list[tuple[float, int, int]]] = {
        "gate (embedded)": [],
        "gate (--base-url)": [],
        "st run": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        server_args = ["--db", str(Path(tmp) / "db.sqlite3"), "--seed-messages", "50"]
        with EmbeddedServer(server_args) as server:
            for _ in range(args.repeat):
                rows["gate (embedded)"].append(gate(args.max_examples, args.seed, None))
                rows["gate (--base-url)"].append(gate(args.max_examples, args.seed, server.base_url))
                rows["st run"].append(st_run(args.max_examples, args.seed, server.base_url))
    lines = [
        f"`chatgate contract --api all` vs `st run` (both specs), max examples {args.max_examples}, seed "
        f"{args.seed}, median of {args.repeat}, {os.cpu_count()} CPUs",
        "",
        "| run | wall time (s) | cases | cases/s | exit codes |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name, runs in rows.items():
        seconds = statistics.median(r[0] for r in runs)
        cases = int(statistics.median(r[1] for r in runs))
        codes = ",".join(str(r[2]) for r in runs)
        lines.append(f"| {name} | {seconds:.1f} | {cases} | {cases / seconds:.0f} | {codes} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
