"""Issue 21: the processes chatgate starts import chatgate and Locust, not the user's working directory.

Each command that starts a Python process (the embedded server, Locust's master and workers, the
contract suite, the main job's parts) is run from a folder holding a ``chatgate/`` folder (the layout
after ``git clone``) and a ``locust.py``, as a user would: the ``chatgate`` console script, that
folder as the working directory. Before the fix, Python put that folder first on the import path of
every child: the embedded server died importing ``chatgate`` and the command ended in exit 3, as if
the target could not be tested, and Locust imported the user's files.

Tiers: contract, load (a master and a local worker) and the embedded server's failure in the default
tier; capacity, the distributed master and worker machines and the main job in the e2e tier.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chatgate.embedded import EmbeddedServer, free_port
from chatgate.errors import UsageError
from tests.load.conftest import write_lenient_slo
from tests.load.multihost import KEYS

pytestmark = pytest.mark.slow

CHATGATE = str(Path(sys.executable).parent / "chatgate")  # the console script a user runs


@pytest.fixture
def clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding a ``chatgate/`` folder (as after ``git clone``) and a ``locust.py``."""
    work = tmp_path / "work"
    (work / "chatgate").mkdir(parents=True)
    # A package, not only a clone's folder: a package shadows even a chatgate installed further down the
    # import path (a clone's folder without __init__.py broke the editable install the same way).
    (work / "chatgate" / "__init__.py").write_text("raise ImportError('the user\\'s chatgate/')\n", "utf-8")
    (work / "locust.py").write_text("raise SystemExit('the user\\'s locust.py was imported')\n", "utf-8")
    for name in ("NARA_BASE_URL", "NAVIGABLE_BASE_URL", "CHATGATE_BASE_URL", "NARA_API_KEY", "NARA_USER_ID",
                 "NAVIGABLE_API_KEY", "CHATGATE_LOADTESTS", "CHATGATE_SPECS_DIR"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    return work


def run_in(folder: Path, *args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHATGATE, *args], cwd=folder, capture_output=True, text=True, timeout=timeout, check=False,
        stdin=subprocess.DEVNULL, env={**os.environ, **env},
    )  # fmt: skip


def _said(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n{proc.stdout[-1500:]}\n{proc.stderr[-1500:]}"


def test_contract_from_a_folder_holding_chatgate_and_locust_py(clone: Path) -> None:
    proc = run_in(clone, "contract", "--api", "nara", "--max-examples", "2", "--checks", "pagination",
                  "--report-dir", "out/contract")  # fmt: skip
    assert proc.returncode == 0, _said(proc)  # before the fix: 3, "embedded server exited with code 1"
    assert "cannot import" not in proc.stderr
    assert json.loads((clone / "out/contract/summary.json").read_text("utf-8"))["verdict"] == "pass"


@pytest.mark.timing  # a live load run of fixed length
def test_load_with_a_master_and_a_worker_from_a_folder_holding_chatgate_and_locust_py(clone: Path) -> None:
    slo = write_lenient_slo(clone / "lenient.toml")
    proc = run_in(clone, "load", "--arrival-rate", "4", "--run-time", "2s", "--workers", "1",
                  "--slo", "lenient.toml", "--report-dir", "out/load")  # fmt: skip
    assert proc.returncode == 0, _said(proc)  # before the fix: 3 (the embedded server), then Locust
    assert slo.is_file()
    summary = json.loads((clone / "out/load/nara-stream-sends/summary.json").read_text("utf-8"))
    assert summary["requests"] > 0 and summary["model"]["workers"] == 1
    assert "locust.py was imported" not in (clone / "out/load/nara-stream-sends/locust.log").read_text()


def test_an_embedded_server_that_cannot_start_is_a_toolkit_error_not_the_targets(tmp_path: Path) -> None:
    """The server is chatgate's own: its failure is exit 2 with its cause, never 3 ("cannot be tested").
    Here it imports a broken ``chatgate`` (what a shadowing folder did to it before the fix)."""
    broken = tmp_path / "broken" / "chatgate"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('a broken chatgate')\n", encoding="utf-8")
    server = EmbeddedServer(env={"PYTHONPATH": str(broken.parent)}, startup_timeout=30)
    with pytest.raises(UsageError) as caught:  # before: TargetError (exit 3)
        server.start()
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith("the embedded reference server did not start (exit 1)")
    assert "a broken chatgate" in str(caught.value)


@pytest.mark.e2e
@pytest.mark.timing
def test_capacity_from_a_folder_holding_chatgate_and_locust_py(clone: Path) -> None:
    write_lenient_slo(clone / "lenient.toml")
    proc = run_in(clone, "capacity", "--start-rps", "2", "--max-rps", "2", "--step-time", "2s",
                  "--warmup", "1s", "--slo", "lenient.toml", "--report-dir", "out/capacity")  # fmt: skip
    assert proc.returncode == 0, _said(proc)
    assert "at least --max-rps" in proc.stdout


@pytest.mark.e2e
@pytest.mark.timing
def test_a_distributed_master_and_worker_from_folders_holding_chatgate_and_locust_py(
    clone: Path, serve: object
) -> None:
    write_lenient_slo(clone / "lenient.toml")
    server = serve()  # type: ignore[operator]
    port = free_port()
    flags = ["--scenario", "nara-stream-sends", "--arrival-rate", "4", "--run-time", "3s"]
    master = subprocess.Popen(
        [CHATGATE, "load", "--master", "--expect-workers", "1", "--master-bind-host", "127.0.0.1",
         "--master-bind-port", str(port), "--slo", "lenient.toml", "--report-dir", "out/master", *flags],
        cwd=clone, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **KEYS},
    )  # fmt: skip
    try:
        worker = run_in(clone, "load", "--worker", "--master-host", "127.0.0.1", "--master-port", str(port),
                        "--base-url", server.base_url, "--report-dir", "out/worker", *flags, **KEYS)  # type: ignore[attr-defined]  # fmt: skip
        out, _ = master.communicate(timeout=120)
    finally:
        if master.poll() is None:
            master.kill()
            master.wait()
    assert worker.returncode == 0, _said(worker)
    assert master.returncode == 0, out[-2000:]


@pytest.mark.e2e
def test_the_main_job_from_a_folder_holding_chatgate_and_locust_py(clone: Path) -> None:
    args = ("run", "--load-run-time", "2s", "--load-rate", "4", "--report-dir", "out")
    proc = run_in(clone, *args, timeout=900.0)
    # every part ran (the load parts' own verdicts may be 4 on a busy machine; never 2 or 3)
    summary = json.loads((clone / "out/summary.json").read_text("utf-8"))
    codes = {p["name"]: p["exit_code"] for p in summary["parts"]}
    assert all(code in (0, 1, 4) for code in codes.values()), (codes, _said(proc))
    assert codes["contract"] == 0 and codes["lint"] == 0, codes
