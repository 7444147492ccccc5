"""Where ``chatgate load`` sends its load: per-API hosts, keys from the environment, probe first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chatgate.errors import UsageError
from chatgate.load.config import load_options
from chatgate.load.runner import run_load
from tests.load.conftest import run_judged, served

# Tiers: keys and the probe in the default tier; the mixed run at two hosts (marked e2e) in the e2e
# tier, which .ci/run runs too.
pytestmark = pytest.mark.slow


@pytest.mark.e2e
def test_mixed_reaches_each_api_at_its_own_host(serve: Any, tmp_path: Path, monkeypatch: Any) -> None:
    nara = serve("--seed-messages", "30")
    navigable = serve()
    monkeypatch.setenv("NARA_BASE_URL", nara.base_url)
    monkeypatch.setenv("NAVIGABLE_BASE_URL", navigable.base_url)
    _, s = run_judged("mixed", tmp_path, arrival_rate=20, run_time="4s")
    assert s["error_rate"] == 0.0, s["errors"]
    assert s["target"] == f"{nara.base_url} {navigable.base_url}"
    by_name = s["requests_by_name"]
    assert served(nara.base_url, "nara", "sendChatMessage") == by_name["nara.stream"]
    assert served(nara.base_url, "navigable") == 0
    # the probe's read, then every read of the run
    assert served(navigable.base_url, "navigable", "getChatSessionMessages") == 1 + by_name["navigable.read"]
    assert served(navigable.base_url, "nara") == 0
    assert s["visibility"]["count"] > 0
    # read-after-write reads are arrivals of the schedule, not extra load: every request of the run
    # (one per arrival, plus the pages after a walk's first) started as an offered arrival
    firsts = sum(v for k, v in by_name.items() if k != "nara.page") + s["walk"]["count"]
    assert s["unfinished"] == 0 and firsts == s["sent"]
    assert s["offered"] == s["sent"] + sum(s["not_sent"].values())


def test_a_real_target_needs_its_key(serve: Any, tmp_path: Path, monkeypatch: Any) -> None:
    server = serve()
    monkeypatch.delenv("NAVIGABLE_API_KEY")
    with pytest.raises(UsageError, match="NAVIGABLE_API_KEY is not set"):
        run_load(load_options("navigable-reads", run_time_s=2, base_url=server.base_url, report_dir=tmp_path))


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
