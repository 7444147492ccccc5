"""``chatgate diff`` side by side with another OpenAPI diff tool on the same spec pairs, and its speed.

    .venv/bin/python bench/diff_compare.py [--rounds 5]

The pairs are the rule table's own (tests/diff/cases.py: one edit of a real spec per rule, both APIs,
stream rules on the Nara send), plus a renamed component and a docs-only edit. For each pair: the most
serious class chatgate gives (its verdict) and how many changes it lists, and what api-smart-diff (npm,
pure JavaScript: bench/diff/,
installed with ``npm install --prefix bench/diff``) reports: its most serious class over all the changes
it lists (breaking > deprecated > unclassified > non-breaking > annotation), and how many. oasdiff and
@pb33f/openapi-changes are Go programs this machine cannot build or fetch (BENCHMARKS.md says why).

Speed: ``chatgate diff`` on the two specs (a folder pair, both changed) as a user runs it (a new process
each round, start-up included) and in-process; api-smart-diff on the same two pairs (one node process per
spec, start-up included). Results: bench/results/diff_compare.txt.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from chatgate.diff.catalogue import RULES  # noqa: E402
from chatgate.diff.model import CLASSES  # noqa: E402
from chatgate.diff.runner import run_diff  # noqa: E402
from tests.diff.cases import CASES  # noqa: E402
from tests.diff.edits import Case, write_pair  # noqa: E402

NODE_DIR = ROOT / "bench" / "diff"
ASD_ORDER = ("breaking", "deprecated", "unclassified", "non-breaking", "annotation")
ASD_AS = {"breaking": "breaking", "deprecated": "warning", "unclassified": "unclassified",
          "non-breaking": "non-breaking", "annotation": "docs-only", "": "no change"}  # fmt: skip
EXTRA = (
    Case("(renamed component)", "nara", new=(
        ("    ChatMessage:\n", "    StoredMessage:\n"),
        *[('$ref: "#/components/schemas/ChatMessage"', '$ref: "#/components/schemas/StoredMessage"')] * 2,
    )),
    Case("(docs-only edit)", "navigable", new=(
        ("description: The content of the message.", "description: What the message says."),
    )),
)  # fmt: skip


def _asd(old: Path, new: Path) -> list[dict[str, str]]:
    proc = subprocess.run(["node", str(NODE_DIR / "asd.mjs"), str(old), str(new)], capture_output=True,
                          text=True, timeout=120, check=True)  # fmt: skip
    changes: list[dict[str, str]] = json.loads(proc.stdout)
    return changes


def _worst(changes: list[dict[str, str]]) -> str:
    kinds = {c["type"] for c in changes}
    return next((k for k in ASD_ORDER if k in kinds), "")


def _row(case: Case, folder: Path) -> tuple[str, str, str, str, bool]:
    old, new, _, _ = write_pair(case, folder)
    result = run_diff(str(old), str(new))
    mine = next((c for c in CLASSES if any(x.cls == c for x in result.changes)), "no change")
    changes = _asd(old, new)
    theirs = ASD_AS[_worst(changes)]
    return (
        case.rule,
        case.api,
        f"{mine} ({len(result.changes)})",
        f"{theirs} ({len(changes)})",
        mine == theirs,
    )


def _both_specs_pair(folder: Path) -> tuple[Path, Path]:
    """specs/ and a copy with a change in each spec (what a PR that touches both looks like)."""
    old, new = folder / "old", folder / "new"
    shutil.copytree(ROOT / "specs", old)
    shutil.copytree(ROOT / "specs", new)
    for name, a, b in (("nara.openapi.yaml", "enum: [stop, length]", "enum: [stop, length, tool_calls]"),
                       ("navigable.openapi.yaml", "name: X-Api-Key", "name: X-Key")):  # fmt: skip
        path = new / name
        path.write_text(path.read_text().replace(a, b, 1))
    return old, new


def _timings(rounds: int, folder: Path) -> list[str]:
    old, new = _both_specs_pair(folder)
    cli, inproc, node = [], [], []
    for _ in range(rounds):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "chatgate", "diff", str(old), str(new), "--report-dir",
                        str(folder / "r")], capture_output=True, timeout=120, check=False)  # fmt: skip
        cli.append(time.perf_counter() - t)
        t = time.perf_counter()
        run_diff(str(old), str(new))
        inproc.append(time.perf_counter() - t)
        t = time.perf_counter()
        for name in ("nara.openapi.yaml", "navigable.openapi.yaml"):
            _asd(old / name, new / name)
        node.append(time.perf_counter() - t)
    med = statistics.median
    return [
        f"chatgate diff OLD NEW (both specs, new process, reports written): median {med(cli):.2f} s, "
        f"max {max(cli):.2f} s over {rounds} rounds",
        f"run_diff in-process (both specs, models built, compared): median {med(inproc) * 1000:.0f} ms",
        f"api-smart-diff (both specs, one node process each): median {med(node):.2f} s",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not (NODE_DIR / "node_modules" / "api-smart-diff").is_dir():
        sys.exit("api-smart-diff is not installed: npm install --prefix bench/diff")
    head = ("pair (the chatgate rule it is for)", "API", "chatgate: most serious (changes)",
            "api-smart-diff: most serious (changes)", "same")  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "| --- | --- | --- | --- | --- |"]
    same = 0
    cases = (*CASES, *EXTRA)
    with tempfile.TemporaryDirectory() as tmp:
        for i, case in enumerate(cases):
            rule, api, mine, theirs, agree = _row(case, Path(tmp) / str(i))
            same += agree
            lines.append(f"| `{rule}` | {api} | {mine} | {theirs} | {'yes' if agree else '**no**'} |")
        lines += [
            "",
            f"same class on {same} of {len(cases)} pairs ({len(RULES)} rules in chatgate's table)",
            "",
        ]
        lines += _timings(args.rounds, Path(tmp) / "timing")
    text = "\n".join(lines) + "\n"
    (ROOT / "bench" / "results" / "diff_compare.txt").write_text(text, encoding="utf-8")
    print(text, end="")


if __name__ == "__main__":
    main()
