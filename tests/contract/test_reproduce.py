"""A finding's reproducer runs as printed: copied from the report, run in a shell where the key variables
are set, against the faulty server, it shows the failure (a stream fault included: read unbuffered)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.contract.conftest import DEV_ENV, Faulty, gate
from tests.contract.faulty_server import EXPECTED

pytestmark = pytest.mark.slow


def _stream_out_of_order(out: str) -> bool:
    """The terminal event came before the last delta (the fault's defect), as the stream printed it."""
    names = re.findall(r"^event: (\S+)", out, re.M)
    return "message_end" in names and names.index("message_end") < len(names) - 1


def _id_as_text(out: str) -> bool:
    return re.search(r'"id": ?"\d+"', out) is not None


def _served_without_key(out: str) -> bool:
    return '"data"' in out and "unauthorized" not in out


CASES: list[tuple[str, Callable[[str], bool]]] = [
    ("nara-stream-grammar", _stream_out_of_order),
    ("nara-wrong-type", _id_as_text),
    ("nara-auth-ignored", _served_without_key),
]


@pytest.mark.parametrize(("fault", "shows"), CASES, ids=[c[0] for c in CASES])
def test_a_findings_curl_reproduces_it_as_printed(
    fault: str, shows: Callable[[str], bool], faulty: Faulty, tmp_path: Path
) -> None:
    expect = EXPECTED[fault]
    server = faulty(fault)
    args = ("--api", "nara", "--base-url", server.base_url, "--max-examples", "2", "--seed", "1")
    run = gate(*args, "--include-name", expect.operation, report_dir=tmp_path / "r")
    assert run.exit_code == 1, run.output[-2000:]
    finding = next(f for f in run.summary["findings"] if f["check"] == expect.check)
    command = finding["examples"][0]["curl"]
    assert "dev-key" not in command  # the key is a variable of the shell, never written
    env = {"PATH": os.environ["PATH"], **DEV_ENV}
    proc = subprocess.run(["bash", "-c", command], cwd=run.report_dir, env=env, capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert shows(proc.stdout), f"{fault}: {command}\n{proc.stdout[:2000]}"
