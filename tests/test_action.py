"""The composite GitHub Action at the repository's root (``action.yml``): valid action metadata, and its
steps do what docs/ci.md says when run as a runner runs them.

The metadata is validated against SchemaStore's GitHub Action schema (offline, shipped by
check-jsonschema). The steps' scripts run under bash as the runner runs them (``bash -e -o pipefail``),
``${{ inputs.* }}`` and ``${{ steps.*.outputs.* }}`` filled in as the runner fills them, against a
reference server that fails some requests: the target guard refuses an empty one, the gate's exit code
and SARIF file reach the step outputs, the verdict lands in the job summary and fails the last step.
The install step is not run (``pip install "$GITHUB_ACTION_PATH"``: the wheel tests build and install
the same sources); chatgate is put where it would have installed it.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from chatgate.embedded import EmbeddedServer

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*(inputs|steps)\.([\w-]+)(?:\.outputs\.([\w-]+))?\s*\}\}")


def test_action_metadata_is_valid_against_the_action_schema() -> None:
    vendor = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads(vendor.joinpath("github-actions.json").read_text(encoding="utf-8"))
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(ACTION)]
    assert errors == []
    assert ACTION["runs"]["using"] == "composite"
    assert {"base-url", "api", "specs", "baseline", "min-coverage"} <= set(ACTION["inputs"])
    steps = ACTION["runs"]["steps"]
    install = next(s for s in steps if s.get("name", "").startswith("Install chatgate"))
    assert '"$GITHUB_ACTION_PATH"' in install["run"]  # from the action's own files, pinned by its tag
    sarif = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif"))
    assert "steps.gate.outputs.sarif" in sarif["if"]


class Runner:
    """The action's ``run`` steps in order, as a runner runs them (other steps: recorded, not run)."""

    def __init__(self, tmp: Path, inputs: dict[str, str], env: dict[str, str]) -> None:
        defaults = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        self.inputs = {**defaults, **inputs}
        self.tmp, self.env = tmp, env
        self.outputs: dict[str, str] = {}
        self.summary, self.output_file = tmp / "summary.md", tmp / "output"
        bin_dir = tmp / "chatgate-venv" / "bin"  # where the install step puts chatgate
        bin_dir.mkdir(parents=True)
        (bin_dir / "chatgate").symlink_to(ROOT / ".venv" / "bin" / "chatgate")

    def _fill(self, text: str) -> str:
        def value(m: re.Match[str]) -> str:
            return self.inputs[m.group(2)] if m.group(1) == "inputs" else self.outputs.get(m.group(3), "")

        return EXPRESSION.sub(value, text)

    def step(self, name: str) -> subprocess.CompletedProcess[str]:
        step = next(s for s in ACTION["runs"]["steps"] if s.get("name", "").startswith(name))
        self.output_file.write_text("", encoding="utf-8")
        files = {"GITHUB_OUTPUT": self.output_file, "GITHUB_STEP_SUMMARY": self.summary}
        runner = {
            "RUNNER_TEMP": str(self.tmp),
            "GITHUB_ACTION_PATH": str(ROOT),
            **{k: str(v) for k, v in files.items()},
        }
        own = {k: self._fill(str(v)) for k, v in step.get("env", {}).items()}
        script = ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", self._fill(step["run"])]
        proc = subprocess.run(script, cwd=self.tmp, env={**os.environ, **self.env, **own, **runner},
                              capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
        if step.get("id") == "gate":
            lines = self.output_file.read_text(encoding="utf-8").splitlines()
            self.outputs.update(dict(line.split("=", 1) for line in lines if "=" in line))
        return proc


def _no_targets() -> dict[str, str]:
    return {k: "" for k in ("NARA_BASE_URL", "NAVIGABLE_BASE_URL", "CHATGATE_BASE_URL")}


@pytest.mark.parametrize(
    ("inputs", "env", "ok"),
    [
        ({}, {}, False),
        ({"api": "all", "base-url": ""}, {"NARA_BASE_URL": "https://nara.example"}, False),
        ({}, {"NARA_BASE_URL": "https://nara.example"}, True),
        ({"api": "all", "base-url": "https://both.example"}, {}, True),
    ],
    ids=["nothing", "all-with-one", "variable", "input"],
)
def test_the_action_refuses_a_missing_target_before_anything_runs(
    inputs: dict[str, str], env: dict[str, str], ok: bool, tmp_path: Path
) -> None:
    proc = Runner(tmp_path, inputs, {**_no_targets(), **env}).step("The target must be set")
    assert (proc.returncode == 0) == ok, proc.stdout + proc.stderr
    if not ok:
        assert proc.stdout.startswith("::error::chatgate: no target for "), proc.stdout


@pytest.mark.slow
def test_the_action_gates_a_deployment_with_findings(tmp_path: Path) -> None:
    """A server failing a fifth of its requests: exit code 1 in the outputs, SARIF found, the verdict in
    the job summary, and the last step fails the job."""
    server = EmbeddedServer(
        ["--fault-500-rate", "0.2", "--db", str(tmp_path / "db")], log_path=tmp_path / "log"
    )
    server.start()
    try:
        keys = {"NARA_API_KEY": "nara-dev-key-1001", "NARA_USER_ID": "1001"}
        runner = Runner(
            tmp_path, {"base-url": server.base_url, "max-examples": "3"}, {**_no_targets(), **keys}
        )
        assert runner.step("The target must be set").returncode == 0
        gate = runner.step("Conformance gate")
    finally:
        server.stop()
    assert gate.returncode == 0, gate.stderr  # the step records the code; the verdict step applies it
    assert runner.outputs["exit-code"] == "1", gate.stdout[-2000:] + gate.stderr[-2000:]
    assert runner.outputs["sarif"] == "reports/contract/findings.sarif"
    assert (tmp_path / runner.outputs["sarif"]).is_file()
    assert runner.step("Job summary").returncode == 0
    assert "contract" in runner.summary.read_text(encoding="utf-8").lower()
    verdict = runner.step("Verdict")
    assert verdict.returncode == 1
