"""The house rules import-linter cannot see: loadtests/ is not a package (Locust loads its files by path),
so its imports are read here. contracts/ and src/ are checked by import-linter (scripts/check)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from chatgate.resources import checkout_root

LOADTESTS = sorted((checkout_root() / "loadtests").glob("*.py"))
# What a Locust file may use of chatgate: the load generator's Locust side and the shared core, never the
# reference server, the gate, the CLI or the load command's own process-side modules.
FORBIDDEN = (
    "chatgate.server",
    "chatgate.embedded",
    "chatgate.gate",
    "chatgate.cli",
    "chatgate.run",
    "chatgate.load.runner",
    "chatgate.load.launch",
    "chatgate.load.command",
)


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_there_are_locust_files_to_check() -> None:
    assert len(LOADTESTS) >= 5


@pytest.mark.parametrize("path", LOADTESTS, ids=[p.name for p in LOADTESTS])
def test_locust_files_speak_http_only(path: Path) -> None:
    bad = [name for name in _imports(path) if name.startswith(FORBIDDEN)]
    assert bad == [], f"{path.name} imports {bad}"


def test_the_rule_sees_a_forbidden_import(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("def f():\n    from chatgate.server.app import create_app\n", encoding="utf-8")
    assert [n for n in _imports(sneaky) if n.startswith(FORBIDDEN)] == ["chatgate.server.app"]
