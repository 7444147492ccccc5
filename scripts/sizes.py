"""Size limits of the house (issue 9): no function over 60 lines, no module over 400, in the code a reader
walks through (src/, contracts/, loadtests/). Prints each breach as ``file:line: ...``; exits 1 on any.

    python scripts/sizes.py            # the default roots
    python scripts/sizes.py src/chatgate/gate
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400
ROOTS = ("src/chatgate", "contracts", "loadtests")


def breaches(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    out = []
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if lines > MAX_MODULE_LINES:
        out.append(f"{path}:1: module has {lines} lines (limit {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(text, str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            # From ``def`` to the last line of the body: a click command's option decorators are its
            # declaration, not its logic.
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                limit = MAX_FUNCTION_LINES
                out.append(f"{path}:{node.lineno}: {node.name}() has {length} lines (limit {limit})")
    return out


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path(r) for r in ROOTS]
    found = []
    for root in roots:
        files = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for path in files:
            found += breaches(path)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
