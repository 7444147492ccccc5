"""Where ``chatgate load`` sends its load: per-API hosts, keys from the environment, probe first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chatgate.errors import UsageError
from chatgate.load.runner import run_load
from tests.load.conftest import served

pytestmark = pytest.mark.slow


def test_mixed_reaches_each_api_at_its_own_host(serve: Any, tmp_path: Path, monkeypatch: Any) -> None:
    nara = serve("--seed-messages", "30")
    navigable = serve()
    monkeypatch.setenv("NARA_BASE_URL", nara.base_url)
    monkeypatch.setenv("NAVIGABLE_BASE_URL", navigable.base_url)
    result = run_load("mixed", arrival_rate=20, run_time="4s", report_dir=tmp_path)
    s = result.summary
    assert s["error_rate"] == 0.0, s["errors"]
    assert s["target"] == f"{nara.base_url} {navigable.base_url}"
    by_name = s["requests_by_name"]
    assert served(nara.base_url, "nara", "sendChatMessage") == by_name["nara.stream"]
    assert served(nara.base_url, "navigable") == 0
    # the probe's read, then every read of the run
    assert served(navigable.base_url, "navigable", "getChatSessionMessages") == 1 + by_name["navigable.read"]
    assert served(navigable.base_url, "nara") == 0
    assert s["visibility"]["count"] > 0


def test_a_real_target_needs_its_key(serve: Any, tmp_path: Path, monkeypatch: Any) -> None:
    server = serve()
    monkeypatch.delenv("NAVIGABLE_API_KEY")
    with pytest.raises(UsageError, match="NAVIGABLE_API_KEY is not set"):
        run_load("navigable-reads", run_time="2s", base_url=server.base_url, report_dir=tmp_path)


def test_a_rejected_key_exits_3_before_any_load(
    serve: Any, tmp_path: Path, load_cli: Any, monkeypatch: Any
) -> None:
    server = serve()
    monkeypatch.setenv("NARA_API_KEY", "not-a-key-of-this-server")
    proc = load_cli("--base-url", server.base_url, "--run-time", "2s", "--report-dir", str(tmp_path))
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"chatgate: error: nara: {server.base_url} rejected the key (401); check NARA_API_KEY"
    ]
    assert "not-a-key-of-this-server" not in proc.stdout + proc.stderr
    assert served(server.base_url, "nara", "sendChatMessage") == 0
