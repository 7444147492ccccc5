"""Issue 20's must-show: a new version of an API's spec needs no change to chatgate.

For each spec variant (``tests.spec_variants``: an optional event added to the stream, an event renamed,
the content field renamed, a new sort key, a page-size limit changed, a response field added, a component
renamed, a second auth scheme, a new operation), through the real CLI with ``--specs`` and the same
chatgate code: the variant's specs lint clean; the gate passes the proxy that speaks the variant (exit 0,
the changed rule judged) and fails its mutant (exit 1, on the expected check); and ``chatgate load`` on
the variant reports no error and a TTFT p50 within 5 ms of the server's ``--ttft-ms``.

Tiers: the gate on a stream variant (usage-event) and a non-stream one (field-added), and the load run
on the stream one, in the default tier; the rest (marked e2e) in the e2e tier.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.contract.conftest import DEV_ENV, GateRun, gate
from tests.load.conftest import read_summary
from tests.spec_variants import VARIANTS, Variant, write_specs
from tests.variant_proxy import VariantServer

pytestmark = pytest.mark.slow

DEFAULT_TIER = ("usage-event", "field-added")


def _variants(default: tuple[str, ...] = DEFAULT_TIER) -> list[object]:
    marks = {name: [] if name in default else [pytest.mark.e2e] for name in VARIANTS}
    return [pytest.param(name, marks=marks[name], id=name) for name in VARIANTS]


def _chatgate(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """``python -m chatgate ARGS`` with the dev keys and nothing else of the shell's chatgate settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHATGATE_", "NARA_", "NAVIGABLE_"))}
    return subprocess.run(
        [sys.executable, "-m", "chatgate", *args], env={**env, **DEV_ENV}, capture_output=True, text=True,
        timeout=timeout, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def _lint_clean(specs: Path) -> None:
    files = sorted(str(p) for p in specs.glob("*.openapi.yaml"))
    proc = _chatgate("lint", *files)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    for name in files:
        line = next((ln for ln in lines if ln.startswith(f"{name}: ")), "")
        assert line.startswith(f"{name}: OK") and "0 error(s), 0 warning(s)" in line, proc.stdout


def _named(specs: Path, api: str, variant: str) -> dict[str, str]:
    path = (specs / f"{api}.openapi.yaml").resolve()
    title = yaml.safe_load(path.read_text(encoding="utf-8"))["info"]["title"]
    return {"api": api, "file": str(path), "title": title, "version": f"1.0.0+{variant}"}


def _gate(variant: Variant, specs: Path, mode: str, tmp: Path) -> GateRun:
    with VariantServer(variant.name, mode, tmp) as server:
        if variant.prepare is not None:
            variant.prepare(server.base_url)
        return gate(
            "--specs", str(specs), "--api", variant.api, "--base-url", server.base_url, "--max-examples", "2",
            report_dir=tmp / f"gate-{mode}",
        )  # fmt: skip


@pytest.mark.parametrize("name", _variants())
def test_the_gate_passes_the_variant_and_fails_its_mutant(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the in-process gate's --specs sets CHATGATE_SPECS_DIR in this process: undone after the test
    monkeypatch.setenv("CHATGATE_SPECS_DIR", "")
    variant = VARIANTS[name]
    specs = write_specs(variant, tmp_path / "specs")
    _lint_clean(specs)

    conforming = _gate(variant, specs, "conforming", tmp_path)
    assert conforming.exit_code == 0, conforming.output
    assert conforming.status(variant.check) == "passed"  # judged, not skipped
    # the report names the spec file the run used and its info.version (issue 20, part 5)
    assert conforming.summary["specs"] == [_named(specs, variant.api, variant.name)]

    mutant = _gate(variant, specs, "mutant", tmp_path)
    assert mutant.exit_code == 1, mutant.output
    # the finding's own check, or one agreeing on the same defect (one finding per defect: issue 21)
    seen = [(f["check"], f["title"]) for f in mutant.summary["findings"]]
    seen += [(a["check"], a["title"]) for f in mutant.summary["findings"] for a in f["agreeing"]]
    titles = [title for check, title in seen if check == variant.check]
    assert any(variant.finding in t for t in titles), (variant.check, seen, mutant.fired)


TTFT_MS = 50
PACING = ("--ttft-ms", str(TTFT_MS), "--itl-ms", "5", "--reply-tokens", "6")
# mixed drives every operation the specs' rules name (streamed sends, page walks over every sort value
# and page size the spec allows, Navigable sends and reads) and is judged on TTFT. An open model at a
# rate the server serves without queueing: what TTFT measures is then its pacing (a closed model with
# no wait keeps it saturated: its own queueing, ~7 ms at p50 here, comes on top)
LOAD = ("--scenario", "mixed", "--arrival-rate", "40", "--run-time", "4s")


def _slo(path: Path) -> Path:
    """The shipped SLO file, but for the share of arrivals sent late: 4 s at 40/s is 160 arrivals, and four
    sent late on a shared machine are past the shipped 2% (exit 4, seen once). The delivery of the open
    model is not what these runs judge; the generator's loop-lag and CPU budgets, which bound the error
    of the TTFT it measures, stay as shipped."""
    from chatgate.resources import loadtests_dir

    shipped = (loadtests_dir() / "slo.toml").read_text(encoding="utf-8")
    slack = "[monitor]\nmax_late_arrival_rate = 0.1\n\n"  # every other budget: the shipped default
    path.write_text(slack + shipped[shipped.index("\n[scenario.") + 1 :], encoding="utf-8")
    return path


@pytest.mark.timing
@pytest.mark.parametrize("name", _variants(default=("usage-event",)))
def test_load_on_the_variant_has_no_error_and_the_servers_ttft(name: str, tmp_path: Path) -> None:
    variant = VARIANTS[name]
    specs = write_specs(variant, tmp_path / "specs")
    report = tmp_path / "load"
    with VariantServer(name, "conforming", tmp_path, *PACING) as server:
        proc = _chatgate("load", "--specs", str(specs), "--base-url", server.base_url, *LOAD,
                         "--slo", str(_slo(tmp_path / "slo.toml")), "--report-dir", str(report))  # fmt: skip
        changes = server.changes()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    s = read_summary(report, "mixed")
    assert s["error_rate"] == 0.0 and s["errors"] == {}, s["errors"]
    assert s["ttft"]["count"] >= 20, s["ttft"]
    assert abs(s["ttft"]["p50"] - TTFT_MS) <= 5.0, (s["ttft"], s["headers"])
    assert _named(specs, variant.api, name) in s["specs"], s["specs"]
    assert (changes > 0) == variant.load_rewritten, changes  # the run went through the variant's change
