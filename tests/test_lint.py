"""`chatgate lint`: the real specs pass both passes; broken ones fail with file, line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chatgate.lint.runner import lint_file, redocly_path
from chatgate.specs import meta_schema_problems, spec_path
from tests.summary_schemas import assert_valid_summary

ROOT = Path(__file__).resolve().parents[1]


def chatgate(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatgate", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


@pytest.mark.parametrize("api", ["nara", "navigable"])
def test_real_specs_are_valid_and_clean(api: str) -> None:
    redocly = redocly_path()
    assert redocly is not None, "Redocly CLI missing: scripts/install installs it under tools/"
    result = lint_file(spec_path(api), redocly=redocly)
    assert result.problems == () and result.unusable is None, "\n".join(map(str, result.problems))


def test_lint_command_exit_0_on_both_specs() -> None:
    proc = chatgate("lint", "--require-ruleset")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        "specs/nara.openapi.yaml: OK (openapi-spec-validator, examples, x-chatgate, redocly recommended"
        in proc.stdout
    )
    assert "specs/navigable.openapi.yaml: OK" in proc.stdout


def _broken_copy(tmp_path: Path) -> tuple[Path, int]:
    """Nara spec with an unknown keyword on the send operation; returns (path, its line)."""
    text = spec_path("nara").read_text(encoding="utf-8")
    marker = "      operationId: sendChatMessage\n"
    assert marker in text
    text = text.replace(marker, marker + "      summery: typo of summary\n", 1)
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("      summery: typo of summary") + 1
    return path, line


def test_invalid_spec_reports_file_and_line_and_exits_2(tmp_path: Path) -> None:
    path, line = _broken_copy(tmp_path)
    proc = chatgate("lint", str(path))
    assert proc.returncode == 2
    assert f"{path}:{line}: error: [redocly:struct] Property `summery` is not expected here." in proc.stdout
    assert "openapi-spec-validator" in proc.stdout and "summery" in proc.stdout
    assert proc.stderr.strip().splitlines() == [f"chatgate: error: 1 invalid spec(s): {path}"]
    assert "Traceback" not in proc.stdout + proc.stderr


def test_meta_schema_pass_points_at_the_operation(tmp_path: Path) -> None:
    path, line = _broken_copy(tmp_path)
    problems = meta_schema_problems(path)
    assert len(problems) == 1
    # the meta-schema reports on the operation object that holds the unknown key
    assert problems[0].line == line - 2 and "summery" in problems[0].message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("openapi: 3.1.0\ninfo: [1,\n", "not valid YAML"),
        ("- just\n- a list\n", "not an OpenAPI document"),
        ("swagger: '2.0'\ninfo: {}\n", "not an OpenAPI 3.x document"),
    ],
)
def test_unusable_files_get_one_line_and_exit_2(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(content, encoding="utf-8")
    proc = chatgate("lint", str(path))
    assert proc.returncode == 2
    assert expected in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_missing_file_exit_2(tmp_path: Path) -> None:
    proc = chatgate("lint", str(tmp_path / "nope.yaml"))
    assert proc.returncode == 2
    assert "cannot read spec" in proc.stdout


def test_yaml_error_line_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("openapi: 3.1.0\ninfo:\n  title: x\n  version: [\n", encoding="utf-8")
    proc = chatgate("lint", str(path))
    assert proc.returncode == 2
    assert f"{path}:" in proc.stdout


def test_summary_json_follows_its_shipped_schema(tmp_path: Path) -> None:
    broken, _ = _broken_copy(tmp_path)
    unusable = tmp_path / "list.yaml"
    unusable.write_text("- a\n", encoding="utf-8")
    out = tmp_path / "out" / "summary.json"
    proc = chatgate("lint", "--summary-json", str(out), str(spec_path("nara")), str(broken), str(unusable))
    assert proc.returncode == 2
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert_valid_summary("lint", doc)
    assert doc["schema_version"] == 1 and doc["valid"] is False and doc["ruleset"] == "redocly recommended"
    assert [(f["valid"], f["errors"] > 0) for f in doc["files"]] == [
        (True, False),
        (False, True),
        (False, True),
    ]
    assert "not an OpenAPI document" in doc["files"][2]["problems"][0]
