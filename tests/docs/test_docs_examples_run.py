"""Every curl and Python example on the docs pages runs as written against ``chatgate serve``.

The host and key come from the environment, as the page says; the output must be what the spec
promises for a 200 (the JSON body, or a complete stream whose every event is valid).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any

import pytest

from chatgate.docs.model import api_doc
from chatgate.specs import API_NAMES, load_spec, schema_validator
from chatgate.sse import decode_all

KEYS = {"nara": "nara-dev-key-1001", "navigable": "navigable-dev-key"}
CASES = [(api, e) for api in API_NAMES for e in api_doc(api).examples]


def _check(api: str, example: Any, out: str) -> None:
    spec = load_spec(api)
    if example.stream:
        events = decode_all(out.encode())
        names = [e.event for e in events]
        assert names[0] == "message_start" and names[-1] == "message_end" and "delta" in names, names
        data = schema_validator(spec, "#/components/schemas/ChatStreamEvent/properties/data/contentSchema")
        for event in events:
            payload = json.loads(event.data)
            assert data.is_valid(payload) and payload["type"] == event.event, event
        return
    ok = spec["paths"][example.path][example.method]["responses"]["200"]["content"]["application/json"]
    errors = [e.message for e in schema_validator(spec, ok["schema"]).iter_errors(json.loads(out))]
    assert not errors, (errors, out[:500])


@pytest.fixture(scope="module")
def env(shared_server: Any) -> dict[str, str]:
    env = dict(os.environ)
    for api in API_NAMES:
        env[f"{api.upper()}_BASE_URL"] = shared_server.base_url
        env[f"{api.upper()}_API_KEY"] = KEYS[api]
    return env


@pytest.mark.parametrize(("api", "example"), CASES, ids=[f"{a}-{e.title}" for a, e in CASES])
def test_curl_example_runs_as_written(api: str, example: Any, env: dict[str, str]) -> None:
    assert shutil.which("curl"), "curl is needed to run the docs' curl examples"
    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", example.curl],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, (example.curl, proc.stderr)
    _check(api, example, proc.stdout)


@pytest.mark.parametrize(("api", "example"), CASES, ids=[f"{a}-{e.title}" for a, e in CASES])
def test_python_example_runs_as_written(api: str, example: Any, env: dict[str, str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", example.python], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, (example.python, proc.stderr)
    _check(api, example, proc.stdout)
