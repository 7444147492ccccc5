"""chatgate as a real package: the wheel carries what every command needs, and runs from any folder.

The e2e test builds the wheel and sdist as CI does (``python -m build``), checks them with ``twine
check``, installs the wheel with its dependencies into a fresh venv, runs ``chatgate run`` (every part,
3 s load runs) from an empty folder (exit 0) and compares the docs it built with the checkout's
(``SOURCE_DATE_EPOCH`` fixed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from chatgate import resources

ROOT = Path(__file__).resolve().parents[1]
EPOCH = "1700000000"
_NOT_SOURCE = {".venv", ".git", "node_modules", "reports", "test-artifacts", "build", "dist", "__pycache__"}


def _pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_and_data_folder_is_in_the_wheel_config() -> None:
    setuptools = _pyproject()["tool"]["setuptools"]  # type: ignore[index]
    listed = set(setuptools["packages"])
    src = ROOT / "src"
    found = {
        ".".join(d.relative_to(src).parts)
        for d in src.joinpath("chatgate").rglob("*")
        if d.is_dir() and d.name != "__pycache__" and any(f.is_file() for f in d.iterdir())
    } | {"chatgate"}
    assert found - listed == set(), "add these to [tool.setuptools] packages (and their data to package-data)"
    assert setuptools["package-dir"] == {
        "": "src",
        "chatgate._specs": "specs",
        "chatgate._suite.contracts": "contracts",
        "chatgate._suite.loadtests": "loadtests",
    }


def test_a_checkout_uses_its_own_folders_and_the_variables_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CHATGATE_SPECS_DIR", "CHATGATE_CONTRACTS_DIR", "CHATGATE_LOADTESTS"):
        monkeypatch.delenv(name, raising=False)
    assert resources.in_checkout()
    assert resources.specs_dir() == ROOT / "specs"
    assert resources.contracts_dir() == ROOT / "contracts"
    assert resources.slo_file() == ROOT / "loadtests" / "slo.toml"
    monkeypatch.setenv("CHATGATE_SPECS_DIR", str(tmp_path))
    assert resources.specs_dir() == tmp_path
    monkeypatch.setenv("CHATGATE_LOADTESTS", str(tmp_path))
    with pytest.raises(Exception, match="CHATGATE_LOADTESTS"):
        resources.loadtests_dir()


def test_specs_flag_points_lint_and_docs_at_the_users_copy_from_any_folder(tmp_path: Path) -> None:
    mine = tmp_path / "my-repo" / "api-specs"
    mine.mkdir(parents=True)
    for name in ("nara.openapi.yaml", "navigable.openapi.yaml"):
        text = (ROOT / "specs" / name).read_text(encoding="utf-8")
        (mine / name).write_text(text.replace("version: ", "version: 9", 1), encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "CHATGATE_SPECS_DIR"}

    def chatgate(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "chatgate", *args]
        return subprocess.run(cmd, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)

    lint = chatgate("lint", "--specs", str(mine))
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert f"{mine / 'nara.openapi.yaml'}: OK" in lint.stdout and str(ROOT) not in lint.stdout
    docs = chatgate("docs", "--specs", str(mine), "--out", "site")
    assert docs.returncode == 0, docs.stderr
    assert (elsewhere / "site" / "nara.openapi.yaml").read_bytes() == (
        mine / "nara.openapi.yaml"
    ).read_bytes()
    missing = chatgate("docs", "--specs", str(tmp_path / "nope"))
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1, missing.stderr


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    assert proc.returncode == 0, (cmd, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


@pytest.mark.e2e
@pytest.mark.timing  # the main job's load runs: alone
def test_the_wheel_installs_and_runs_the_main_job_from_an_empty_folder(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy: building writes egg-info and build/ beside the sources
    shutil.copytree(ROOT, source, ignore=lambda d, names: [n for n in names if n in _NOT_SOURCE])
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("CHATGATE_", "PYTHONPATH", "VIRTUAL_ENV"))
    }
    env["SOURCE_DATE_EPOCH"] = EPOCH
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--outdir", str(dist), str(source)], tmp_path, env, 600)
    wheel, sdist = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    assert len(wheel) == 1 and len(sdist) == 1
    _run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel[0]), str(sdist[0])], tmp_path, env, 120
    )
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env, 120)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel[0])], tmp_path, env, 900)
    empty = tmp_path / "empty"
    empty.mkdir()
    # Every part of the main job, from the wheel; 3 s load runs (not 10 s): the package is what is under
    # test here, and the main job at its README length is tests/test_run.py's (~35 s of the e2e tier saved).
    run = [str(venv / "bin" / "chatgate"), "run", "--load-run-time", "3s"]
    first = subprocess.run(
        run, cwd=empty, env=env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL
    )
    # Exit 4 is the load generator saying its own machine was too busy to measure (a shared 2-core box
    # under other work): that says nothing about the package, so the job is run once more.
    proc = _run(run, empty, env, 900) if first.returncode == 4 else first
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    assert "report: reports/index.html" in proc.stdout
    checkout_docs = tmp_path / "checkout-docs"
    _run([sys.executable, "-m", "chatgate", "docs", "--out", str(checkout_docs)], ROOT, env, 300)
    wheel_docs = empty / "reports" / "docs"
    names = sorted(p.relative_to(checkout_docs).as_posix() for p in checkout_docs.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(wheel_docs).as_posix() for p in wheel_docs.rglob("*") if p.is_file())
    different = [n for n in names if (checkout_docs / n).read_bytes() != (wheel_docs / n).read_bytes()]
    # The Changes page: the checkout has the specs' git history, the installed wheel none.
    assert different in ([], ["changes.html"])
    assert 'id="no-history"' in (wheel_docs / "changes.html").read_text(encoding="utf-8")
    for report in (empty / "reports").rglob("*.json"):  # nothing points back at the checkout
        assert str(ROOT) not in report.read_text(encoding="utf-8"), report
