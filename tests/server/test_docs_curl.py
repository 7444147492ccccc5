"""The reference server guide's curl examples (docs/reference-server.md) work against ``chatgate serve``
as written.

Every fenced ``bash`` block containing ``curl`` between ``<!-- curl-examples:start -->`` and
``<!-- curl-examples:end -->`` runs with bash, ``http://127.0.0.1:8080`` replaced by a test server's URL.
It must exit 0 and print JSON valid against the spec's 200 schema of the operation it calls, or a
complete stream whose events are valid per the spec.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from chatgate.sse import decode_all
from tests.server.server_helpers import InProcess, event_data_valid, response_validator

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "reference-server.md"
BASE = "http://127.0.0.1:8080"
_SECTION = re.compile(r"<!-- curl-examples:start -->(.*?)<!-- curl-examples:end -->", re.S)
_BLOCK = re.compile(r"```bash\n(.*?)```", re.S)
_URL = re.compile(re.escape(BASE) + r"(/[^\s\"'?\\]*)")
_OPERATIONS = {
    ("post", "/api/v1.0/chat"): "nara",
    ("get", "/api/v1.0/chat/messages"): "nara",
    ("get", "/api/v1/chat"): "navigable",
    ("post", "/api/v1/chat"): "navigable",
}


def curl_blocks(markdown: str) -> list[str]:
    """The ``bash`` blocks containing ``curl`` inside the curl-examples markers."""
    section = _SECTION.search(markdown)
    return [b for b in _BLOCK.findall(section.group(1)) if "curl" in b] if section else []


def _operation(block: str) -> tuple[str, str, str]:
    match = _URL.search(block)
    assert match, f"no {BASE} URL in: {block}"
    explicit = re.search(r"-X\s*([A-Z]+)", block)
    if explicit:
        method = explicit.group(1).lower()
    else:
        method = "post" if re.search(r"(\s-d\s|--data)", block) else "get"
    api = _OPERATIONS.get((method, match.group(1)))
    assert api, f"{method.upper()} {match.group(1)} is not an operation of either spec"
    return api, method, match.group(1)


def _check_output(block: str, out: str) -> None:
    api, method, path = _operation(block)
    if out.lstrip().startswith("event:"):
        events = decode_all(out.encode())
        names = [e.event for e in events]
        assert names[0] == "message_start" and names[-1] == "message_end" and "delta" in names, names
        assert all(event_data_valid(e) for e in events), out[:500]
        return
    doc: Any = json.loads(out)
    errors = [e.message for e in response_validator(api, path, method, 200).iter_errors(doc)]
    assert not errors, (errors, out[:500])


def test_blocks_are_found_between_the_markers() -> None:
    text = (
        "<!-- curl-examples:start -->\n```bash\ncurl -s x\n```\n```bash\necho no\n```\n"
        "<!-- curl-examples:end -->"
    )
    assert curl_blocks(text) == ["curl -s x\n"]
    assert curl_blocks("```bash\ncurl outside\n```") == []


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_guide_curl_examples_run_as_written(in_process: InProcess) -> None:
    blocks = curl_blocks(GUIDE.read_text(encoding="utf-8"))
    assert len(blocks) >= 5, "docs/reference-server.md has no curl examples between the curl-examples markers"
    server = in_process(seed_messages=10)
    for block in blocks:
        script = block.replace(BASE, server.base_url)
        proc = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script], capture_output=True, text=True, timeout=30
        )
        assert proc.returncode == 0, (block, proc.stderr, proc.stdout[:500])
        _check_output(block, proc.stdout)
