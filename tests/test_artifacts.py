"""Report files are written atomically and with ordinary modes: ``0666 & ~umask`` for files and
``0777 & ~umask`` for folders, so a web server running as another user can serve reports and docs."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from chatgate.artifacts import RunDir, write_atomic

ROOT = Path(__file__).resolve().parents[1]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_reports_and_docs_take_the_umask_like_any_tool(umask: int, tmp_path: Path) -> None:
    """``chatgate docs`` in a process with that umask: every file and folder it wrote."""
    out = tmp_path / "site"
    code = (
        f"import os; os.umask({umask}); from chatgate.cli import main; main(['docs', '--out', {str(out)!r}])"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    files = [p for p in out.rglob("*") if p.is_file()]
    folders = [out, *(p for p in out.rglob("*") if p.is_dir())]
    assert len(files) > 5 and len(folders) > 1
    assert {p.name: _mode(p) for p in files} == {p.name: 0o666 & ~umask for p in files}
    assert {p.name: _mode(p) for p in folders} == {p.name: 0o777 & ~umask for p in folders}


def test_a_report_replaced_keeps_an_ordinary_mode(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    os.umask(mask)
    target = tmp_path / "deep" / "summary.json"
    write_atomic(target, "{}\n")
    write_atomic(target, b"{}\n")  # replaced: the new file gets the same mode, not mkstemp's 0600
    RunDir(tmp_path / "deep").publish({"summary.md": "# ok\n"})
    assert _mode(target) == _mode(tmp_path / "deep" / "summary.md") == 0o666 & ~mask
    assert [p.name for p in (tmp_path / "deep").iterdir()] != [] and not list(tmp_path.rglob(".*.tmp"))
