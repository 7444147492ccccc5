"""What locating findings in the spec costs a gate run: composing the YAML per lookup, as before, against
once per content of the file (``chatgate.specs.find_line`` now).

    .venv/bin/python bench/gate_locate.py [--findings 50] [--rounds 5]

The gate gives every finding the line of its operation and of the schema it broke: two lookups per
finding. Before, each lookup composed the whole spec with PyYAML's pure-Python composer. This times
``--findings`` findings' lookups (operation and schema lines of the Nara spec, in turn) both ways, side
by side in alternating rounds, and the meta-schema judgement the gate makes of both specs before it
runs (``require_valid_specs``), first and repeated in one process (the tests' in-process gate runs).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from chatgate import specs  # noqa: E402
from chatgate.specs import find_line, load_spec, operations, require_valid_specs, spec_path  # noqa: E402


def _old_find_line(path: Path, pointer: list[str | int]) -> int | None:
    """find_line as it was: the file composed again on every call, by the pure-Python composer."""
    cached = specs._composed
    specs._composed = yaml.compose  # type: ignore[assignment]
    try:
        return find_line(path, pointer)
    finally:
        specs._composed = cached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    path = spec_path("nara")
    spec = load_spec("nara")
    ops = list(operations(spec))
    schemas = sorted(spec["components"]["schemas"])
    pointers: list[list[str | int]] = []
    for i in range(args.findings):
        op = ops[i % len(ops)]
        pointers.append(["paths", op.path, op.method.lower()])
        pointers.append(["components", "schemas", schemas[i % len(schemas)]])
    timings: dict[str, list[float]] = {"before": [], "now": []}
    for _ in range(args.rounds):
        for name, fn in (("before", _old_find_line), ("now", find_line)):
            started = time.perf_counter()
            lines = [fn(path, p) for p in pointers]
            timings[name].append(time.perf_counter() - started)
            assert all(lines), name
    assert [_old_find_line(path, p) for p in pointers] == [find_line(path, p) for p in pointers]
    print(f"locating {args.findings} findings ({len(pointers)} lookups) in {path.name}, {args.rounds} rounds")
    for name, values in timings.items():
        median, fastest = statistics.median(values) * 1000, min(values) * 1000
        print(f"  {name:6s} median {median:8.1f} ms  (min {fastest:.1f})")
    ratio = statistics.median(timings["before"]) / statistics.median(timings["now"])
    print(f"  before / now: {ratio:.0f}x")
    started = time.perf_counter()
    require_valid_specs()
    first = time.perf_counter() - started
    started = time.perf_counter()
    require_valid_specs()
    again = time.perf_counter() - started
    print(f"meta-schema judgement of both specs: first {first * 1000:.0f} ms, again {again * 1000:.1f} ms")


if __name__ == "__main__":
    main()
