"""``chatgate load`` exit codes for toolkit errors: bad flags / SLO file (2), unreachable target (3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chatgate.embedded import free_port


def test_unreachable_target_exits_3_with_one_line(tmp_path: Path, load_cli: Any) -> None:
    port = free_port()
    proc = load_cli(
        "--base-url", f"http://127.0.0.1:{port}", "--run-time", "2s", "--report-dir", str(tmp_path)
    )
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach" in lines[0]
    assert "Traceback" not in proc.stderr


def test_bad_slo_file_exits_2(tmp_path: Path, load_cli: Any) -> None:
    slo = tmp_path / "slo.toml"
    slo.write_text("[scenario.nara-stream-sends]\np95_ttft = 'fast'\n", encoding="utf-8")
    proc = load_cli("--slo", str(slo), "--base-url", "http://127.0.0.1:9", "--report-dir", str(tmp_path))
    assert proc.returncode == 2
    assert "unknown key 'p95_ttft'" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_flags_exit_2(tmp_path: Path, load_cli: Any) -> None:
    assert load_cli("--run-time", "soon", "--report-dir", str(tmp_path)).returncode == 2
    assert load_cli("--scenario", "nope").returncode == 2
    assert load_cli("--users", "0").returncode == 2
    for flags, message in (
        (("--users", "5", "--arrival-rate", "5"), "belong to the closed model"),
        (("--max-in-flight", "5"), "belong to the open model"),
        (("--warmup", "10s", "--run-time", "5s"), "must be shorter than --run-time"),
        (("--stream-idle-timeout", "never"), "invalid duration"),
    ):
        proc = load_cli(*flags, "--report-dir", str(tmp_path))
        assert proc.returncode == 2 and message in proc.stderr, (flags, proc.stderr)
        assert "Traceback" not in proc.stderr
