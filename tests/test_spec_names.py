"""The spec-name scan (scripts/spec_names.py): names from the specs written in Python are found, with
their file, line and kind; docstrings, comments and allowlisted words are not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

SPEC = """\
openapi: 3.1.0
info: {title: Things, version: "1"}
paths:
  /api/v9/things:
    get:
      operationId: listThings
      description: the thing_id of every thing
      parameters:
        - {name: thing_id, in: query, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            text/event-stream:
              schema: {$ref: "#/components/schemas/ThingEvent"}
              x-chatgate-stream:
                grammar: "thing_start thing_end"
                content: {event: thing_start, field: error}
components:
  securitySchemes:
    keyAuth: {type: apiKey, in: header, name: X-Thing-Key}
  schemas:
    ThingEvent:
      properties:
        event: {enum: [thing_start, thing_end]}
        error: {type: string}
        createdAt: {type: string, example: {notAName: 1}}
"""

CODE = '''\
"""A module docstring naming thing_id and /api/v9/things is no hit."""

# a comment naming thing_id is no hit either


def f(x: int) -> str:
    """Nor a function's docstring: createdAt."""
    path = f"/api/v9/things?{x}"
    other = "the thing_id of a thing"
    events = ("thing_start", "error", "created at")
    return f"{path} {other} {events} {x:>4} X-THING-KEY listThings ThingEvent" + "createdAt"


LABELS = ("things.thing_start", "v9", "$stream.event.thing_end#/x", "index.html")
'''


def _scan(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = ROOT / "scripts" / "spec_names.py"
    return subprocess.run(
        [sys.executable, str(script), "--root", str(root), *args], capture_output=True, text=True, timeout=60
    )


def _tree(tmp_path: Path, allow: str) -> Path:
    (tmp_path / "specs").mkdir(parents=True)
    (tmp_path / "specs" / "things.openapi.yaml").write_text(SPEC, encoding="utf-8")
    for where in ("src/chatgate", "src/chatgate/server", "contracts"):
        (tmp_path / where).mkdir(parents=True, exist_ok=True)
    (tmp_path / "src/chatgate/mod.py").write_text(CODE, encoding="utf-8")
    (tmp_path / "src/chatgate/server/app.py").write_text('PATH = "/api/v9/things"\n', encoding="utf-8")
    (tmp_path / "contracts/check.py").write_text('FIELD = "thing_id"\n', encoding="utf-8")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "spec_names.allow").write_text(allow, encoding="utf-8")
    return tmp_path


def test_names_are_found_with_file_line_and_kind(tmp_path: Path) -> None:
    allow = "error -- every API's word\nevent -- SSE's\nthing_id contracts/check.py -- a test entry\n"
    root = _tree(tmp_path, allow)
    proc = _scan(root)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "src/chatgate/mod.py:8: '/api/v9/things' is a name from specs/things.openapi.yaml (path)",
        "src/chatgate/mod.py:9: 'thing_id' is a name from specs/things.openapi.yaml (parameter)",
        "src/chatgate/mod.py:10: 'thing_start' is a name from specs/things.openapi.yaml (event)",
        "src/chatgate/mod.py:11: 'ThingEvent' is a name from specs/things.openapi.yaml (component schemas)",
        "src/chatgate/mod.py:11: 'X-Thing-Key' is a name from specs/things.openapi.yaml (auth header)",
        "src/chatgate/mod.py:11: 'createdAt' is a name from specs/things.openapi.yaml (property)",
        "src/chatgate/mod.py:11: 'listThings' is a name from specs/things.openapi.yaml (operationId)",
        "src/chatgate/mod.py:14: 'thing_end' is a name from specs/things.openapi.yaml (event)",
    ]
    assert "8 spec name(s)" in proc.stderr
    report = _scan(root, "--report")
    assert report.returncode == 0 and report.stdout == proc.stdout


def test_an_allowlist_entry_needs_its_reason_and_an_unused_one_is_noted(tmp_path: Path) -> None:
    root = _tree(tmp_path, "error\n")
    proc = _scan(root)
    assert proc.returncode == 1 and "expected 'NAME [FILE ...] -- why'" in proc.stderr
    root = _tree(tmp_path / "b", "error -- why\nthing_id contracts/check.py -- why\nnever -- why\n")
    proc = _scan(root, "--report")
    assert "spec_names.allow: 'never' allows nothing now" in proc.stderr
    assert "'error'" not in proc.stdout and "contracts/check.py" not in proc.stdout


def test_a_path_given_scans_only_there(tmp_path: Path) -> None:
    root = _tree(tmp_path, "error -- why\n")
    proc = _scan(root, "contracts")
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "contracts/check.py:1: 'thing_id' is a name from specs/things.openapi.yaml (parameter)"
    ]


def test_the_whole_tree_names_nothing_of_either_spec() -> None:
    """What scripts/check holds: src/chatgate (the server aside), contracts/ and loadtests/."""
    proc = _scan(ROOT)
    assert proc.returncode == 0, proc.stdout
